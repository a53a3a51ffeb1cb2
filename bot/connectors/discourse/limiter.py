"""One async token bucket for every request to the forum, paused when the forum says 429."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class RateLimitWaitTooLong(Exception):
    """The forum asked us to wait longer than we are willing to block a caller."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the forum asked to wait {seconds:.0f} s")
        self.seconds = seconds


class TokenBucket:
    """At most `per_minute` requests in any minute: a small burst, then a steady pace.

    The burst and the refill are split so that burst + one minute of refill never exceeds
    `per_minute`: Discourse counts requests over a rolling minute, not in a bucket.
    """

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.capacity = float(max(1, per_minute // 5))
        self.rate = max(per_minute - self.capacity, per_minute / 2) / 60.0
        self._clock = clock
        self._tokens = self.capacity
        self._updated = clock()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        """Nobody sends anything for `seconds` (a 429's Retry-After)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def paused_for(self) -> float:
        """How long the forum still wants us to wait, in seconds."""
        return max(0.0, self._paused_until - self._clock())

    async def acquire(self, max_pause: float | None = None) -> None:
        """Wait for the right to send one request (callers are served in order)."""
        async with self._lock:
            while True:
                paused = self.paused_for()
                if paused > 0:
                    if max_pause is not None and paused > max_pause:
                        raise RateLimitWaitTooLong(paused)
                    await asyncio.sleep(paused)
                    continue
                self._refill()
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) / self.rate)

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
        self._updated = now
