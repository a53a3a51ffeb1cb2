"""Engagements: a volunteer on a mission, from interest to the end."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.enums import EngagementStatus
from storage.models import Engagement
from storage.visibility import Surface, Viewer, can_recall, recallable_engagements

# The statuses the follow-up pass looks at: waiting for a coordinator, under way, stopped.
FOLLOWED_UP = (EngagementStatus.ONBOARDING, EngagementStatus.ACTIVE, EngagementStatus.DROPPED)


async def get(session: AsyncSession, engagement_id: int) -> Engagement | None:
    return await session.get(Engagement, engagement_id)


async def find(session: AsyncSession, volunteer_id: int, mission_id: int) -> Engagement | None:
    query = select(Engagement).where(
        Engagement.volunteer_id == volunteer_id, Engagement.mission_id == mission_id
    )
    return await session.scalar(query)


async def start(
    session: AsyncSession, volunteer_id: int, mission_id: int, now: datetime
) -> Engagement:
    """A new engagement, `interested` as of `now`."""
    engagement = Engagement(
        volunteer_id=volunteer_id,
        mission_id=mission_id,
        status=EngagementStatus.INTERESTED,
        created_at=now,
    )
    session.add(engagement)
    await session.flush()
    return engagement


async def of_volunteer(session: AsyncSession, volunteer_id: int) -> list[Engagement]:
    query = (
        select(Engagement).where(Engagement.volunteer_id == volunteer_id).order_by(Engagement.id)
    )
    return list((await session.scalars(query)).all())


async def of_volunteer_visible(
    session: AsyncSession, volunteer_id: int, viewer: Viewer, surface: Surface
) -> list[Engagement]:
    """The volunteer's engagements, leaving out missions `viewer` may no longer see."""
    query = recallable_engagements(volunteer_id, viewer, surface)
    return list((await session.scalars(query)).all())


async def find_visible(
    session: AsyncSession, volunteer_id: int, mission_id: int, viewer: Viewer, surface: Surface
) -> Engagement | None:
    """The volunteer's engagement on `mission_id`, None when there is none or `viewer` may
    no longer see the mission (the same answer: no existence leak)."""
    engagement = await find(session, volunteer_id, mission_id)
    if engagement is None or not can_recall(engagement.mission, viewer, surface):
        return None
    return engagement


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
            Engagement.status == EngagementStatus.ONBOARDING,
            Engagement.first_response_at.is_(None),
            Engagement.onboarding_at < before,
        )
        .order_by(Engagement.onboarding_at)
    )
    return list((await session.scalars(query)).all())


async def to_follow_up(session: AsyncSession) -> list[Engagement]:
    """Engagements the follow-up pass may have something to say about, oldest first."""
    query = select(Engagement).where(Engagement.status.in_(FOLLOWED_UP)).order_by(Engagement.id)
    return list((await session.scalars(query)).all())


async def thread_answers(session: AsyncSession, platform: str) -> dict[str, bool]:
    """Every onboarding thread on `platform`, with whether a coordinator has answered there."""
    query = select(Engagement.thread_ref, Engagement.first_response_at).where(
        Engagement.thread_platform == platform, Engagement.thread_ref.is_not(None)
    )
    rows = (await session.execute(query)).all()
    return {str(ref): answered is not None for ref, answered in rows}
