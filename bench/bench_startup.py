"""Start-up time and memory of `tremplin run` with 10,000 volunteers in the database.

Run: ``python -m bench.bench_startup`` from the repository root. The baseline is a bare
aiohttp server started the same way (a Python process answering one route).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from bench.bench_matching import fill_volunteers
from bench.table import print_table
from commands.catalogue import import_catalogue
from commands.skills import Taxonomy
from storage.database import Database

ROOT = Path(__file__).resolve().parents[1]
BASELINE = """
from aiohttp import web
async def ok(request): return web.Response(text="ok")
app = web.Application(); app.router.add_get("/healthz", ok)
web.run_app(app, host="127.0.0.1", port={port}, print=None)
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def wait_until_up(port: int, limit: float = 60.0) -> float:
    started = time.perf_counter()
    async with aiohttp.ClientSession() as client:
        while time.perf_counter() - started < limit:
            try:
                async with client.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status in (200, 503):
                        return time.perf_counter() - started
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.02)
    raise TimeoutError("the server never answered")


async def measure(command: list[str], port: int, env: dict[str, str]) -> tuple[float, float]:
    process = await asyncio.create_subprocess_exec(
        *command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        seconds = await wait_until_up(port)
        await asyncio.sleep(1.0)  # let it settle
        return seconds, rss_mb(process.pid)
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 10)


async def prepare(directory: Path, volunteers: int) -> Path:
    database_path = directory / "bench.db"
    database = Database(f"sqlite+aiosqlite:///{database_path}")
    await database.upgrade()
    async with database.session() as session:
        await import_catalogue(
            session,
            (ROOT / "examples" / "missions.yaml").read_text("utf-8"),
            Taxonomy.default(),
            now=datetime.now(UTC),
        )
    await fill_volunteers(database, volunteers, sorted(Taxonomy.default().tags))
    await database.dispose()
    return database_path


async def run(volunteers: int, repeats: int) -> list[tuple[str, str, str]]:
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        database_path = await prepare(directory, volunteers)
        tremplin_times, tremplin_rss, base_times, base_rss = [], [], [], []
        for _ in range(repeats):
            port = free_port()
            config = directory / "config.yaml"
            config.write_text(
                f"database_url: sqlite+aiosqlite:///{database_path}\n"
                f"web: {{enabled: true, host: 127.0.0.1, port: {port}}}\n",
                "utf-8",
            )
            env = {**os.environ, "TREMPLIN_CONFIG": str(config)}
            env.pop("TREMPLIN_DATABASE_URL", None)
            seconds, rss = await measure([sys.executable, "-m", "bot", "run"], port, env)
            tremplin_times.append(seconds)
            tremplin_rss.append(rss)
            port = free_port()
            seconds, rss = await measure(
                [sys.executable, "-c", BASELINE.format(port=port)], port, dict(os.environ)
            )
            base_times.append(seconds)
            base_rss.append(rss)
    return [
        (
            f"start-up, {volunteers:,} volunteers (median)",
            f"{statistics.median(tremplin_times) * 1000:.0f} ms",
            f"bare aiohttp: {statistics.median(base_times) * 1000:.0f} ms",
        ),
        (
            "RSS after start-up",
            f"{statistics.median(tremplin_rss):.0f} MB",
            f"bare aiohttp: {statistics.median(base_rss):.0f} MB; target < 150 MB",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--volunteers", type=int, default=10_000)
    parser.add_argument("-n", "--repeats", type=int, default=3)
    args = parser.parse_args()
    rows = asyncio.run(run(args.volunteers, args.repeats))
    print_table("start-up", ("", "measured", "baseline"), rows)


if __name__ == "__main__":
    main()
