"""Fixtures for the Matrix tests: people on the session's Synapse and a running Tremplin bot."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest_asyncio

from bot.config import Secrets
from bot.connectors.matrix import MatrixConnector
from bot.health import Health
from storage.database import Database
from tests.conversation import Clock, make_brain
from tests.harness.synapse import RegisteredUser, SynapseServer
from tests.matrix.people import Person, RunningBot, bot_config, bot_secrets, new_database

StartBot = Callable[..., Awaitable[RunningBot]]


@pytest_asyncio.fixture(loop_scope="session")
async def people(synapse: SynapseServer) -> Callable[[str], Awaitable[Person]]:
    """`await people("alice")`: a new person on the relaxed Synapse."""

    async def new_person(prefix: str) -> Person:
        return Person(synapse, await synapse.new_user(prefix))

    return new_person


@pytest_asyncio.fixture(loop_scope="session")
async def start_bot(tmp_path: Path) -> AsyncIterator[StartBot]:
    """`await start_bot(synapse, ...)`: Tremplin on Matrix, synced once; stopped at the end.

    Pass `database`/`user` to start a second connector on the same database and device (a
    restart); `secrets` replaces the user's access token; `synced=False` returns at once,
    without waiting for a first sync; other keywords go to MatrixConfig, `brain_settings` to
    the brain.
    """
    running: list[MatrixConnector] = []
    databases: list[Database] = []

    async def start(
        synapse: SynapseServer,
        *,
        database: Database | None = None,
        user: RegisteredUser | None = None,
        brain_settings: dict[str, Any] | None = None,
        secrets: Secrets | None = None,
        synced: bool = True,
        **config: Any,
    ) -> RunningBot:
        if database is None:
            database = await new_database(tmp_path / f"tremplin-{len(databases)}.db")
            databases.append(database)
        if user is None:
            user = await synapse.new_user("tremplin")
        matrix = bot_config(synapse, user, tmp_path / f"store-{user.localpart}", **config)
        # Synapse stamps events with the time of day: the brain's clock starts there too.
        brain = make_brain(database, Clock(datetime.now(UTC)), **(brain_settings or {}))
        health = Health()
        connector = MatrixConnector(matrix, brain, secrets or bot_secrets(user), health)
        running.append(connector)
        await connector.start()
        if synced:
            await connector.wait_until_synced(30)
        return RunningBot(connector, brain, database, user, matrix, health)

    yield start
    for connector in running:
        await connector.stop(grace=2)
    for database in databases:
        await database.dispose()
