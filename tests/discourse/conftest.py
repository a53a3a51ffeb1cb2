"""Fixtures for the forum connector: a fake Discourse and Tremplin on SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from storage.database import Database
from tests.discourse.forum import ForumWorld, populate
from tests.fakes.discourse import FakeDiscourse


@pytest_asyncio.fixture
async def forum() -> AsyncIterator[FakeDiscourse]:
    """The CHATONS forum, without its rate limits (a test of them sets them itself)."""
    fake = FakeDiscourse(rate_limit_admin=None, rate_limit_user=None)
    populate(fake)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest_asyncio.fixture
async def forum_db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'tremplin.db'}")
    await database.upgrade()
    try:
        yield database
    finally:
        await database.dispose()


@pytest_asyncio.fixture
async def world(forum: FakeDiscourse, forum_db: Database) -> AsyncIterator[ForumWorld]:
    """Tremplin started on the forum, with the example catalogue."""
    tremplin = ForumWorld(forum, forum_db)
    await tremplin.start()
    await tremplin.load_catalogue()
    try:
        yield tremplin
    finally:
        await tremplin.close()
