"""Where calls for volunteers were published."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.changes import Change, note_change
from storage.models import Appeal

# A place a platform holds for its moderators' approval: "pending:" and what names the call
# there (a forum topic's title). Followed once the platform shows it (`settle`).
PENDING = "pending:"


def pending_place(reference: str) -> str:
    return PENDING + reference


def is_pending(place: str | None) -> bool:
    return place is not None and place.startswith(PENDING)


def published() -> ColumnElement[bool]:
    """A call with a known place, not one still held for approval."""
    return Appeal.place.is_not(None) & Appeal.place.not_like(PENDING + "%")


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
    query = select(Appeal).where(published()).order_by(Appeal.id)
    return [
        appeal
        for appeal in (await session.scalars(query)).all()
        if str(mission_id) in appeal.mission_ids
    ]


async def newest(session: AsyncSession, channel: str) -> Appeal | None:
    """The call most recently published on `channel` (one held for approval isn't, yet)."""
    query = (
        select(Appeal)
        .where(Appeal.channel == channel, published())
        .order_by(Appeal.created_at.desc(), Appeal.id.desc())
        .limit(1)
    )
    return await session.scalar(query)


async def pending(session: AsyncSession, channel: str) -> dict[int, str]:
    """The calls `channel` holds for approval: appeal id → what names it there."""
    query = select(Appeal.id, Appeal.place).where(
        Appeal.channel == channel, Appeal.place.like(PENDING + "%")
    )
    rows = await session.execute(query)
    return {appeal_id: place.removeprefix(PENDING) for appeal_id, place in rows if place}


async def settle(session: AsyncSession, appeal_id: int, place: str) -> None:
    """The call held for approval is published at `place`: its replies are followed there."""
    appeal = await session.get(Appeal, appeal_id)
    if appeal is not None and is_pending(appeal.place):
        appeal.place = place
        note_change(session, Change.APPEALS)
