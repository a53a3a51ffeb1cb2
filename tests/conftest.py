"""Shared fixtures: a fresh database on SQLite and on PostgreSQL, and a chat with the brain."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.engine import make_url

from commands.catalogue import import_catalogue
from storage.database import Database
from storage.models import Base
from tests.conversation import Chat, Clock, RecordingPlatform, make_brain

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_CATALOGUE = ROOT / "examples" / "missions.yaml"
POSTGRES_URL = os.environ.get(
    "TREMPLIN_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)

pytest_plugins = ["tests.harness.conftest_synapse"]
T = TypeVar("T")


async def _postgres_available(url: str) -> str | None:
    """None when PostgreSQL answers, else why not."""
    import asyncpg

    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        connection = await asyncpg.connect(plain, timeout=3)
    except Exception as error:  # any failure means: skip, with the reason
        return f"{type(error).__name__}: {error}"
    await connection.close()
    return None


def _in_a_thread(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run async setup from a plain fixture, even while the test loop is running."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _as_admin(statement: str) -> None:
    import asyncpg

    admin = make_url(POSTGRES_URL).set(drivername="postgresql")
    connection = await asyncpg.connect(admin.render_as_string(hide_password=False))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def _create_database(name: str) -> str:
    await _as_admin(f'CREATE DATABASE "{name}"')
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    database = Database(url)
    await database.upgrade()
    await database.dispose()
    return url


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A database of its own for this test session, migrated, dropped at the end."""
    problem = _in_a_thread(_postgres_available(POSTGRES_URL))
    if problem is not None:
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL} ({problem})")
    name = f"tremplin_test_{uuid.uuid4().hex[:10]}"
    url = _in_a_thread(_create_database(name))
    try:
        yield url
    finally:
        _in_a_thread(_as_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _empty_postgres(url: str) -> Database:
    database = Database(url)
    names = ", ".join(t.name for t in Base.metadata.sorted_tables)
    async with database.session() as session:
        await session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    return database


@pytest_asyncio.fixture(params=["sqlite", "postgres"], loop_scope="session")
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated, empty database: SQLite in a temporary file, or PostgreSQL."""
    if request.param == "sqlite":
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'tremplin.db'}")
        await db.upgrade()
    else:
        url = request.getfixturevalue("postgres_database")
        db = await _empty_postgres(url)
    try:
        yield db
    finally:
        await db.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def platform() -> RecordingPlatform:
    return RecordingPlatform()


@pytest_asyncio.fixture(loop_scope="session")
async def chat(database: Database, clock: Clock, platform: RecordingPlatform) -> Chat:
    """The brain on the example catalogue, with a recording console platform."""
    brain = make_brain(database, clock)
    brain.services.hub.register(platform)
    async with database.session() as session:
        await import_catalogue(
            session, EXAMPLE_CATALOGUE.read_text("utf-8"), brain.services.taxonomy, now=clock()
        )
    return Chat(brain, platform)
