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
from bot.board.mission_page import render_mission_page, render_not_found
from bot.board.snapshot import read_fingerprint, read_mission, read_snapshot
from bot.config import Config
from commands.skills import Taxonomy
from storage.changes import Change
from storage.database import Database


class _NotShown(Exception):
    """The mission asked for is not one anyone may see."""


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

    def _context(self, language: str, base: str, forum_place: str | None) -> Context:
        settings = self.settings
        return Context(
            language,
            base,
            self.taxonomy,
            where_to_apply(settings.matrix_room, settings.forum_url, forum_place),
            settings.missions_language,
            self.clock(),
        )

    async def render(self, key: PageKey) -> Rendered:
        kind, language, base = key
        snapshot = await read_snapshot(self.database)
        context = self._context(language, base, snapshot.forum_place)
        return Rendered.of(FORMATS[kind].render(snapshot, context))

    async def mission_page(
        self, mission_id: int, language: str, base: str, via: str | None
    ) -> Rendered | None:
        """One public open mission's page (kept like the board's pages); None when there is
        no such mission to show."""

        async def render(_key: PageKey) -> Rendered:
            mission, forum_place = await read_mission(self.database, mission_id)
            if mission is None:
                raise _NotShown
            context = self._context(language, base, forum_place)
            return Rendered.of(render_mission_page(mission, context, via))

        key = (f"mission/{mission_id}/{via or ''}", language, base)
        try:
            return await (self.cache.page(key, render) if self.caching else render(key))
        except _NotShown:
            return None

    def not_found_page(self, language: str, base: str) -> bytes:
        return render_not_found(self._context(language, base, None))

    async def page(self, kind: str, language: str, base: str) -> Rendered:
        key = (kind, language, base)
        if not self.caching:
            return await self.render(key)
        return await self.cache.page(key, self.render)
