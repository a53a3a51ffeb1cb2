"""Tremplin on Matrix against the bare echo bot, on one local Synapse: latency, burst, memory.

Run: ``python -m bench.bench_matrix`` from the repository root.
Targets: `!missions` p50 within 1.25x of the echo bot's `!ping`; bursts of 100 and 1,000
commands from 10 people all answered once; the `tremplin run` process under 150 MB RSS with
10,000 volunteers stored.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import yaml
from sqlalchemy import func, insert, select

from bench.bench_echo import running_echo_bot
from bench.echo_bot import measure_round_trips, summarize_ms
from bench.table import print_table
from bot.config import MatrixConfig, Secrets
from bot.connectors.matrix import MatrixConnector
from commands.brain import Brain
from commands.catalogue import import_catalogue
from commands.services import Services, Settings
from storage.database import Database
from storage.models import Identity, ProcessedEvent, Volunteer, VolunteerSkill
from tests.harness.synapse import RegisteredUser, SynapseServer

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "examples" / "missions.yaml"
RATIO_TARGET = 1.25
RSS_TARGET_MB = 150.0
VOLUNTEERS = 10_000
T = TypeVar("T")


def answers_missions(body: str) -> bool:
    return "Missions ouvertes" in body


async def eventually(probe: Callable[[], Awaitable[T | None]], within: float) -> T:
    deadline = time.monotonic() + within
    while (value := await probe()) is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"nothing within {within:.0f} s")
        await asyncio.sleep(0.2)
    return value


async def new_database(path: Path) -> tuple[Database, Services]:
    """SQLite with the example catalogue; flood control opened wide for one fast sender."""
    database = Database(f"sqlite+aiosqlite:///{path}")
    await database.upgrade()
    services = Services(Settings(flood_burst=10_000, flood_per_second=10_000.0))
    async with database.session() as session:
        await import_catalogue(
            session, CATALOGUE.read_text("utf-8"), services.taxonomy, now=services.clock()
        )
    return database, services


def matrix_config(
    server: SynapseServer, bot: RegisteredUser, store: Path, room: str
) -> MatrixConfig:
    return MatrixConfig(
        enabled=True,
        homeserver=server.base_url,
        user_id=bot.user_id,
        device_id=bot.device_id,
        store_path=str(store),
        rooms=[room],
    )


def secrets_for(bot: RegisteredUser) -> Secrets:
    return Secrets(bot.access_token, None, None, None, None)


async def room_with(server: SynapseServer, owner: RegisteredUser, *members: RegisteredUser) -> str:
    room = await server.create_room(owner, invite=[m.user_id for m in members])
    for member in members:
        await server.join(member, room)
    return room


ROUNDS = 5
BURST_PEOPLE = 10
BURST_SIZES = (10, 100)  # per person: 100 then 1,000 commands


@dataclass
class Results:
    echo: dict[str, float]
    tremplin: dict[str, float]
    bursts: list[tuple[int, int, float]]  # answered once, sent, seconds
    rss_mb: float
    peak_rss_mb: float


async def measure_latency_and_burst(
    server: SynapseServer, tmp: Path, n: int
) -> tuple[dict[str, float], dict[str, float], list[tuple[int, int, float]]]:
    """Echo `!ping` and Tremplin `!missions`, 50 each from one sender; then two bursts."""
    sender = await server.register("alice")
    echo_bot = await server.register("echo-bot")
    tremplin_bot = await server.register("tremplin")
    people = [await server.register(f"burst-{i}") for i in range(BURST_PEOPLE)]
    echo_room = await room_with(server, sender, echo_bot)
    tremplin_room = await room_with(server, sender, *people)
    await server.invite(sender, tremplin_room, tremplin_bot.user_id)

    database, services = await new_database(tmp / "latency.db")
    config = matrix_config(server, tremplin_bot, tmp / "tremplin-store", tremplin_room)
    connector = MatrixConnector(config, Brain(database, services), secrets_for(tremplin_bot))
    await connector.start()
    try:
        await connector.wait_until_synced(60)
        echo, tremplin = [], []
        async with running_echo_bot(server, echo_bot, tmp / "echo-store"):
            # Interleaved rounds: a change in the machine's load weighs on both bots alike.
            for _ in range(ROUNDS):
                echo += await measure_round_trips(
                    server, echo_bot, sender, echo_room, n=n // ROUNDS
                )
                tremplin += await measure_round_trips(
                    server,
                    tremplin_bot,
                    sender,
                    tremplin_room,
                    n=n // ROUNDS,
                    command="!missions",
                    expect=answers_missions,
                )
        bursts = [
            await burst(server, tremplin_bot, people, tremplin_room, database, size)
            for size in BURST_SIZES
        ]
    finally:
        await connector.stop()
        await database.dispose()
    return (
        summarize_ms([t.client_seconds for t in echo]),
        summarize_ms([t.client_seconds for t in tremplin]),
        bursts,
    )


async def delivered_count(session: Any) -> int:
    query = select(func.count()).select_from(ProcessedEvent).where(ProcessedEvent.delivered)
    return int(await session.scalar(query) or 0)


async def whole_history(server: SynapseServer, user: RegisteredUser, room: str) -> list[dict]:
    """Every event of the room, newest first, page after page (Synapse caps a page)."""
    events: list[dict] = []
    params = {"dir": "b", "limit": "1000"}
    path = f"/_matrix/client/v3/rooms/{quote(room, safe='')}/messages"
    while True:
        page = await server.request("GET", path, user=user, params=params)
        events += page.get("chunk", [])
        if not page.get("chunk") or not page.get("end"):
            return events
        params = {**params, "from": page["end"]}


async def burst(
    server: SynapseServer,
    bot: RegisteredUser,
    people: list[RegisteredUser],
    room: str,
    database: Database,
    per_person: int,
) -> tuple[int, int, float]:
    """`per_person` commands from each person at once; how many got one answer, how fast.

    The clock stops when the bot has delivered as many answers as commands (read cheaply in
    its database); then the room's whole history is read once to check each got exactly one.
    """
    began = time.perf_counter()
    async with database.session() as session:
        before = await delivered_count(session)

    async def one_person(person: RegisteredUser) -> list[str]:
        return [
            await server.send_text(person, room, f"!mission {1 + k % 9}") for k in range(per_person)
        ]

    commands = [c for sent in await asyncio.gather(*map(one_person, people)) for c in sent]

    async def all_delivered() -> bool | None:
        async with database.session() as session:
            done = await delivered_count(session) - before >= len(commands)
        return True if done else None

    with contextlib.suppress(TimeoutError):
        await eventually(all_delivered, within=60 + len(commands) / 5)
    seconds = time.perf_counter() - began
    counts: Counter[str] = Counter()
    for event in await whole_history(server, bot, room):
        relation = event.get("content", {}).get("m.relates_to") or {}
        target = (relation.get("m.in_reply_to") or {}).get("event_id")
        if event["sender"] == bot.user_id and target:
            counts[target] += 1
    return sum(1 for c in commands if counts[c] == 1), len(commands), seconds


async def fill_volunteers(database: Database, count: int) -> None:
    """`count` volunteers with a Matrix identity and two skills, inserted in bulk."""
    now = datetime.now(UTC)
    volunteers = [
        {
            "id": i,
            "language": "fr",
            "trust": "newcomer",
            "skills_text": "css et traduction",
            "alerts": i % 3 == 0,
            "findable": i % 2 == 0,
            "consent_at": now,
            "created_at": now,
            "last_active_at": now,
        }
        for i in range(1, count + 1)
    ]
    identities = [
        {"volunteer_id": i, "address": f"@volunteer{i}:bench.test", "platform": "matrix"}
        for i in range(1, count + 1)
    ]
    skills = [
        {"volunteer_id": i, "tag": tag, "position": p}
        for i in range(1, count + 1)
        for p, tag in enumerate(("css", "traduction"))
    ]
    async with database.session() as session:
        for model, rows in (
            (Volunteer, volunteers),
            (Identity, identities),
            (VolunteerSkill, skills),
        ):
            for start in range(0, len(rows), 5000):
                await session.execute(insert(model), rows[start : start + 5000])


def vm_kib(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return float(line.split()[1])
    return float("nan")


async def measure_rss(server: SynapseServer, tmp: Path) -> tuple[float, float]:
    """`python -m bot run` with 10,000 volunteers stored: its RSS once it has answered."""
    bot = await server.register("tremplin-rss")
    sender = await server.register("rss-sender")
    room = await server.create_room(sender, invite=[bot.user_id])
    db_path = tmp / "rss.db"
    database, _ = await new_database(db_path)
    await fill_volunteers(database, VOLUNTEERS)
    await database.dispose()
    config: dict[str, Any] = {
        "database_url": f"sqlite+aiosqlite:///{db_path}",
        "matrix": matrix_config(server, bot, tmp / "rss-store", room).model_dump(),
        "web": {"enabled": False},
    }
    config_path = tmp / "config.yaml"
    config_path.write_text(yaml.safe_dump(config))
    env = {**os.environ, "TREMPLIN_MATRIX_ACCESS_TOKEN": bot.access_token}
    with (tmp / "rss-bot.log").open("wb") as log_file:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "--config",
            str(config_path),
            "run",
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=log_file,
        )
    try:
        command = await server.send_text(sender, room, "!missions")

        async def answered() -> bool | None:
            for event in await server.messages(sender, room, limit=50):
                relation = event.get("content", {}).get("m.relates_to") or {}
                if (relation.get("m.in_reply_to") or {}).get("event_id") == command:
                    return True
            if process.returncode is not None:
                raise RuntimeError(f"tremplin run exited: see {tmp / 'rss-bot.log'}")
            return None

        await eventually(answered, within=90)
        await asyncio.sleep(1.0)
        return vm_kib(process.pid, "VmRSS") / 1024, vm_kib(process.pid, "VmHWM") / 1024
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 20)
        except TimeoutError:
            process.kill()
            await process.wait()


async def run(n: int) -> Results:
    async with SynapseServer(rate_limits="relaxed") as server:
        print(f"synapse ready in {server.startup_seconds:.2f} s at {server.base_url}")
        with tempfile.TemporaryDirectory(prefix="tremplin-bench-matrix-") as name:
            tmp = Path(name)
            echo, tremplin, bursts = await measure_latency_and_burst(server, tmp, n)
            rss, peak = await measure_rss(server, tmp)
    return Results(echo, tremplin, bursts, rss, peak)


def report(results: Results, n: int) -> None:
    echo, tremplin = results.echo, results.tremplin
    ratio = tremplin["p50"] / echo["p50"]
    print()
    print_table(
        f"round trip seen by the sender, ms (n={n}, one sender, relaxed limits)",
        ("", "p50", "p95", "max"),
        [
            (label, f"{s['p50']:.1f}", f"{s['p95']:.1f}", f"{s['max']:.1f}")
            for label, s in (("echo bot, !ping", echo), ("Tremplin, !missions", tremplin))
        ]
        + [("Tremplin / echo", f"{ratio:.2f}", f"{tremplin['p95'] / echo['p95']:.2f}", "")],
    )
    print()
    print_table(
        "load and memory",
        ("", "measured", "target", ""),
        [
            (
                "ratio p50, Tremplin / echo",
                f"{ratio:.2f}",
                f"<= {RATIO_TARGET}",
                "ok" if ratio <= RATIO_TARGET else "over",
            ),
            *(
                (
                    f"{BURST_PEOPLE} people x {sent // BURST_PEOPLE} commands, answered once",
                    f"{answered}/{sent} in {seconds:.1f} s ({sent / seconds:.0f}/s)",
                    f"{sent}/{sent}",
                    "ok" if answered == sent else "MISSING",
                )
                for answered, sent, seconds in results.bursts
            ),
            (
                f"tremplin run RSS, {VOLUNTEERS:,} volunteers",
                f"{results.rss_mb:.0f} MB (peak {results.peak_rss_mb:.0f})",
                f"< {RSS_TARGET_MB:.0f} MB",
                "ok" if results.rss_mb < RSS_TARGET_MB else "over",
            ),
        ],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=50, help="round trips per bot (default 50)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    # nio warns "Missing session for device" before its first Olm key claim: expected here.
    logging.getLogger("nio").setLevel(logging.ERROR)
    report(asyncio.run(run(args.n)), args.n)


if __name__ == "__main__":
    main()
