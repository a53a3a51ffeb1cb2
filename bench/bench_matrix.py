"""Tremplin on Matrix against the bare echo bot, on one local Synapse: latency, burst, memory;
then its keys (start-up with the device check and cross-signing), how soon the sender of an
unreadable message is told, and naming someone among a big room's members.

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
from commands.context import IncomingMessage, Mention, Place
from commands.people import read_person
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


ROOM_MEMBERS = 10_000
LONG_POLL_SECONDS = 30
GRACE_SECONDS = 1.0


@dataclass
class Results:
    echo: dict[str, float]
    tremplin: dict[str, float]
    bursts: list[tuple[int, int, float]]  # answered once, sent, seconds
    rss_mb: float
    peak_rss_mb: float
    keys: dict[str, float]  # what: milliseconds


async def told_after(
    server: SynapseServer, sender: RegisteredUser, room: str, event_id: str, began: float
) -> float:
    """Milliseconds from `began` until the bot's note answering `event_id` is in the room."""

    async def noted() -> bool | None:
        for event in await server.messages(sender, room, limit=20):
            relation = event.get("content", {}).get("m.relates_to") or {}
            if (relation.get("m.in_reply_to") or {}).get("event_id") == event_id:
                return True
        return None

    deadline = time.monotonic() + 2 * LONG_POLL_SECONDS
    while await noted() is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"no note for {event_id}")
        await asyncio.sleep(0.02)
    return (time.perf_counter() - began) * 1000


async def measure_keys_and_notices(server: SynapseServer, tmp: Path) -> dict[str, float]:
    """Start-up with the device check and cross-signing (first time, then a restart); the
    "couldn't read" note after its grace, and the answer to a withheld key, both while the
    bot long-polls for 30 s."""
    bot = await server.register("tremplin-keys")
    sender = await server.register("keys-sender")
    room = await server.create_room(sender, invite=[bot.user_id])
    database, services = await new_database(tmp / "keys.db")
    config = matrix_config(server, bot, tmp / "keys-store", room).model_copy(
        update={
            "sync_timeout_seconds": LONG_POLL_SECONDS,
            "unreadable_grace_seconds": GRACE_SECONDS,
        }
    )
    figures: dict[str, float] = {}
    connector: MatrixConnector | None = None
    try:
        for what in ("start-up, first time (keys, cross-signing)", "start-up, restart"):
            if connector is not None:
                await connector.stop()
            connector = MatrixConnector(config, Brain(database, services), secrets_for(bot))
            began = time.perf_counter()
            await connector.start()
            await connector.wait_until_synced(60)
            figures[what] = (time.perf_counter() - began) * 1000
        assert connector is not None and connector.client is not None
        device = str(connector.client.device_id)

        async def joined() -> bool | None:
            members = await server.room_members(sender, room)
            return True if members.get(bot.user_id) == "join" else None

        await eventually(joined, within=30)
        for number, withheld in enumerate((False, True)):
            content = {
                "algorithm": "m.megolm.v1.aes-sha2",
                "sender_key": "YmVuY2ggc2VuZGVyIGtleQ",
                "ciphertext": "bm90IGEgcmVhbCBjaXBoZXJ0ZXh0",
                "session_id": f"YmVuY2ggc2Vzc2lvbg{number}",
                "device_id": sender.device_id,
            }
            began = time.perf_counter()
            event_id = await server.send_event(sender, room, "m.room.encrypted", content)
            if withheld:  # what a sender's app sends a device it won't share the key with
                notice = {**content, "code": "m.unverified", "room_id": room}
                await server.send_to_device(
                    sender, "m.room_key.withheld", {bot.user_id: {device: notice}}
                )
                figures["withheld key, sender told after"] = await told_after(
                    server, sender, room, event_id, began
                )
            else:
                figures[f"unreadable, told after (grace {GRACE_SECONDS:.0f} s)"] = await told_after(
                    server, sender, room, event_id, began
                )
    finally:
        if connector is not None:
            await connector.stop()
        await database.dispose()
    return figures


def measure_naming(rounds: int = 50) -> dict[str, float]:
    """Median milliseconds to read a person in a staff command, in a room of 10,000 members."""
    members = {f"@member{i}:bench.test": f"Bénévole Numéro {i}" for i in range(ROOM_MEMBERS)}
    members["@alice:bench.test"] = "Alice Martin"
    pill = (Mention("@alice:bench.test", "Alice Martin"),)
    cases = {
        f"name typed by hand, {ROOM_MEMBERS:,} members": ("Alice Martin confirmé", ()),
        f"name whose first letter {ROOM_MEMBERS:,} accented names share": (
            "Bénévole Numéro 42 confirmé",
            (),
        ),
        "Element pill": ("Alice Martin confirmé", pill),
        "full id": ("@alice:bench.test confirmé", ()),
    }
    figures = {}
    for what, (text, mentions) in cases.items():
        message = IncomingMessage(
            sender="@coord:bench.test",
            text=text,
            place=Place(platform="matrix"),
            mentions=mentions,
            members=lambda: members,
        )
        times = []
        for _ in range(rounds):
            began = time.perf_counter()
            read_person(text, message)
            times.append((time.perf_counter() - began) * 1000)
        figures[what] = sorted(times)[len(times) // 2]
    return figures


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
            keys = await measure_keys_and_notices(server, tmp)
    return Results(echo, tremplin, bursts, rss, peak, {**keys, **measure_naming()})


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
    print()
    print_table(
        f"keys, unreadable messages (long-poll {LONG_POLL_SECONDS} s), naming people",
        ("", "ms"),
        [(what, f"{ms:.1f}") for what, ms in results.keys.items()],
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
