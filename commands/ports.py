"""What the brain asks of a platform: open a private thread, send a message, tell the staff,
publish a call; and the one error a platform's connector raises when it can't."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from commands.errors import Refused

log = logging.getLogger(__name__)


class PortError(Refused):
    """A platform refused, or could not be reached for, what the brain asked: nothing was
    done there. Every connector raises this one, never its own exceptions.

    The router explains it like any refusal, in the person's language: by default
    `port.<platform>.refused` or `port.<platform>.unavailable`, or the more precise catalogue
    key the connector gives (with the values its sentence names, in `params`). `reason` is for
    the log: short, with no secret in it.
    """

    def __init__(
        self,
        platform: str,
        reason: str,
        *,
        refused: bool = False,
        key: str | None = None,
        **params: str,
    ) -> None:
        super().__init__(
            key or f"port.{platform}.{'refused' if refused else 'unavailable'}", **params
        )
        self.platform = platform
        self.reason = reason
        self.refused = refused

    def __str__(self) -> str:
        kind = "refused" if self.refused else "unavailable"
        return f"{self.platform} {kind}: {self.reason}"


@dataclass(frozen=True)
class OnboardingRequest:
    """A private thread to open between a volunteer and a mission's coordinators."""

    engagement_id: int
    mission_id: int
    mission_title: str
    volunteer: str
    coordinators: tuple[str, ...]
    welcome: str  # Markdown


@dataclass(frozen=True)
class ThreadRef:
    platform: str
    ref: str
    label: str = ""


@dataclass(frozen=True)
class Notice:
    """A message to a person or to the staff, outside any reply."""

    text: str  # Markdown
    address: str | None = None  # None: the staff


class Outbound(Protocol):
    """Implemented by each connector. Opening a thread raises `PortError` when the platform
    can't; the messages answer False instead (the caller keeps them due, or tries elsewhere)."""

    platform: str

    async def open_onboarding_thread(self, request: OnboardingRequest) -> ThreadRef: ...

    async def send_direct(self, address: str, text: str) -> bool: ...

    async def notify_staff(self, text: str) -> bool: ...

    async def post_in_thread(self, thread_ref: str, text: str) -> bool: ...

    async def forget(self, address: str) -> None:
        """An erased person: drop whatever the connector keeps about `address` (in memory and
        in the database), once the erasure is committed."""
        ...


@dataclass(frozen=True)
class AppealText:
    """A call for volunteers ready to publish: a title and a Markdown body."""

    title: str
    body: str
    language: str


@runtime_checkable
class AppealPublisher(Protocol):
    """Implemented by connectors that can publish a call for volunteers."""

    platform: str

    async def publish_appeal(self, appeal: AppealText) -> list[str]:
        """Publish and return where (room ids, topic ids); raises `PortError` when nothing
        could be published."""
        ...


@dataclass
class Hub:
    """The connectors running in this process, chosen by an identity's platform."""

    connectors: dict[str, Outbound] = field(default_factory=dict)
    staff_platforms: tuple[str, ...] = ("matrix", "discourse", "console")

    def register(self, connector: Outbound) -> None:
        self.connectors[connector.platform] = connector

    def unregister(self, connector: Outbound) -> None:
        """Forget `connector` (stopping), unless another one has taken its platform since."""
        if self.connectors.get(connector.platform) is connector:
            del self.connectors[connector.platform]

    def for_platform(self, platform: str) -> Outbound | None:
        return self.connectors.get(platform)

    async def send_staff_image(self, png: bytes, filename: str, caption: str) -> bool:
        """Post an image in the staff room, where a connector can (Matrix)."""
        for platform in self.staff_platforms:
            connector = self.connectors.get(platform)
            send = getattr(connector, "send_staff_image", None)
            if send is not None and await send(png, filename, caption):
                return True
        return False

    async def forget(self, address: str) -> None:
        """Every connector drops what it keeps about an erased person; one failing doesn't
        keep the others from it."""
        for connector in list(self.connectors.values()):
            try:
                await connector.forget(address)
            except Exception:
                log.exception(
                    "the %s connector could not forget an erased person", connector.platform
                )

    async def notify_staff(self, text: str) -> bool:
        """Tell the staff on the first platform that has a staff room."""
        for platform in self.staff_platforms:
            connector = self.connectors.get(platform)
            if connector is not None and await connector.notify_staff(text):
                return True
        log.info("staff notice with nowhere to go: %s", text.splitlines()[0] if text else "")
        return False
