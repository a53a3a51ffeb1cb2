"""The real process, `tremplin run`, on Matrix and the forum at once: killed with SIGKILL in
the middle of a burst, its homeserver down for 30 s, and its logs read for secrets."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from tests.discourse.forum import ADMIN_KEY, forum_settings, populate
from tests.fakes.discourse import FakeDiscourse, SiteSettings
from tests.harness.synapse import SynapseServer
from tests.matrix.people import Person, bot_config, eventually, reply_target, write_config
from tests.test_cli import ROOT

pytestmark = pytest.mark.synapse
People = Callable[[str], Awaitable[Person]]
WEBHOOK_SECRET = "secret-de-webhook-0f1e2d3c4b5a"
MASTODON_TOKEN = "jeton-mastodon-9a8b7c6d5e4f"
BURST = 20


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Process:
    """`python -m bot run -v` with its environment, its log file, and SIGKILL."""

    def __init__(self, config: Path, env: dict[str, str], log: Path) -> None:
        self.config, self.env, self.log = config, env, log
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "--config",
                str(self.config),
                "-v",
                "run",
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=log,
            )

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await asyncio.wait_for(self.process.wait(), 30)


@pytest_asyncio.fixture(loop_scope="session")
async def forum() -> AsyncIterator[FakeDiscourse]:
    fake = FakeDiscourse(SiteSettings.friendly())
    populate(fake)
    await fake.start()
    yield fake
    await fake.stop()


async def health(port: int) -> dict | None:
    try:
        async with (
            aiohttp.ClientSession() as client,
            client.get(
                f"http://127.0.0.1:{port}/healthz", timeout=aiohttp.ClientTimeout(total=3)
            ) as response,
        ):
            return await response.json()
    except (aiohttp.ClientError, TimeoutError):
        return None


async def test_sigkill_outage_and_secrets(
    synapse: SynapseServer, people: People, forum: FakeDiscourse, tmp_path: Path
) -> None:
    alice, admin = await people("alice"), await people("admin")
    friends = [await people(name) for name in ("bob", "chloe", "dan")]
    bot = await synapse.new_user("tremplin")
    room = await alice.open_room(bot.user_id, *(friend.id for friend in friends))
    for friend in friends:
        await synapse.join(friend.user, room)
    staff = await admin.open_room(bot.user_id)
    port = free_port()
    config = write_config(
        tmp_path,
        bot_config(synapse, bot, tmp_path / "store", rooms=[room], staff_room=staff),
        discourse=forum_settings(forum.url, auth="api_key").model_dump(),
        web={"enabled": True, "host": "127.0.0.1", "port": port},
    )
    env = {
        **os.environ,
        "TREMPLIN_MATRIX_ACCESS_TOKEN": bot.access_token,
        "TREMPLIN_DISCOURSE_API_KEY": ADMIN_KEY,
        "TREMPLIN_DISCOURSE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "TREMPLIN_MASTODON_TOKEN": MASTODON_TOKEN,
    }
    env.pop("TREMPLIN_DATABASE_URL", None)
    log = tmp_path / "tremplin.log"
    tremplin = Process(config, env, log)
    await tremplin.start()
    try:

        async def joined() -> bool:
            return await alice.membership_of(room, bot.user_id) == "join"

        assert await eventually(joined, 60)

        # A burst from four people (each within the flood limits); the process is killed
        # with SIGKILL while it answers, then restarted.
        speakers = [alice, *friends]
        commands = [await speakers[i % 4].say(room, f"!mission {1 + i % 9}") for i in range(BURST)]

        async def some_answered() -> bool:
            events = await alice.timeline(room)
            return sum(e["sender"] == bot.user_id for e in events) >= 3

        assert await eventually(some_answered, 60)
        await tremplin.kill()
        await tremplin.start()

        async def all_answered() -> Counter[str] | None:
            events = await alice.timeline(room, limit=400)
            answers = Counter(
                target
                for e in events
                if e["sender"] == bot.user_id and (target := reply_target(e)) in commands
            )
            return answers if len(answers) == BURST else None

        answers = await eventually(all_answered, 90)
        assert set(answers.values()) == {1}, answers  # each command answered exactly once

        # The homeserver goes away for 30 s: the bot says so on /healthz, then resumes alone.
        await synapse.stop()
        await asyncio.sleep(30)

        async def unhealthy() -> bool:
            state = await health(port)
            return state is not None and state["parts"]["matrix"]["ok"] is False

        assert await eventually(unhealthy, 30)
        await synapse.start()
        late = await alice.say(room, "!mission 2")

        async def answered_late() -> bool:
            events = await alice.timeline(room, limit=400)
            return any(reply_target(e) == late for e in events if e["sender"] == bot.user_id)

        assert await eventually(answered_late, 90)

        async def healthy() -> bool:
            state = await health(port)
            return state is not None and state["parts"]["matrix"]["ok"] is True

        assert await eventually(healthy, 30)
    finally:
        await tremplin.stop()
    logs = log.read_text("utf-8", errors="replace")
    assert "Tremplin is running" in logs
    for secret in (bot.access_token, ADMIN_KEY, WEBHOOK_SECRET, MASTODON_TOKEN):
        assert secret not in logs
