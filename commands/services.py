"""What handlers may use besides the session: settings, taxonomy, connectors, the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from commands.ports import Hub
from commands.skills import Taxonomy


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Settings:
    """The part of the configuration the brain needs, already validated by `bot.config`."""

    language: str = "fr"
    staff: frozenset[str] = frozenset()
    coordinators: tuple[str, ...] = ()
    first_response_hours: int = 48
    retention_months: int = 24
    matrix_room_link: str | None = None
    forum_url: str | None = None
    board_url: str | None = None
    flood_burst: int = 8
    flood_per_second: float = 0.5
    diffusion_enabled: bool = False  # missions are published on API Engagement


@dataclass
class Services:
    settings: Settings
    taxonomy: Taxonomy = field(default_factory=Taxonomy.default)
    hub: Hub = field(default_factory=Hub)
    clock: Callable[[], datetime] = system_clock
