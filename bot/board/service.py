"""The board of one Tremplin: reads the snapshot, renders a format, keeps pages until a change."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.app import Tremplin, matrix_room_link
from bot.board.addresses import public_base, where_to_apply
from bot.board.cache import RECHECK_SECONDS, PageCache, PageKey, Rendered
from bot.board.context import Context
from bot.board.formats import FORMATS
from bot.board.snapshot import read_fingerprint, read_snapshot
from bot.config import Config
from commands.skills import Taxonomy
from storage.changes import Change
from storage.database import Database

SHOWN = frozenset({Change.MISSIONS, Change.APPEALS})  # what the board shows: missions, calls


@dataclass(frozen=True)
class BoardSettings:
    """What the board takes from the configuration."""

    public_base: str | None  # None: the address the visitor used
    matrix_room: str | None
    forum_url: str | None
    missions_language: str

    @classmethod
    def from_config(cls, config: Config) -> BoardSettings:
        return cls(
            public_base(config.web.public_url),
            matrix_room_link(config),
            config.discourse.url,
            config.language,
        )


class Board:
    """Serves the board's pages, each kept until this database tells of a change (or the
    fingerprint shows one made elsewhere).

    `caching=False` renders every request (the benchmark's reference).
    """

    def __init__(
        self,
        database: Database,
        settings: BoardSettings,
        taxonomy: Taxonomy,
        clock: Callable[[], datetime],
        *,
        caching: bool = True,
        recheck_seconds: float = RECHECK_SECONDS,
    ) -> None:
        self.database = database
        self.settings = settings
        self.taxonomy = taxonomy
        self.clock = clock
        self.caching = caching
        self.cache = PageCache(self._read_fingerprint, recheck_seconds=recheck_seconds)
        self._unsubscribe = database.changes.subscribe(self._changed)

    @classmethod
    def of(cls, tremplin: Tremplin) -> Board:
        services = tremplin.brain.services
        settings = BoardSettings.from_config(tremplin.config)
        return cls(tremplin.database, settings, services.taxonomy, services.clock)

    def close(self) -> None:
        """Stop listening to the database's changes."""
        self._unsubscribe()

    def _changed(self, changes: frozenset[Change]) -> None:
        if changes & SHOWN:
            self.cache.invalidate()

    async def _read_fingerprint(self) -> object:
        return await read_fingerprint(self.database)

    async def render(self, key: PageKey) -> Rendered:
        kind, language, base = key
        snapshot = await read_snapshot(self.database)
        settings = self.settings
        context = Context(
            language,
            base,
            self.taxonomy,
            where_to_apply(settings.matrix_room, settings.forum_url, snapshot.forum_place),
            settings.missions_language,
            self.clock(),
        )
        return Rendered.of(FORMATS[kind].render(snapshot, context))

    async def page(self, kind: str, language: str, base: str) -> Rendered:
        key = (kind, language, base)
        if not self.caching:
            return await self.render(key)
        return await self.cache.page(key, self.render)
