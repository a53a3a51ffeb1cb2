"""The forum by polling: how long a member waits for an answer, and what a quiet day costs.

Run: ``python -m bench.bench_discourse`` from the repository root.

Tremplin runs against the fake Discourse with its default settings and limits (the bot at
trust level 1 with a user API key: 20 requests a minute, 2,880 a day), at the default
`discourse.poll_seconds`, on one simulated clock shared by the forum and the bot (a day
takes seconds). Measured:

* the reply delay seen by a member (from their post's time to the answer's, both the
  forum's), for a first message on a quiet forum and for follow-ups while a conversation goes
  on; the arrival time within a polling interval is drawn at random, as people don't write in
  step with the bot;
* the requests of a quiet 24-hour day, against the key's day budget;
* the longest time the event loop was ever kept from running (blocking calls must stay in
  worker threads).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from bench.table import print_table
from bot.config import DiscourseConfig
from bot.connectors.discourse.pacing import Pacer
from bot.runner import warm_up
from storage.database import Database
from tests.conversation import Clock
from tests.discourse.forum import ForumWorld, Timeline, new_forum, populate, started_at

DAY = 86400.0
TICK = 0.005  # seconds between two looks at the event loop
MEMBERS = ("alice", "bob", "chloe", "yann_k", "audrey.l", "claire")
FIRST = "Bonjour, je fais du CSS et je traduis de l'anglais, je peux aider ! (message {n})"
FOLLOW_UP = "Merci ! Et pour la traduction, c'est combien de temps par mois ? ({n})"


@dataclass(frozen=True)
class Figures:
    quiet_requests: int
    quiet_seconds: float
    active_seconds: float
    first: list[float]
    follow_ups: list[float]
    stall_ms: float


@contextlib.asynccontextmanager
async def loop_watch() -> AsyncIterator[list[float]]:
    """The longest time, in seconds, a TICK sleep overran while the block ran (one value)."""
    longest = [0.0]

    async def watch() -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(TICK)
            longest[0] = max(longest[0], time.perf_counter() - before - TICK)

    task = asyncio.create_task(watch())
    try:
        yield longest
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def world_in(directory: Path, name: str) -> ForumWorld:
    timeline = Timeline(Clock(started_at()))
    forum = new_forum(timeline)
    populate(forum)
    await forum.start()
    database = Database(f"sqlite+aiosqlite:///{directory / f'{name}.db'}")
    await database.upgrade()
    world = ForumWorld(forum, database, timeline)
    await world.start(poll_seconds=DiscourseConfig().poll_seconds)
    await world.load_catalogue()
    return world


async def close(world: ForumWorld) -> None:
    await world.close()
    await world.forum.stop()
    await world.database.dispose()


async def quiet_day(directory: Path) -> tuple[int, float]:
    """Requests over 24 simulated hours with one call for volunteers and nobody writing."""
    world = await world_in(directory, "quiet")
    try:
        await world.publish_appeal()
        assert world.connector is not None
        before = len(world.forum.requests)
        elapsed = 0.0
        async with loop_watch() as stall:
            while elapsed < DAY:
                await world.poll()
                pause = world.connector.next_pause()
                world.later(pause)
                elapsed += pause
        return len(world.forum.requests) - before, stall[0] * 1000
    finally:
        await close(world)


async def answered_after(world: ForumWorld, topic_id: int, member: str, count: int) -> float:
    """Poll at the bot's own pace until `member` has `count` answers; the forum-time delay
    between their last post and that answer."""
    assert world.connector is not None
    posted = [p for p in world.forum.posts_in(topic_id) if p.username == member][-1]
    for _ in range(100):
        if world.answered(topic_id, member) >= count:
            break
        world.later(world.connector.next_pause())
        await world.poll()
    answer = [p for p in world.answers(topic_id) if p.raw.startswith(f"@{member} ")][-1]
    return (answer.created_at - posted.created_at).total_seconds()


async def conversations(directory: Path, count: int, seed: int) -> tuple[list[float], list[float]]:
    """`count` conversations: a first message on a quiet forum, then three follow-ups."""
    rng = random.Random(seed)
    world = await world_in(directory, "conversations")
    first: list[float] = []
    follow_ups: list[float] = []
    try:
        topic_id = await world.publish_appeal()
        assert world.connector is not None
        connector = world.connector
        asked: dict[str, int] = {}
        for n in range(count):
            world.later(700)  # past the quick pace's ten minutes: the forum is quiet again
            await world.poll()
            member = MEMBERS[n % len(MEMBERS)]
            pause = connector.next_pause()
            arrival = rng.uniform(0, pause)  # somewhere within the next polling interval
            world.later(arrival)
            world.forum.member_posts(member, topic_id, FIRST.format(n=n))
            world.later(pause - arrival)
            await world.poll()
            asked[member] = asked.get(member, 0) + 1
            first.append(await answered_after(world, topic_id, member, asked[member]))
            for turn in range(3):
                world.later(rng.uniform(30, 180))  # the member reads, then writes again
                world.forum.member_posts(member, topic_id, FOLLOW_UP.format(n=f"{n}.{turn}"))
                world.later(rng.uniform(0, connector.next_pause()))
                await world.poll()
                asked[member] += 1
                follow_ups.append(await answered_after(world, topic_id, member, asked[member]))
        return first, follow_ups
    finally:
        await close(world)


async def measure(count: int, seed: int) -> Figures:
    await warm_up()  # as `tremplin run` does
    with tempfile.TemporaryDirectory() as directory:
        requests, stall = await quiet_day(Path(directory))
        first, follow_ups = await conversations(Path(directory), count, seed)
    pacer = Pacer(DiscourseConfig().poll_seconds, DiscourseConfig().requests_per_day)
    return Figures(requests, pacer.quiet_seconds, pacer.active_seconds, first, follow_ups, stall)


def report(figures: Figures) -> None:
    budget = DiscourseConfig().requests_per_day

    def delays(values: list[float]) -> str:
        p50, p95 = statistics.median(values), percentile(values, 0.95)
        return f"{p50:.0f} / {p95:.0f} s ({len(values)} answers)"

    print_table(
        f"forum by polling, poll_seconds={DiscourseConfig().poll_seconds} (user API key)",
        ("what", "measured"),
        [
            ("reply delay, first message on a quiet forum (p50 / p95)", delays(figures.first)),
            ("reply delay, during a conversation (p50 / p95)", delays(figures.follow_ups)),
            (
                "requests on a quiet day (24 h)",
                f"{figures.quiet_requests} ({figures.quiet_requests / budget:.0%} of {budget})",
            ),
            (
                "poll interval, quiet / during a conversation",
                f"{figures.quiet_seconds:.0f} s / {figures.active_seconds:.0f} s",
            ),
            ("longest event-loop stall", f"{figures.stall_ms:.0f} ms"),
        ],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--conversations", type=int, default=40)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    report(asyncio.run(measure(args.conversations, args.seed)))


if __name__ == "__main__":
    main()
