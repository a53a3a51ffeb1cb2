"""The forum key's budgets, kept on our side: requests a minute, requests a day, and the pace
of the bot's own posts. Time comes from a `Timer`, so tests can run a day in a second."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Timer(Protocol):
    """Monotonic seconds and a way to wait (intervals only; never a timestamp to store)."""

    def monotonic(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class RealTimer:
    """The process's own monotonic clock and `asyncio.sleep`."""

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


REAL_TIME = RealTimer()
DAY_SECONDS = 86400.0


class RateLimitWaitTooLong(Exception):
    """The budget asks to wait longer than we are willing to block a caller."""

    def __init__(self, seconds: float, why: str = "the forum asked") -> None:
        super().__init__(f"{why} to wait {seconds:.0f} s")
        self.seconds = seconds


class TokenBucket:
    """At most `per_minute` requests in any minute: a small burst, then a steady pace.

    The burst and the refill are split so that burst + one minute of refill never exceeds
    `per_minute`: Discourse counts requests over a rolling minute, not in a bucket.
    """

    def __init__(self, per_minute: int, timer: Timer = REAL_TIME) -> None:
        self.per_minute = per_minute
        self.capacity = float(max(1, per_minute // 5))
        self.rate = max(per_minute - self.capacity, per_minute / 2) / 60.0
        self._timer = timer
        self._tokens = self.capacity
        self._updated = timer.monotonic()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        """Nobody sends anything for `seconds` (a key-wide 429's Retry-After)."""
        self._paused_until = max(self._paused_until, self._timer.monotonic() + seconds)

    def paused_for(self) -> float:
        """How long the forum still wants us to wait, in seconds."""
        return max(0.0, self._paused_until - self._timer.monotonic())

    async def acquire(self, max_pause: float | None = None) -> None:
        """Wait for the right to send one request (callers are served in order)."""
        async with self._lock:
            while True:
                paused = self.paused_for()
                if paused > 0:
                    if max_pause is not None and paused > max_pause:
                        raise RateLimitWaitTooLong(paused)
                    await self._timer.sleep(paused)
                    continue
                self._refill()
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await self._timer.sleep((1 - self._tokens) / self.rate)

    def _refill(self) -> None:
        now = self._timer.monotonic()
        self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
        self._updated = now


class DayBudget:
    """The requests of the last 24 hours, counted as Discourse counts a user API key's
    (`user_api_key_limiter_1_day`: a rolling day). Never more than `per_day`."""

    def __init__(self, per_day: int, timer: Timer = REAL_TIME) -> None:
        self.per_day = per_day
        self._timer = timer
        self._sent: deque[float] = deque()

    def _expire(self, now: float) -> None:
        while self._sent and self._sent[0] <= now - DAY_SECONDS:
            self._sent.popleft()

    def used(self) -> int:
        """Requests sent in the last 24 hours."""
        self._expire(self._timer.monotonic())
        return len(self._sent)

    def wait(self) -> float:
        """Seconds until one more request fits in the day (0 when it does now)."""
        now = self._timer.monotonic()
        self._expire(now)
        if len(self._sent) < self.per_day:
            return 0.0
        return self._sent[0] + DAY_SECONDS - now

    def record(self) -> None:
        self._sent.append(self._timer.monotonic())

    def minutes_ago(self) -> dict[int, int]:
        """The requests of the last 24 hours by whole minutes ago (to keep across a restart:
        a monotonic time means nothing to the next process)."""
        now = self._timer.monotonic()
        self._expire(now)
        counts: dict[int, int] = {}
        for sent in self._sent:
            minute = int((now - sent) // 60)
            counts[minute] = counts.get(minute, 0) + 1
        return counts

    def restore(self, minutes_ago: dict[int, int], elapsed: float = 0.0) -> None:
        """Count again the requests an earlier process sent (`minutes_ago`, saved `elapsed`
        seconds ago), oldest first, as if sent at the end of their minute (never earlier)."""
        now = self._timer.monotonic()
        earlier = sorted(
            (now - elapsed - minute * 60.0, count)
            for minute, count in minutes_ago.items()
            if minute >= 0 and count > 0
        )
        restored = [at for at, count in earlier if at > now - DAY_SECONDS for _ in range(count)]
        self._sent = deque(sorted([*restored, *self._sent]))


class WriteKind(StrEnum):
    """What a POST /posts creates: Discourse limits each kind on its own."""

    REPLY = "reply"
    TOPIC = "topic"
    PRIVATE_MESSAGE = "private_message"


@dataclass
class PostPace:
    """The seconds Discourse wants between two posts, and between two new topics or private
    messages, of one account (`rate_limit_create_post`, `rate_limit_create_topic`; more for
    an account under a day old or at trust level 0)."""

    post_seconds: float = 5.0
    topic_seconds: float = 15.0

    @classmethod
    def for_account(cls, new_user: bool) -> PostPace:
        return cls(30.0, 120.0) if new_user else cls()


class ActionLimits:
    """When the bot may next post, by kind: the pace it keeps on its own, and the waits the
    forum asked for (a per-action 429 concerns that action only, never reading)."""

    def __init__(self, timer: Timer = REAL_TIME) -> None:
        self.pace = PostPace()
        self._timer = timer
        self._last_post = -1e12
        self._last_topic = -1e12
        self._blocked_until: dict[WriteKind, float] = {}

    def wait_for(self, kind: WriteKind) -> float:
        """Seconds before a post of `kind` may be sent (0: now)."""
        now = self._timer.monotonic()
        waits = [
            self._last_post + self.pace.post_seconds - now,
            self._blocked_until.get(kind, 0.0) - now,
        ]
        if kind is not WriteKind.REPLY:
            waits.append(self._last_topic + self.pace.topic_seconds - now)
        return max(0.0, *waits)

    def wrote(self, kind: WriteKind) -> None:
        now = self._timer.monotonic()
        self._last_post = now
        if kind is not WriteKind.REPLY:
            self._last_topic = now

    def refused(self, kind: WriteKind, wait: float) -> None:
        """The forum said 429 to a post of `kind`: no more of that kind for `wait` seconds."""
        until = self._timer.monotonic() + wait
        self._blocked_until[kind] = max(self._blocked_until.get(kind, 0.0), until)

    def blocked(self) -> dict[str, float]:
        """The kinds the forum is holding back, with the seconds left (for /healthz)."""
        now = self._timer.monotonic()
        return {
            kind.value: round(until - now)
            for kind, until in self._blocked_until.items()
            if until > now
        }
