"""Baseline latency: a bare nio echo bot's !ping round trip on a local Synapse (plain and e2e).

Run from the repository root: ``.venv/bin/python -m bench.bench_echo [-n 50]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.echo_bot import RoundTrip, measure_round_trips, nio_client, run_echo_bot, summarize_ms
from tests.harness.synapse import RegisteredUser, SynapseServer

READY_TIMEOUT = 60.0


@dataclass(frozen=True)
class Setup:
    bot: RegisteredUser
    sender: RegisteredUser
    plain_room: str
    encrypted_room: str


async def prepare(server: SynapseServer) -> Setup:
    """Register the bot and a sender; make one plain and one encrypted room with both in."""
    bot = await server.register("echo-bot")
    sender = await server.register("alice")
    rooms = []
    for encrypted in (False, True):
        room_id = await server.create_room(
            sender, name=f"echo encrypted={encrypted}", invite=[bot.user_id], encrypted=encrypted
        )
        await server.join(bot, room_id)
        rooms.append(room_id)
    return Setup(bot=bot, sender=sender, plain_room=rooms[0], encrypted_room=rooms[1])


@asynccontextmanager
async def running_echo_bot(
    server: SynapseServer, bot: RegisteredUser, store: Path
) -> AsyncIterator[None]:
    """Run the echo bot in a task until the block ends; fail fast if it dies before ready."""
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(
        run_echo_bot(
            server.base_url, bot.user_id, bot.device_id, bot.access_token, store, stop, ready=ready
        )
    )
    ready_task = asyncio.create_task(ready.wait())
    await asyncio.wait({task, ready_task}, timeout=READY_TIMEOUT, return_when="FIRST_COMPLETED")
    ready_task.cancel()
    if not ready.is_set():
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        raise RuntimeError(f"echo bot not ready within {READY_TIMEOUT:.0f} s")
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, READY_TIMEOUT)


Results = dict[str, dict[str, dict[str, float]]]


def summarize(trips: list[RoundTrip]) -> dict[str, dict[str, float]]:
    """ms statistics as the sender saw them, and between the two events' server timestamps."""
    return {
        "client": summarize_ms([trip.client_seconds for trip in trips]),
        "server_ts": summarize_ms([trip.server_ms / 1000 for trip in trips]),
    }


async def run(n: int) -> Results:
    """Start Synapse, run the echo bot, measure the three cases, return ms summaries."""
    results: Results = {}
    async with SynapseServer(rate_limits="relaxed") as server:
        print(f"synapse ready in {server.startup_seconds:.2f} s at {server.base_url}")
        setup = await prepare(server)
        with tempfile.TemporaryDirectory(prefix="tremplin-echo-") as tmp:
            async with running_echo_bot(server, setup.bot, Path(tmp) / "bot"):
                trips = await measure_round_trips(
                    server, setup.bot, setup.sender, setup.plain_room, n=n
                )
                results["plain, raw API sender"] = summarize(trips)
                sender = setup.sender
                async with nio_client(
                    server.base_url,
                    sender.user_id,
                    sender.device_id,
                    sender.access_token,
                    Path(tmp) / "sender",
                ) as client:
                    for label, room_id in (
                        ("plain, nio sender", setup.plain_room),
                        ("encrypted, nio sender", setup.encrypted_room),
                    ):
                        trips = await measure_round_trips(server, setup.bot, client, room_id, n=n)
                        results[label] = summarize(trips)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=50, help="round trips per case (default 50)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    # nio warns "Missing session for device" before its first Olm key claim: expected here.
    logging.getLogger("nio").setLevel(logging.ERROR)
    results = asyncio.run(run(args.n))
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print_table(results, args.n)


def print_table(results: Results, n: int) -> None:
    """Client-observed round trip, then command-to-reply by server timestamps, in ms."""
    print(f"{'':<24} {'seen by the sender':^27} | {'server timestamps':^18}  (n={n})")
    print(f"{'case':<24} {'p50':>8} {'p95':>8} {'max':>8} | {'p50':>8} {'p95':>8}")
    for label, stats in results.items():
        client, server = stats["client"], stats["server_ts"]
        print(
            f"{label:<24} {client['p50']:8.1f} {client['p95']:8.1f} {client['max']:8.1f} | "
            f"{server['p50']:8.1f} {server['p95']:8.1f}"
        )


if __name__ == "__main__":
    main()
