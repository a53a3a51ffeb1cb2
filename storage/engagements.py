"""Engagements: a volunteer on a mission, from interest to the end."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Engagement


async def find(session: AsyncSession, volunteer_id: int, mission_id: int) -> Engagement | None:
    query = select(Engagement).where(
        Engagement.volunteer_id == volunteer_id, Engagement.mission_id == mission_id
    )
    return await session.scalar(query)


async def of_volunteer(session: AsyncSession, volunteer_id: int) -> list[Engagement]:
    query = (
        select(Engagement).where(Engagement.volunteer_id == volunteer_id).order_by(Engagement.id)
    )
    return list((await session.scalars(query)).all())


async def by_thread(session: AsyncSession, platform: str, thread_ref: str) -> Engagement | None:
    query = select(Engagement).where(
        Engagement.thread_platform == platform, Engagement.thread_ref == thread_ref
    )
    return await session.scalar(query)


async def awaiting_first_response(session: AsyncSession, before: datetime) -> list[Engagement]:
    """Onboarding threads opened before `before` where no coordinator has spoken yet."""
    query = (
        select(Engagement)
        .where(
            Engagement.status == "onboarding",
            Engagement.first_response_at.is_(None),
            Engagement.onboarding_at < before,
        )
        .order_by(Engagement.onboarding_at)
    )
    return list((await session.scalars(query)).all())
