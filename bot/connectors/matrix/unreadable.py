"""Encrypted messages the bot can't read yet: ask for the key, then tell the sender once."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from nio import AsyncClient, Event, LocalProtocolError, MegolmEvent

log = logging.getLogger(__name__)

MAX_WAITING = 500  # a flood of unreadable events must not grow memory without end


@dataclass
class Unreadable:
    room_id: str
    event: MegolmEvent
    seen_at: float


class UnreadableMessages:
    """Megolm events waiting for their room key, for at most `grace_seconds`."""

    def __init__(self, grace_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.grace_seconds = grace_seconds
        self.clock = clock
        self._waiting: dict[str, Unreadable] = {}

    def __len__(self) -> int:
        return len(self._waiting)

    async def track(self, client: AsyncClient, room_id: str, event: MegolmEvent) -> None:
        """Remember the event and ask the sender's devices (and ours) for its key."""
        if event.event_id in self._waiting or len(self._waiting) >= MAX_WAITING:
            return
        event.room_id = room_id
        self._waiting[event.event_id] = Unreadable(room_id, event, self.clock())
        try:
            await client.request_room_key(event)
        except LocalProtocolError:
            pass  # this session's key is already asked for
        except Exception as error:  # asking is a courtesy; the grace period still runs
            log.info("room key request for %s failed: %s", event.event_id, error)

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

    def overdue(self) -> list[Unreadable]:
        """Events still unreadable after the grace period, forgotten as they are returned."""
        limit = self.clock() - self.grace_seconds
        late = [waiting for waiting in self._waiting.values() if waiting.seen_at <= limit]
        for waiting in late:
            del self._waiting[waiting.event.event_id]
        return late
