"""What the board shows, copied out of the database: the public open missions, the newest call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage import board as board_store
from storage.board import BoardFingerprint
from storage.database import Database
from storage.models import Appeal, Mission


@dataclass(frozen=True)
class MissionView:
    """What anyone may see of one mission, copied out of the database session: what the board
    shows, and what API Engagement's fields are built from (in a worker thread)."""

    id: int
    title: str
    summary: str
    description: str
    skills: tuple[str, ...]
    entry_door: bool
    commitment: str
    effort: str
    published: datetime
    updated: datetime

    @classmethod
    def of(cls, mission: Mission) -> MissionView:
        return cls(
            id=mission.id,
            title=mission.title,
            summary=mission.summary or "",
            description=mission.description or "",
            skills=tuple(mission.skills or ()),
            entry_door=bool(mission.entry_door),
            commitment=mission.commitment,
            effort=mission.effort or "",
            published=mission.opened_at or mission.created_at,
            updated=mission.updated_at,
        )


@dataclass(frozen=True)
class Snapshot:
    """The public open missions (entry doors first, then by number) and the newest forum call."""

    missions: tuple[MissionView, ...]
    forum_place: str | None
    forum_called_at: datetime | None

    @classmethod
    def of(cls, missions: list[Mission], forum_call: Appeal | None) -> Snapshot:
        return cls(
            tuple(MissionView.of(mission) for mission in missions),
            forum_call.place if forum_call else None,
            forum_call.created_at if forum_call else None,
        )

    @property
    def newest_change(self) -> datetime | None:
        moments = [m.updated for m in self.missions]
        if self.forum_called_at is not None:
            moments.append(self.forum_called_at)
        return max(moments, default=None)


async def read_snapshot(database: Database) -> Snapshot:
    async with database.session() as session:
        missions = await board_store.public_open_missions(session)
        forum_call = await board_store.newest_forum_call(session)
        return Snapshot.of(missions, forum_call)


async def read_fingerprint(database: Database) -> BoardFingerprint:
    async with database.session() as session:
        return await board_store.board_fingerprint(session)


async def read_mission(
    database: Database, mission_id: int
) -> tuple[MissionView | None, str | None]:
    """One public open mission (None if it isn't one) and the newest forum call's place."""
    async with database.session() as session:
        mission = await board_store.public_open_mission(session, mission_id)
        forum_call = await board_store.newest_forum_call(session)
        view = MissionView.of(mission) if mission is not None else None
        return view, forum_call.place if forum_call else None
