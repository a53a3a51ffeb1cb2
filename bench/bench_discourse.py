"""Forum polling cost: requests per hour at the default poll interval, with N appeal topics.

Run: ``python -m bench.bench_discourse`` from the repository root.
Counts the requests a fake Discourse receives over one simulated hour of polls, on a quiet
forum and on a forum where a member replies to a call every minute, and compares them with
the budgets: 20 requests a minute for a user API key (1,200 an hour), 60 a minute shared by
every admin key of the site (3,600 an hour). Also says how long the event loop was ever kept
from running meanwhile (pydiscourse's blocking requests must stay in worker threads).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from bot.config import DiscourseConfig
from bot.connectors.discourse import DiscourseConnector, ForumClient
from bot.runner import warm_up
from commands.catalogue import import_catalogue
from storage.database import Database
from storage.models import Appeal
from tests.conversation import make_brain
from tests.fakes.discourse import FakeDiscourse

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "examples" / "missions.yaml"
BOT = "tremplin"
KEY = "cle-admin-du-banc-d-essai-0123456789"
CATEGORY = 17
USER_KEY_BUDGET_PER_HOUR = 20 * 60
SITE_BUDGET_PER_HOUR = 60 * 60
REPLY = "Bonjour, je fais du CSS et je traduis de l'anglais, je peux aider ! (message {n})"


TICK = 0.005  # seconds between two looks at the event loop


@dataclass(frozen=True)
class Cost:
    topics: int
    polls: int
    quiet: int
    busy: int
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


async def measure(topics: int, poll_seconds: int, workdir: Path) -> Cost:
    """Requests over one hour of polls, quiet then with one reply a minute."""
    forum = FakeDiscourse(rate_limit_admin=None, rate_limit_user=None)
    forum.add_user(BOT)
    forum.add_category(CATEGORY, "Appels à bénévoles")
    forum.add_admin_key(KEY)
    polls = 3600 // poll_seconds
    for n in range(polls):
        forum.add_user(f"membre{n}")
    await forum.start()
    database = Database(f"sqlite+aiosqlite:///{workdir / f'bench-{topics}.db'}")
    await database.upgrade()
    brain = make_brain(database)
    settings = DiscourseConfig(
        enabled=True,
        url=forum.url,
        username=BOT,
        appeal_category=CATEGORY,
        poll_seconds=poll_seconds,
    )
    # The bench counts requests; it does not wait for the real pace between them.
    client = ForumClient(forum.url, BOT, KEY, requests_per_minute=1_000_000)
    connector = DiscourseConnector(brain, settings, KEY, client=client)
    try:
        async with database.session() as session:
            now = brain.services.clock()
            await import_catalogue(
                session, CATALOGUE.read_text("utf-8"), brain.services.taxonomy, now=now
            )
            for n in range(topics):
                title = f"Appel à bénévoles numéro {n + 1} de la MLA"
                body = f"Nous cherchons des bénévoles (appel {n + 1})."
                topic = forum.create_topic_as(BOT, title, body, CATEGORY)
                session.add(Appeal(channel="forum", place=str(topic.id), created_at=now))
        appeal_ids = [topic.id for topic in forum.topics]
        await warm_up()  # as `tremplin run` does
        await connector.poll_once()  # the first poll after a start looks at every topic once

        async with loop_watch() as stall:
            before = len(forum.requests)
            for _ in range(polls):
                forum.advance(poll_seconds)
                await connector.poll_once()
            quiet = len(forum.requests) - before

            before = len(forum.requests)
            for n in range(polls):
                forum.advance(poll_seconds)
                if (n * poll_seconds) % 60 == 0 or poll_seconds >= 60:
                    topic_id = appeal_ids[n % len(appeal_ids)]
                    forum.member_posts(f"membre{n}", topic_id, REPLY.format(n=n))
                await connector.poll_once()
            busy = len(forum.requests) - before
        return Cost(topics, polls, quiet, busy, stall[0] * 1000)
    finally:
        await connector.stop()
        await database.dispose()
        await forum.stop()


def share(requests: int, budget: int) -> str:
    return f"{requests / budget:.0%}"


def table(costs: list[Cost], poll_seconds: int) -> str:
    """One line per topic count; "one read per topic" is what polling each topic would cost."""
    header = (
        "appeal topics",
        "quiet req/h",
        "% user key",
        "% site",
        "reply/min req/h",
        "% user key",
        "% site",
        "one read per topic, quiet",
        "longest loop stall",
    )
    rows = [
        (
            str(cost.topics),
            str(cost.quiet),
            share(cost.quiet, USER_KEY_BUDGET_PER_HOUR),
            share(cost.quiet, SITE_BUDGET_PER_HOUR),
            str(cost.busy),
            share(cost.busy, USER_KEY_BUDGET_PER_HOUR),
            share(cost.busy, SITE_BUDGET_PER_HOUR),
            str(cost.polls * (1 + cost.topics)),
            f"{cost.stall_ms:.0f} ms",
        )
        for cost in costs
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        f"Forum polling every {poll_seconds} s ({costs[0].polls} polls an hour); budgets: "
        f"user API key {USER_KEY_BUDGET_PER_HOUR}/h, site (admin keys) {SITE_BUDGET_PER_HOUR}/h",
        "",
    ]
    for row in [header, *rows]:
        lines.append(" | ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))
    return "\n".join(lines)


async def run(topic_counts: list[int], poll_seconds: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        costs = [await measure(n, poll_seconds, Path(directory)) for n in topic_counts]
    print(table(costs, poll_seconds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--topics", type=int, nargs="+", default=[1, 5, 20])
    parser.add_argument("--poll-seconds", type=int, default=DiscourseConfig().poll_seconds)
    args = parser.parse_args()
    asyncio.run(run(args.topics, args.poll_seconds))


if __name__ == "__main__":
    main()
