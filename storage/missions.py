"""Reading and writing missions (the visibility rules live in `storage.visibility`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.changes import Change, note_change, note_change_to
from storage.enums import MissionStatus
from storage.models import Mission
from storage.visibility import Surface, Viewer, can_see, visible_missions

MISSION_FIELDS = (
    "title",
    "summary",
    "description",
    "skills",
    "entry_door",
    "sensitivity",
    "commitment",
    "effort",
    "coordinators",
    "status",
    "ref",
)


async def list_visible(
    session: AsyncSession,
    viewer: Viewer,
    surface: Surface,
    statuses: Sequence[MissionStatus] | None = None,
) -> list[Mission]:
    return list((await session.scalars(visible_missions(viewer, surface, statuses))).all())


async def get_visible(
    session: AsyncSession, mission_id: int, viewer: Viewer, surface: Surface
) -> Mission | None:
    """The mission if it exists and `viewer` may see it; None otherwise (no existence leak)."""
    mission = await session.get(Mission, mission_id)
    if mission is None or not can_see(mission, viewer, surface):
        return None
    return mission


async def get(session: AsyncSession, mission_id: int) -> Mission | None:
    return await session.get(Mission, mission_id)


async def count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count(Mission.id))) or 0)


async def find_for_import(session: AsyncSession, ref: str | None, title: str) -> Mission | None:
    """The mission an imported entry updates: same `ref`, else same title."""
    if ref:
        found = await session.scalar(select(Mission).where(Mission.ref == ref))
        if found is not None:
            return found
    return await session.scalar(select(Mission).where(Mission.title == title).limit(1))


async def create(session: AsyncSession, fields: dict[str, Any], now: datetime) -> Mission:
    # The status is set here rather than left to the column default, which only applies at
    # the INSERT: an open mission is open from `now`.
    mission = Mission(**{"status": MissionStatus.OPEN, **fields}, created_at=now, updated_at=now)
    if mission.status == MissionStatus.OPEN:
        mission.opened_at = now
    session.add(mission)
    note_change(session, Change.MISSIONS)
    await session.flush()
    return mission


def apply(mission: Mission, fields: dict[str, Any], now: datetime) -> dict[str, tuple[Any, Any]]:
    """Set `fields` on `mission` as of `now`; returns what changed as {field: (before, after)}."""
    changes: dict[str, tuple[Any, Any]] = {}
    for name, value in fields.items():
        before = getattr(mission, name)
        if before != value:
            changes[name] = (before, value)
            setattr(mission, name, value)
    if changes:
        mission.updated_at = now
        note_change_to(mission, Change.MISSIONS)
    if "status" in changes and mission.status == MissionStatus.OPEN:
        mission.opened_at = now
    return changes


async def all_missions(session: AsyncSession) -> list[Mission]:
    return list((await session.scalars(select(Mission).order_by(Mission.id))).all())
