"""What the Matrix connector remembers across restarts, kept in the database's state table.

Changes are made in memory and written with the sync token at the end of each batch, in
one transaction: the brain asks for rooms and messages while its own transaction is open,
and SQLite allows one writer at a time, so nothing here writes in between.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from storage import engagements as engagement_store
from storage import state
from storage import volunteers as volunteer_store
from storage.database import Database

SYNC_TOKEN = "matrix:next_batch"
DIRECT_ROOMS = "matrix:direct_rooms"  # {user id: room id}
OUTBOX = "matrix:outbox"  # {room id: [QueuedMessage]}: for rooms the sync has not shown yet
UNSENT = "matrix:unsent"  # {event id: ReplyPlace}: replies whose sending failed


@dataclass(frozen=True)
class QueuedMessage:
    """A message for a room created a moment ago, sent once the sync shows the room."""

    txn_id: str
    markdown: str


@dataclass(frozen=True)
class ReplyPlace:
    """Where the replies to a command go: enough to send them after a restart."""

    room_id: str
    sender: str
    reply_to: str
    thread_root: str | None = None


class Ledger:
    """Sync token, direct rooms, the outbox and where unsent replies go."""

    def __init__(self, database: Database, clock: Callable[[], datetime]) -> None:
        self.database = database
        self.clock = clock
        self.direct_rooms: dict[str, str] = {}
        self.outbox: dict[str, list[QueuedMessage]] = {}
        self.unsent: dict[str, ReplyPlace] = {}
        self._changed: set[str] = set()
        self._saving = asyncio.Lock()

    async def load(self) -> str | None:
        """Read everything back; returns the sync token (None at the very first start)."""
        async with self.database.session() as session:
            token = await state.get_value(session, SYNC_TOKEN)
            direct = _decode(await state.get_value(session, DIRECT_ROOMS))
            outbox = _decode(await state.get_value(session, OUTBOX))
            unsent = _decode(await state.get_value(session, UNSENT))
        self.direct_rooms = {str(user): str(room) for user, room in direct.items()}
        self.outbox = {
            room: [QueuedMessage(**item) for item in items] for room, items in outbox.items()
        }
        self.unsent = {event: ReplyPlace(**place) for event, place in unsent.items()}
        self._changed.clear()
        return token

    async def sync_token(self) -> str | None:
        async with self.database.session() as session:
            return await state.get_value(session, SYNC_TOKEN)

    async def save(self, token: str | None = None) -> None:
        """Write what changed, and the sync token of the batch just handled. One save at a
        time, each writing memory as it is when its turn comes: a person forgotten while a
        batch is saved is never written back."""
        async with self._saving:
            await self._save(token)

    async def _save(self, token: str | None) -> None:
        values: dict[str, str] = {}
        if DIRECT_ROOMS in self._changed:
            values[DIRECT_ROOMS] = _encode(self.direct_rooms)
        if OUTBOX in self._changed:
            values[OUTBOX] = _encode(
                {room: [asdict(item) for item in items] for room, items in self.outbox.items()}
            )
        if UNSENT in self._changed:
            values[UNSENT] = _encode({e: asdict(place) for e, place in self.unsent.items()})
        if token is not None:
            values[SYNC_TOKEN] = token
        if not values:
            return
        now = self.clock()
        async with self.database.session() as session:
            for key, value in values.items():
                await state.set_value(session, key, value, now)
        self._changed.clear()

    def remember_direct_room(self, user_id: str, room_id: str) -> None:
        self.direct_rooms[user_id] = room_id
        self._changed.add(DIRECT_ROOMS)

    def forget_person(self, user_id: str, direct_room: str | None) -> None:
        """An erased person: their direct room, what waits for it, and replies owed to them."""
        if self.direct_rooms.pop(user_id, None) is not None:
            self._changed.add(DIRECT_ROOMS)
        if direct_room is not None and self.outbox.pop(direct_room, None) is not None:
            self._changed.add(OUTBOX)
        self.forget_unsent({e for e, place in self.unsent.items() if place.sender == user_id})

    def queue(self, room_id: str, message: QueuedMessage) -> None:
        waiting = self.outbox.setdefault(room_id, [])
        if all(item.txn_id != message.txn_id for item in waiting):
            waiting.append(message)
            self._changed.add(OUTBOX)

    def dequeue(self, room_id: str, txn_ids: set[str]) -> None:
        left = [item for item in self.outbox.get(room_id, []) if item.txn_id not in txn_ids]
        if left:
            self.outbox[room_id] = left
        else:
            self.outbox.pop(room_id, None)
        self._changed.add(OUTBOX)

    def remember_unsent(self, event_id: str, place: ReplyPlace) -> None:
        self.unsent[event_id] = place
        self._changed.add(UNSENT)

    def forget_unsent(self, event_ids: set[str]) -> None:
        if any(self.unsent.pop(event_id, None) for event_id in event_ids):
            self._changed.add(UNSENT)

    async def language_of(self, user_id: str) -> str | None:
        """The language a person chose, for what the connector tells them by itself."""
        async with self.database.session() as session:
            volunteer = await volunteer_store.by_address(session, user_id)
            return volunteer.language if volunteer is not None else None

    async def onboarding_rooms(self) -> dict[str, bool]:
        """Every Matrix onboarding room, with whether a coordinator has answered there."""
        async with self.database.session() as session:
            return await engagement_store.thread_answers(session, "matrix")


def _encode(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _decode(raw: str | None) -> dict[str, Any]:
    if not raw:
        return {}
    value = json.loads(raw)
    return value if isinstance(value, dict) else {}
