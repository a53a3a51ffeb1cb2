"""API Engagement reconciliation cost: time and requests for a catalogue of N public missions.

Run: ``python -m bench.bench_diffusion [--missions 300]`` from the repository root.
Against the fake API Engagement, run in a process of its own (it checks every request and
answer against the OpenAPI document, which takes most of the time measured), on SQLite: the
first pass (everything created), a pass with nothing to do, a pass after one edit, and how long
the bot's event loop was ever kept from running meanwhile. The bot's own pace is set out of
the way here (`requests_per_minute` 60,000); at the default 60 a minute, the first pass of N
missions takes about N seconds, which the table also says.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.table import print_table
from bot.app import Tremplin
from bot.config import Config, Secrets
from bot.connectors.api_engagement import ApiEngagementConnector
from bot.connectors.api_engagement.client import ApiEngagementClient
from bot.runner import warm_up
from storage import missions as mission_store
from storage.database import Database
from tests.conversation import Clock, make_brain
from tests.fakes.api_engagement import DOCUMENT, FakeApiEngagement

FAKE_KEY = FakeApiEngagement.key
SERVE_FAKE = """
import asyncio
from tests.fakes.api_engagement import FakeApiEngagement

async def serve():
    fake = FakeApiEngagement(per_minute=1_000_000)
    await fake.start()
    print(fake.url, flush=True)
    await asyncio.Event().wait()

asyncio.run(serve())
"""


class CountingClient(ApiEngagementClient):
    """The client, counting the requests it sends."""

    sent = 0

    async def _send(self, *arguments: Any) -> Any:  # type: ignore[override]
        CountingClient.sent += 1
        return await super()._send(*arguments)


SKILLS = (["css", "html"], ["traduction", "anglais"], ["graphisme"], ["rgpd", "droit"])


class LoopWatch:
    """The longest the event loop was kept from running, sampled every millisecond, and the
    longest garbage collection meanwhile (Python's own pause, in any code)."""

    def __init__(self) -> None:
        self.longest = 0.0
        self.longest_collection = 0.0
        self._task: asyncio.Task[None] | None = None
        self._collecting = 0.0

    def _collection(self, phase: str, _info: dict[str, Any]) -> None:
        if phase == "start":
            self._collecting = time.perf_counter()
        else:
            pause = time.perf_counter() - self._collecting
            self.longest_collection = max(self.longest_collection, pause)

    async def _watch(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.001)
            self.longest = max(self.longest, time.perf_counter() - before - 0.001)

    def __enter__(self) -> LoopWatch:
        self._task = asyncio.get_running_loop().create_task(self._watch())
        gc.callbacks.append(self._collection)
        return self

    def __exit__(self, *_: object) -> None:
        gc.callbacks.remove(self._collection)
        if self._task is not None:
            self._task.cancel()


async def measure(missions: int) -> list[list[str]]:
    fake = await asyncio.create_subprocess_exec(
        sys.executable, "-c", SERVE_FAKE, stdout=asyncio.subprocess.PIPE
    )
    assert fake.stdout is not None
    url = (await fake.stdout.readline()).decode().strip()
    try:
        return await measure_against(url, missions)
    finally:
        fake.terminate()
        await fake.wait()


async def measure_against(url: str, missions: int) -> list[list[str]]:
    await warm_up()  # as `tremplin run` does: the message catalogue read off the loop
    with tempfile.TemporaryDirectory() as folder:
        database = Database(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}")
        await database.upgrade()
        clock = Clock()
        async with database.session() as session:
            for number in range(missions):
                await mission_store.create(
                    session,
                    {
                        "title": f"Mission de test numéro {number}",
                        "summary": "Une mission pour mesurer",
                        "description": "Une description de quelques lignes.\n\nEt une autre.",
                        "skills": SKILLS[number % len(SKILLS)],
                        "effort": "2 h",
                    },
                    clock(),
                )
        config = Config.model_validate(
            {
                "web": {"public_url": "https://benevoles.mla.example"},
                "api_engagement": {
                    "enabled": True,
                    "url": url,
                    "organization": {"name": "MLA", "rna": "W751234567"},
                    "requests_per_minute": 600,
                },
            }
        )
        tremplin = Tremplin(config, database, make_brain(database, clock))
        secrets = Secrets.from_environment({"TREMPLIN_API_ENGAGEMENT_KEY": FAKE_KEY})
        connector = ApiEngagementConnector.from_settings(tremplin, secrets)
        connector.client.__class__ = CountingClient
        connector.client.bucket.__init__(60_000)  # type: ignore[misc]  # pacing out of the way
        rows = []
        for case in ("first pass (all created)", "nothing to do", "one mission edited"):
            if case == "one mission edited":
                async with database.session() as session:
                    edited = await mission_store.get(session, 1)
                    assert edited is not None
                    mission_store.apply(edited, {"effort": "3 h"}, clock())
            before = CountingClient.sent
            with LoopWatch() as watch:
                started = time.perf_counter()
                report = await connector.reconcile()
                elapsed = time.perf_counter() - started
            assert report.ok, report
            requests = CountingClient.sent - before
            rows.append(
                [
                    case,
                    f"{elapsed * 1000:.0f} ms",
                    str(requests),
                    f"{elapsed * 1000 / max(requests, 1):.1f} ms",
                    f"{watch.longest * 1000:.1f} ms",
                    f"{watch.longest_collection * 1000:.1f} ms",
                ]
            )
        await connector.stop()
        await database.dispose()
    rows.append(
        [
            "first pass at the default pace (60/min)",
            f"≈ {missions} s",
            str(missions + 1),
            "",
            "",
            "",
        ]
    )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--missions", type=int, default=300)
    args = parser.parse_args()
    if not DOCUMENT.exists():
        print(f"skipped: the OpenAPI document is not at {DOCUMENT}")
        return 0
    rows = asyncio.run(measure(args.missions))
    print_table(
        f"API Engagement reconciliation, {args.missions} public open missions (SQLite)",
        ["pass", "time", "requests", "per request", "longest loop block", "longest GC pause"],
        rows,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
