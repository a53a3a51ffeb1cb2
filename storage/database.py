"""The database handle: engine, sessions, SQLite pragmas and migrations."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeAlias

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from storage.changes import ChangeFeed

MIGRATIONS = Path(__file__).with_name("migrations")

# The session handlers and repositories are given; the layers above name it from here.
Session: TypeAlias = AsyncSession


def is_storage_unavailable(error: BaseException) -> bool:
    """The database is locked too long or the disk is full: a passing condition, not a bug."""
    text = str(error).lower()
    return isinstance(error, OperationalError) and (
        "database is locked" in text or "disk is full" in text or "no space left" in text
    )


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def revisions() -> list[str]:
    """Every schema revision this version of Tremplin knows, oldest first."""
    script = ScriptDirectory.from_config(alembic_config())
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def head_revision() -> str:
    """The newest schema revision, the one `upgrade` brings a database to."""
    return revisions()[-1]


class Database:
    """One engine and its session factory, for SQLite (aiosqlite) or PostgreSQL (asyncpg)."""

    def __init__(self, url: str, *, busy_timeout_ms: int = 5000) -> None:
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite and self.url.database not in (None, "", ":memory:"):
            Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
        options: dict[str, Any] = {}
        if not self.is_sqlite:
            options.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
        self.engine = create_async_engine(self.url, **options)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", self._sqlite_pragmas)
        self.busy_timeout_ms = busy_timeout_ms
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.changes = ChangeFeed()

    def _sqlite_pragmas(self, dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # What is deleted is overwritten with zeros, so erased text doesn't linger in free space.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @asynccontextmanager
    async def session(self) -> AsyncIterator[Session]:
        """A session whose work is committed at the end of the block, rolled back on error.

        Once committed, the changes noted in it (`storage.changes`) are told to `changes`.
        """
        async with self.sessions() as session:
            async with session.begin():
                yield session
            self.changes.publish(session)

    async def forget_deleted(self) -> bool:
        """After an erasure, leave no older copy of what was deleted in the files: SQLite
        zeroes deleted content in the database file (`secure_delete`), and this copies the
        write-ahead log into it and empties the log, where earlier versions of the pages
        remain otherwise. False when a reader kept the log from being emptied (it will be at
        the next erasure or checkpoint); PostgreSQL has nothing to do here."""
        if not self.is_sqlite:
            return True
        async with self.engine.connect() as connection:
            result = await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            busy = result.scalar()
        return not busy

    async def upgrade(self) -> None:
        """Bring the schema to the newest migration."""
        async with self.engine.begin() as connection:
            await connection.run_sync(_upgrade)

    async def dispose(self) -> None:
        await self.engine.dispose()


def _upgrade(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
