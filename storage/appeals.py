"""Where calls for volunteers were published."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.changes import Change, note_change
from storage.models import Appeal


async def record(
    session: AsyncSession,
    channel: str,
    places: Sequence[str],
    *,
    language: str,
    mission_ids: Sequence[int],
    now: datetime,
) -> None:
    """One row per place a call was published at `now` (its replies are followed there)."""
    for place in places:
        session.add(
            Appeal(
                channel=channel,
                place=place,
                language=language,
                mission_ids=[str(mission_id) for mission_id in mission_ids],
                created_at=now,
            )
        )
    note_change(session, Change.APPEALS)  # the board shows the newest forum call


async def places(session: AsyncSession, channel: str) -> list[str]:
    """Every place (room id, topic id) where a call was published on `channel`."""
    query = select(Appeal.place).where(Appeal.channel == channel).order_by(Appeal.id)
    return [place for place in (await session.scalars(query)).all() if place]


async def showing(session: AsyncSession, mission_id: int) -> list[Appeal]:
    """Calls that listed mission `mission_id`, with a known place, oldest first."""
    query = select(Appeal).where(Appeal.place.is_not(None)).order_by(Appeal.id)
    return [
        appeal
        for appeal in (await session.scalars(query)).all()
        if str(mission_id) in appeal.mission_ids
    ]


async def newest(session: AsyncSession, channel: str) -> Appeal | None:
    query = (
        select(Appeal)
        .where(Appeal.channel == channel)
        .order_by(Appeal.created_at.desc(), Appeal.id.desc())
        .limit(1)
    )
    return await session.scalar(query)
