"""Fixtures for the forum connector: the CHATONS forum as it really is (Discourse's default
settings and limits, the bot at trust level 1 with a user API key) and Tremplin on SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from storage.database import Database
from tests.conversation import Clock
from tests.discourse.forum import ForumWorld, Timeline, new_forum, populate, started_at
from tests.fakes.discourse import FakeDiscourse


@pytest_asyncio.fixture
async def timeline() -> Timeline:
    return Timeline(Clock(started_at()))


@pytest_asyncio.fixture
async def forum(timeline: Timeline) -> AsyncIterator[FakeDiscourse]:
    """The CHATONS forum, every limit on."""
    fake = new_forum(timeline)
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
async def world(
    forum: FakeDiscourse, forum_db: Database, timeline: Timeline
) -> AsyncIterator[ForumWorld]:
    """Tremplin started on the forum, with the example catalogue."""
    tremplin = ForumWorld(forum, forum_db, timeline)
    await tremplin.start()
    await tremplin.load_catalogue()
    try:
        yield tremplin
    finally:
        await tremplin.close()
