"""The board's page cache: each rendered page is kept until the public missions change."""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

MAX_CACHED_PAGES = 32  # the address in a key comes from the request when no public_url is set
RECHECK_SECONDS = 5.0


# Which page: (format, language, the address the board lives under). A plain tuple: it is
# built on every request, and a NamedTuple costs several times as much to make.
PageKey = tuple[str, str, str]


@dataclass(frozen=True)
class Rendered:
    """A page's bytes and their entity tag."""

    body: bytes
    etag: str

    @classmethod
    def of(cls, body: bytes) -> Rendered:
        return cls(body, hashlib.sha256(body).hexdigest()[:24])


class PageCache:
    """Rendered pages, kept while the board stays the same.

    Dropped at once by `invalidate`, which the board calls when this process commits a change
    to a mission or a call. Changes made elsewhere (another process, a bulk update) show in a
    small query, the fingerprint, asked again at most every `recheck_seconds`: asking it on
    every request would cost most of what the cache saves (see bench/bench_web.py).
    """

    def __init__(
        self,
        read_fingerprint: Callable[[], Awaitable[object]],
        *,
        recheck_seconds: float = RECHECK_SECONDS,
        max_pages: int = MAX_CACHED_PAGES,
    ) -> None:
        self.read_fingerprint = read_fingerprint
        self.recheck_seconds = recheck_seconds
        self.max_pages = max_pages
        self._pages: dict[PageKey, Rendered] = {}
        self._fingerprint: object | None = None  # None: to be read again
        self._checked_at = -math.inf
        self._generation = 0  # moves on whenever the pages kept so far become stale

    def __len__(self) -> int:
        """How many pages are kept."""
        return len(self._pages)

    def invalidate(self) -> None:
        """The board changed: forget every page, and read the fingerprint again when asked."""
        self._generation += 1
        self._pages.clear()
        self._fingerprint = None

    async def _recheck(self, now: float) -> int:
        """Read the fingerprint again; the generation the pages rendered from now belong to."""
        generation = self._generation
        fingerprint = await self.read_fingerprint()
        if generation != self._generation:  # a change was told while reading: read it again
            return generation
        if fingerprint != self._fingerprint:
            self.invalidate()
            self._fingerprint = fingerprint
        self._checked_at = now
        return self._generation

    async def page(
        self, key: PageKey, render: Callable[[PageKey], Awaitable[Rendered]]
    ) -> Rendered:
        """The page kept under `key`, else rendered now (and kept, unless the board changed)."""
        now = time.monotonic()
        if self._fingerprint is not None and now - self._checked_at < self.recheck_seconds:
            generation = self._generation
        else:
            generation = await self._recheck(now)
        cached = self._pages.get(key)
        if cached is not None:
            return cached
        rendered = await render(key)
        if generation == self._generation:  # not if the board changed while rendering
            if len(self._pages) >= self.max_pages:
                self._pages.clear()
            self._pages[key] = rendered
        return rendered
