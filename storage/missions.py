"""Reading and writing missions (the visibility rules live in `storage.visibility`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.changes import Change, note_change, note_change_to
from storage.models import Mission, utcnow
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
    statuses: Sequence[str] | None = None,
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


async def create(session: AsyncSession, fields: dict[str, Any]) -> Mission:
    mission = Mission(**fields)
    if mission.status == "open":
        mission.opened_at = utcnow()
    session.add(mission)
    note_change(session, Change.MISSIONS)
    await session.flush()
    return mission


def apply(mission: Mission, fields: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Set `fields` on `mission`; returns what changed as {field: (before, after)}."""
    changes: dict[str, tuple[Any, Any]] = {}
    for name, value in fields.items():
        before = getattr(mission, name)
        if before != value:
            changes[name] = (before, value)
            setattr(mission, name, value)
    if "status" in changes and mission.status == "open":
        mission.opened_at = utcnow()
    if changes:
        note_change_to(mission, Change.MISSIONS)
    return changes


async def all_missions(session: AsyncSession) -> list[Mission]:
    return list((await session.scalars(select(Mission).order_by(Mission.id))).all())
