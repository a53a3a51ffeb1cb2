"""Web board throughput: requests per second on GET /missions against a fixed small HTML page.

Run from the repository root: ``.venv/bin/python -m bench.bench_web [--seconds 5] [-c 20]``.
Both servers run in this process on 127.0.0.1 (the example catalogue, SQLite); the load comes
from a separate process keeping N aiohttp connections busy for a fixed time, the same way for
every case, so the figures compare. The server's CPU time per request is shown too: on a
machine shared with other work, it moves much less than requests per second do.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import aiohttp
from aiohttp import web

from bench.table import print_table
from bot.app import start_tremplin
from bot.board import BOARD_KEY, RECHECK_SECONDS
from bot.config import Config, Secrets
from bot.web import make_app

ROOT = Path(__file__).resolve().parents[1]
BASELINE_PAGE = (
    b"<!doctype html><html lang='fr'><head><meta charset='utf-8'><title>Missions</title>"
    b"</head><body><h1>Missions</h1><p>Une page fixe.</p></body></html>"
)


# --- the load generator (runs in its own process) --------------------------------------------


@dataclass
class Load:
    requests: int = 0
    errors: int = 0


@dataclass(frozen=True)
class Measured:
    """What one case got: requests per second, and the server's CPU time per request."""

    rps: float
    cpu_us_per_request: float


async def keep_asking(session: aiohttp.ClientSession, url: str, until: float, load: Load) -> None:
    while time.perf_counter() < until:
        async with session.get(url) as response:
            await response.read()
            if response.status == 200:
                load.requests += 1
            else:
                load.errors += 1


async def generate_load(
    url: str, connections: int, seconds: float, warmup: float
) -> tuple[Load, Load]:
    """`connections` clients asking `url` back to back; what they got warming up, in `seconds`."""
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:
        start = time.perf_counter()
        warm = Load()
        await asyncio.gather(
            *(keep_asking(session, url, start + warmup, warm) for _ in range(connections))
        )
        measured = Load()
        until = time.perf_counter() + seconds
        await asyncio.gather(
            *(keep_asking(session, url, until, measured) for _ in range(connections))
        )
    return warm, measured


async def measure(url: str, connections: int, seconds: float, warmup: float) -> Measured:
    """Requests per second on `url`, as seen by a separate load-generating process, and what
    each cost this (the serving) process in CPU time, warm-up included."""
    cpu_before = time.process_time()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.bench_web",
        "--load",
        url,
        "--connections",
        str(connections),
        "--seconds",
        str(seconds),
        "--warmup",
        str(warmup),
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    output, _ = await process.communicate()
    cpu = time.process_time() - cpu_before
    if process.returncode != 0:
        raise RuntimeError(f"the load generator failed on {url}")
    result = json.loads(output)
    if result["errors"]:
        raise RuntimeError(f"{result['errors']} failed requests on {url}")
    served = result["requests"] + result["warmup_requests"]
    return Measured(float(result["requests"]) / seconds, cpu / max(served, 1) * 1e6)


# --- the servers -----------------------------------------------------------------------------


async def fixed_page(request: web.Request) -> web.Response:
    return web.Response(body=BASELINE_PAGE, content_type="text/html", charset="utf-8")


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """`app` on a free port of 127.0.0.1; its base URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


def bench_config(directory: str) -> Config:
    return Config.model_validate(
        {
            "database_url": f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}",
            "catalog": str(ROOT / "examples" / "missions.yaml"),
            "web": {"public_url": "https://benevoles.mla.example"},
        }
    )


@dataclass(frozen=True)
class Case:
    """One way of serving /missions."""

    label: str
    caching: bool = True
    recheck_seconds: float = RECHECK_SECONDS


CASES = (
    Case("/missions, rendered for every request (no cache)", caching=False),
    Case("/missions, cached, fingerprint query every request", recheck_seconds=0.0),
    Case(f"/missions, cached, as served (recheck {RECHECK_SECONDS:g} s)"),
)


async def run(connections: int, seconds: float, warmup: float) -> list[tuple[str, Measured]]:
    """Requests per second: the fixed page first, then /missions in each caching mode."""
    baseline = web.Application()
    baseline.router.add_get("/", fixed_page)
    with tempfile.TemporaryDirectory() as directory:
        tremplin = await start_tremplin(bench_config(directory))
        board_app = make_app(tremplin, Secrets.from_environment({}))
        board = board_app[BOARD_KEY]
        try:
            async with serving(baseline) as fixed, serving(board_app) as served:
                measured = await measure(f"{fixed}/", connections, seconds, warmup)
                results = [("fixed small HTML page (baseline)", measured)]
                for case in CASES:
                    board.caching, board.cache.recheck_seconds = case.caching, case.recheck_seconds
                    measured = await measure(f"{served}/missions", connections, seconds, warmup)
                    results.append((case.label, measured))
        finally:
            await tremplin.close()
    return results


def show(results: list[tuple[str, Measured]], connections: int, seconds: float) -> None:
    baseline = results[0][1]
    rows = [
        (
            label,
            f"{got.rps:,.0f}",
            f"{got.rps / baseline.rps:.2f}x",
            f"{got.cpu_us_per_request:,.0f}",
            f"{got.cpu_us_per_request / baseline.cpu_us_per_request:.2f}x",
        )
        for label, got in results
    ]
    title = f"web board: GET, {connections} connections, {seconds:g} s per case"
    header = ("served", "req/s", "vs baseline", "server CPU µs/req", "vs baseline")
    print_table(title, header, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-c", "--connections", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=5.0, help="measured time per case")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured time per case")
    parser.add_argument("--load", metavar="URL", help=argparse.SUPPRESS)  # the load process
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    if args.load:
        warm, load = asyncio.run(
            generate_load(args.load, args.connections, args.seconds, args.warmup)
        )
        print(
            json.dumps(
                {"requests": load.requests, "warmup_requests": warm.requests, "errors": load.errors}
            )
        )
        return
    results = asyncio.run(run(args.connections, args.seconds, args.warmup))
    if args.json:
        print(json.dumps({label: asdict(got) for label, got in results}, indent=2))
        return
    show(results, args.connections, args.seconds)


if __name__ == "__main__":
    main()
