"""How often to poll: slowly enough on a quiet forum to spend under half of the key's day,
quickly while a conversation is going on, never past the day's budget."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.connectors.discourse.limiter import DAY_SECONDS

# A quiet poll reads the notifications once; a look at the appeal category's list (two
# requests at most, as its first answer may be a redirection) is added every hour.
QUIET_POLL_REQUESTS = 1
SAFETY_NET_SECONDS = 3600.0
SAFETY_NET_REQUESTS = 2
# Quiet polling may spend this share of the day's budget (under half, as promised).
QUIET_SHARE = 0.45
# After a post was read, poll at the quick pace for this long.
ACTIVE_WINDOW_SECONDS = 600.0
# The quick pace is a quarter of poll_seconds, but never quicker than this.
MIN_ACTIVE_SECONDS = 5.0
# Quick polling stops once the last 24 hours used this share of the day's budget.
ACTIVE_CEILING = 0.75


@dataclass
class Pacer:
    """The pause before the next poll, from `poll_seconds`, the day's budget and activity.

    Quiet: `poll_seconds`, stretched so that a whole quiet day costs at most `QUIET_SHARE`
    of `requests_per_day` (with the default 2,880 a day, about 69 s rather than 60 s).
    Active (a post was read in the last ten minutes): a quarter of `poll_seconds`, while the
    day's spending stays under `ACTIVE_CEILING` of the budget.
    """

    poll_seconds: float
    requests_per_day: int
    active_until: float = field(default=-1.0)

    @property
    def quiet_seconds(self) -> float:
        safety_net = SAFETY_NET_REQUESTS * DAY_SECONDS / SAFETY_NET_SECONDS
        affordable = QUIET_SHARE * self.requests_per_day - safety_net
        floor = DAY_SECONDS * QUIET_POLL_REQUESTS / max(affordable, 1.0)
        return max(float(self.poll_seconds), floor)

    @property
    def active_seconds(self) -> float:
        return max(MIN_ACTIVE_SECONDS, self.poll_seconds / 4)

    def saw_activity(self, now: float) -> None:
        """Someone wrote: poll quickly for a while."""
        self.active_until = now + ACTIVE_WINDOW_SECONDS

    def is_active(self, now: float) -> bool:
        return now < self.active_until

    def next_pause(self, now: float, used_today: int) -> float:
        """Seconds until the next poll."""
        if self.is_active(now) and used_today < ACTIVE_CEILING * self.requests_per_day:
            return self.active_seconds
        return self.quiet_seconds
