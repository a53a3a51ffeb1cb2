"""The public board's queries: what anyone may see, the newest forum call, a sign of change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import appeals as appeal_store
from storage.missions import get_visible, list_visible
from storage.models import Appeal, Mission
from storage.visibility import ANONYMOUS, Surface, visible_missions

FORUM = "forum"  # the channel of calls published on the forum


@dataclass(frozen=True)
class BoardFingerprint:
    """Changes whenever the board would: a public mission appears, changes or goes; a new call."""

    public_missions: int
    newest_update: datetime | None
    newest_forum_call: int | None


async def public_open_missions(session: AsyncSession) -> list[Mission]:
    """What the board shows: the open missions anyone may see, entry doors first, then by number."""
    return await list_visible(session, ANONYMOUS, Surface.PUBLIC)


async def public_open_mission(session: AsyncSession, mission_id: int) -> Mission | None:
    """One mission's page: the mission if anyone may see it, else None (none, closed or not
    public look the same)."""
    return await get_visible(session, mission_id, ANONYMOUS, Surface.PUBLIC)


async def newest_forum_call(session: AsyncSession) -> Appeal | None:
    """The call for volunteers most recently published on the forum, if any."""
    return await appeal_store.newest(session, FORUM)


async def board_fingerprint(session: AsyncSession) -> BoardFingerprint:
    """One small query, cheaper than reading the board, for changes made by another process."""
    public = visible_missions(ANONYMOUS, Surface.PUBLIC).order_by(None).subquery()
    newest_call = (
        select(func.max(Appeal.id))
        .where(Appeal.channel == FORUM, appeal_store.published())
        .scalar_subquery()
    )
    row = (
        await session.execute(
            select(func.count(), func.max(public.c.updated_at), newest_call).select_from(public)
        )
    ).one()
    return BoardFingerprint(*row)
