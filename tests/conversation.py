"""Talking to the brain in tests, as a person would, and seeing what the platforms were asked."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.render import to_plain
from commands.brain import Brain
from commands.context import IncomingMessage, Place, RoomReaders
from commands.ports import OnboardingRequest, ThreadRef
from commands.services import Services, Settings
from storage.database import Database
from storage.visibility import Surface

STAFF = "console:staff"
COORDINATOR = "console:coord"


@dataclass
class RecordingPlatform:
    """A connector at the network edge that remembers what the brain asked of it."""

    platform: str = "console"
    threads: list[OnboardingRequest] = field(default_factory=list)
    direct: list[tuple[str, str]] = field(default_factory=list)
    staff: list[str] = field(default_factory=list)
    in_threads: list[tuple[str, str]] = field(default_factory=list)
    forgotten: list[str] = field(default_factory=list)

    async def open_onboarding_thread(self, request: OnboardingRequest) -> ThreadRef:
        self.threads.append(request)
        return ThreadRef(
            self.platform, f"thread-{len(self.threads)}", f"Accueil · {request.mission_title}"
        )

    async def send_direct(self, address: str, text: str) -> bool:
        self.direct.append((address, to_plain(text)))
        return True

    async def notify_staff(self, text: str) -> bool:
        self.staff.append(to_plain(text))
        return True

    async def post_in_thread(self, thread_ref: str, text: str) -> bool:
        self.in_threads.append((thread_ref, to_plain(text)))
        return True

    async def forget(self, address: str) -> None:
        self.forgotten.append(address)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Chat:
    """People writing to Tremplin; `say` returns what they read back, as plain text."""

    def __init__(self, brain: Brain, platform: RecordingPlatform) -> None:
        self.brain = brain
        self.platform = platform
        self._events = itertools.count(1)

    async def say(
        self,
        who: str,
        text: str,
        *,
        surface: Surface = Surface.CHAT,
        event_id: str | None = None,
        direct: bool | None = None,
        staff_room: bool = False,
        readers: Mapping[str, bool] | RoomReaders | None = None,
    ) -> str:
        """What `who` reads back. On the terminal (the default platform) a conversation is
        always private, as the console connector says; elsewhere it is a room of the team,
        unless `direct` or `surface` says otherwise. `readers` are the people reading the room
        along (identity → staff for the platform), as a connector names them for a team room."""
        sender = who if ":" in who else f"console:{who}"
        if direct is None:
            direct = self.platform.platform == "console" and surface is Surface.CHAT
        message = IncomingMessage(
            sender=sender,
            text=text,
            place=Place(
                platform=self.platform.platform,
                room="room",
                is_direct=direct,
                surface=surface,
                is_staff_room=staff_room,
            ),
            event_id=event_id,
            readers=readers if readers is None or callable(readers) else (lambda: readers),
        )
        replies = await self.brain.handle(message)
        return "\n\n".join(to_plain(reply) for reply in replies)


def make_brain(database: Database, clock: Clock | None = None, **settings: object) -> Brain:
    values: dict[str, object] = {
        "staff": frozenset({STAFF}),
        "coordinators": (COORDINATOR,),
        "flood_burst": 1000,
        "flood_per_second": 1000.0,
    }
    values.update(settings)
    services = Services(Settings(**values), clock=clock or Clock())  # type: ignore[arg-type]
    return Brain(database, services)
