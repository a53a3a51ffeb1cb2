"""Encrypted messages the bot can't read yet: ask for the key, then tell the sender once, when
the grace period ends or at once when their app says it withholds the key."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from nio import AsyncClient, Event, LocalProtocolError, MegolmEvent

log = logging.getLogger(__name__)

MAX_WAITING = 500  # a flood of unreadable events must not grow memory without end
MAX_WITHHELD = 500  # withheld notices kept for events that have not come yet
# The to-device event a sender's device sends instead of a room key (spec: m.room_key.withheld;
# older Element versions used the unstable name).
WITHHELD_TYPES = frozenset({"m.room_key.withheld", "org.matrix.room_key.withheld"})
# "This device doesn't have the key" answers a key request: another device may still have it.
KEEP_WAITING = frozenset({"m.unavailable"})
# Why a key was withheld, as the sender reads it: codes of the spec's m.room_key.withheld.
EXPLAINED = {
    "m.unverified": "matrix.key_withheld.unverified",
    "m.blacklisted": "matrix.key_withheld.blacklisted",
    "m.unauthorised": "matrix.key_withheld.unauthorised",
    "m.no_olm": "matrix.key_withheld.no_olm",
}
UNEXPLAINED = "matrix.unreadable_message"


@dataclass
class Unreadable:
    room_id: str
    event: MegolmEvent
    seen_at: float
    withheld: str | None = None  # the code the sender's device gave for keeping the key

    @property
    def message_key(self) -> str:
        """The catalogue key of what the sender is told."""
        return EXPLAINED.get(self.withheld or "", UNEXPLAINED)


@dataclass(frozen=True)
class Withheld:
    """One m.room_key.withheld: who withheld which session's key, and why."""

    sender: str
    code: str
    session_id: str | None
    sender_key: str | None

    @classmethod
    def read(cls, sender: str, content: Mapping[str, Any]) -> Withheld | None:
        code = content.get("code")
        if not isinstance(code, str) or not code:
            return None
        session_id = content.get("session_id")
        sender_key = content.get("sender_key")
        return cls(
            sender=sender,
            code=code,
            session_id=session_id if isinstance(session_id, str) else None,
            sender_key=sender_key if isinstance(sender_key, str) else None,
        )

    def concerns(self, event: MegolmEvent) -> bool:
        """True when this says why `event`'s key won't come: same sender and session (or, for
        m.no_olm, which names no session, the same sending device)."""
        if event.sender != self.sender:
            return False
        if self.session_id is not None:
            return bool(event.session_id == self.session_id)
        return self.sender_key is not None and event.sender_key == self.sender_key


class UnreadableMessages:
    """Megolm events waiting for their room key, for at most `grace_seconds`."""

    def __init__(self, grace_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.grace_seconds = grace_seconds
        self.clock = clock
        self.changed = asyncio.Event()  # set when an event is tracked or becomes due at once
        self._waiting: dict[str, Unreadable] = {}
        self._withheld: OrderedDict[tuple[str, str | None, str | None], Withheld] = OrderedDict()

    def __len__(self) -> int:
        return len(self._waiting)

    async def track(self, client: AsyncClient, room_id: str, event: MegolmEvent) -> None:
        """Remember the event and ask the sender's devices (and ours) for its key."""
        if event.event_id in self._waiting or len(self._waiting) >= MAX_WAITING:
            return
        event.room_id = room_id
        waiting = Unreadable(room_id, event, self.clock())
        self._waiting[event.event_id] = waiting
        for withheld in self._withheld.values():
            if withheld.concerns(event):
                waiting.withheld = withheld.code
        self.changed.set()
        if waiting.withheld is not None:
            return  # the sender's app said no: asking again won't help
        try:
            await client.request_room_key(event)
        except LocalProtocolError:
            pass  # this session's key is already asked for
        except Exception as error:  # asking is a courtesy; the grace period still runs
            log.info("room key request for %s failed: %s", event.event_id, error)

    def note_withheld(self, sender: str, content: Mapping[str, Any]) -> None:
        """A sender's device says it keeps a key from us: the events it concerns are due now
        (and those still to come, when they come)."""
        withheld = Withheld.read(sender, content)
        if withheld is None or withheld.code in KEEP_WAITING:
            return
        log.info("%s withheld a room key from us: %s", sender, withheld.code)
        self._withheld[(sender, withheld.session_id, withheld.sender_key)] = withheld
        while len(self._withheld) > MAX_WITHHELD:
            self._withheld.popitem(last=False)
        for waiting in self._waiting.values():
            if waiting.withheld is None and withheld.concerns(waiting.event):
                waiting.withheld = withheld.code
                self.changed.set()

    def now_readable(self, client: AsyncClient) -> list[tuple[str, Event]]:
        """Events whose key has arrived since, decrypted, in the order they came."""
        readable = []
        for event_id, waiting in list(self._waiting.items()):
            try:
                decrypted = client.decrypt_event(waiting.event)
            except Exception:  # still no key
                continue
            if isinstance(decrypted, Event) and not isinstance(decrypted, MegolmEvent):
                del self._waiting[event_id]
                readable.append((waiting.room_id, decrypted))
        return readable

    def seconds_until_due(self) -> float | None:
        """How long until the next event is due (0: one is), None when nothing waits."""
        if not self._waiting:
            return None
        now = self.clock()
        return max(0.0, min(self._due_at(waiting) - now for waiting in self._waiting.values()))

    def overdue(self) -> list[Unreadable]:
        """Events withheld, or still unreadable after the grace period, forgotten as they are
        returned."""
        now = self.clock()
        late = [waiting for waiting in self._waiting.values() if self._due_at(waiting) <= now]
        for waiting in late:
            del self._waiting[waiting.event.event_id]
        return late

    def _due_at(self, waiting: Unreadable) -> float:
        return waiting.seen_at if waiting.withheld else waiting.seen_at + self.grace_seconds
