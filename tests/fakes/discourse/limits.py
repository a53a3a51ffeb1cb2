"""Discourse's rate limiters: a number of hits in a rolling window (lib/rate_limiter.rb)."""

from __future__ import annotations

from collections import deque

from tests.fakes.discourse.errors import RateLimited

__all__ = ["RollingLimiter"]


class RollingLimiter:
    """`RateLimiter`: at most `limit` hits in any `period` seconds.

    `performed!` records a hit or raises `LimitExceeded` with the seconds until the oldest
    hit leaves the window (`seconds_to_wait`); a refused hit is not recorded. `rollback!`
    forgets the last hit (the request tracker does it for admin API requests).
    """

    def __init__(self, limit: int | None, period: float, error_code: str | None = None) -> None:
        self.limit = limit
        self.period = period
        self.error_code = error_code
        self.hits: deque[float] = deque()

    def _expire(self, now: float) -> None:
        while self.hits and self.hits[0] <= now - self.period:
            self.hits.popleft()

    def can_perform(self, now: float) -> bool:
        if not self.limit:
            return True
        self._expire(now)
        return len(self.hits) < self.limit

    def performed(self, now: float) -> None:
        """Record a hit, or raise `RateLimited` (429) with how long to wait."""
        if not self.limit:
            return
        self._expire(now)
        if len(self.hits) >= self.limit:
            raise RateLimited(self.hits[0] + self.period - now, self.error_code)
        self.hits.append(now)

    def rollback(self) -> None:
        if self.hits:
            self.hits.pop()
