"""Where calls for volunteers were published."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Appeal


async def places(session: AsyncSession, channel: str) -> list[str]:
    """Every place (room id, topic id) where a call was published on `channel`."""
    query = select(Appeal.place).where(Appeal.channel == channel).order_by(Appeal.id)
    return [place for place in (await session.scalars(query)).all() if place]


async def newest(session: AsyncSession, channel: str) -> Appeal | None:
    query = (
        select(Appeal)
        .where(Appeal.channel == channel)
        .order_by(Appeal.created_at.desc(), Appeal.id.desc())
        .limit(1)
    )
    return await session.scalar(query)
