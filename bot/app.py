"""Assembling a Tremplin: database, catalogue on first start, brain and services."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import Config
from bot.health import Health
from commands.brain import Brain
from commands.catalogue import CatalogueError, decode_catalogue, import_catalogue
from commands.ports import Hub
from commands.services import Services, Settings
from storage import missions as mission_store
from storage.database import Database

log = logging.getLogger(__name__)


def matrix_room_link(config: Config) -> str | None:
    """The room newcomers are sent to: the first public room, else the first room."""
    rooms = config.matrix.public_rooms or config.matrix.rooms
    return f"https://matrix.to/#/{rooms[0]}" if config.matrix.enabled and rooms else None


def settings_from(config: Config) -> Settings:
    return Settings(
        language=config.language,
        staff=frozenset(config.staff),
        coordinators=tuple(config.coordinators),
        first_response_hours=config.reminders.first_response_hours,
        retention_months=config.privacy.retention_months,
        forum_url=config.discourse.url if config.discourse.enabled else None,
        matrix_room_link=matrix_room_link(config),
        board_url=config.web.public_url,
        diffusion_enabled=config.api_engagement.enabled,
    )


@dataclass
class Tremplin:
    config: Config
    database: Database
    brain: Brain
    health: Health = field(default_factory=Health)

    @property
    def hub(self) -> Hub:
        return self.brain.services.hub

    async def close(self) -> None:
        await self.database.dispose()


async def load_first_catalogue(database: Database, config: Config, services: Services) -> None:
    """Import `catalog` when the database has no mission yet."""
    if not config.catalog:
        return
    async with database.session() as session:
        if await mission_store.count(session) > 0:
            return
        try:
            data = await asyncio.to_thread(Path(config.catalog).read_bytes)
        except OSError as error:
            log.warning("catalogue %s not loaded: %s", config.catalog, error.strerror)
            return
        try:
            text = decode_catalogue(data)
            report = await import_catalogue(session, text, services.taxonomy, now=services.clock())
        except CatalogueError as error:
            log.warning("catalogue %s not loaded: %s", config.catalog, error)
            return
        log.info("catalogue loaded: %d missions", len(report.created))


async def start_tremplin(config: Config) -> Tremplin:
    """Migrate the database, load the first catalogue, build the brain."""
    database = Database(config.database_url)
    await database.upgrade()
    services = Services(settings_from(config))
    await load_first_catalogue(database, config, services)
    return Tremplin(config, database, Brain(database, services), Health(clock=services.clock))
