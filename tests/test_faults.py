"""Faults around the database: a lock held too long, a full disk. Clear words, nothing lost."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

from sqlalchemy import event, text

from commands.catalogue import import_catalogue
from storage.database import Database
from tests.conftest import EXAMPLE_CATALOGUE
from tests.conversation import Chat, RecordingPlatform, make_brain


async def sqlite_chat(path: Path, **options: int) -> Chat:
    database = Database(f"sqlite+aiosqlite:///{path}", **options)
    await database.upgrade()
    brain = make_brain(database)
    platform = RecordingPlatform()
    brain.services.hub.register(platform)
    async with database.session() as session:
        await import_catalogue(
            session,
            EXAMPLE_CATALOGUE.read_text("utf-8"),
            brain.services.taxonomy,
            now=brain.services.clock(),
        )
    return Chat(brain, platform)


def hold_write_lock(path: Path, seconds: float, held: threading.Event) -> None:
    """Another program writing to the same SQLite file, for `seconds`."""
    connection = sqlite3.connect(path, timeout=0)
    connection.execute("BEGIN IMMEDIATE")
    held.set()
    threading.Event().wait(seconds)
    connection.rollback()
    connection.close()


async def test_a_short_lock_is_waited_for(tmp_path: Path) -> None:
    chat = await sqlite_chat(tmp_path / "t.db", busy_timeout_ms=3000)
    held = threading.Event()
    locker = threading.Thread(target=hold_write_lock, args=(tmp_path / "t.db", 0.5, held))
    locker.start()
    await asyncio.to_thread(held.wait)
    assert "C'est parti" in await chat.say("alice", "!participer 1")
    locker.join()
    await chat.brain.database.dispose()


async def test_a_long_lock_gives_a_clear_answer_and_loses_nothing(tmp_path: Path) -> None:
    chat = await sqlite_chat(tmp_path / "t.db", busy_timeout_ms=200)
    await chat.say("alice", "!competences css")
    held = threading.Event()
    locker = threading.Thread(target=hold_write_lock, args=(tmp_path / "t.db", 1.5, held))
    locker.start()
    await asyncio.to_thread(held.wait)
    answer = await chat.say("alice", "!participer 2", event_id="$locked")
    assert answer.startswith("Je n'arrive pas à enregistrer pour le moment")
    assert "Traceback" not in answer
    locker.join()
    assert "C'est parti" in await chat.say("alice", "!participer 2")
    assert "CSS" in await chat.say("alice", "!mesdonnees")
    await chat.brain.database.dispose()


async def test_a_full_disk_gives_a_clear_answer_without_corruption(tmp_path: Path) -> None:
    path = tmp_path / "full.db"
    chat = await sqlite_chat(path)
    await chat.say("alice", "!competences css et wordpress")
    async with chat.brain.database.session() as session:
        pages = (await session.execute(text("PRAGMA page_count"))).scalar()

    def cap_size(dbapi_connection: object, _record: object) -> None:
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        cursor.execute(f"PRAGMA max_page_count={int(pages) + 2}")
        cursor.close()

    await chat.brain.database.engine.dispose()
    event.listen(chat.brain.database.engine.sync_engine, "connect", cap_size)
    answers = [
        await chat.say(f"person{i}", "!competences " + "je fais du css " * 300) for i in range(40)
    ]
    refused = [a for a in answers if a.startswith("Je n'arrive pas à enregistrer")]
    assert refused, "the disk never filled up"
    assert all("Traceback" not in a for a in answers)
    event.remove(chat.brain.database.engine.sync_engine, "connect", cap_size)
    await chat.brain.database.engine.dispose()
    async with chat.brain.database.session() as session:
        assert (await session.execute(text("PRAGMA integrity_check"))).scalar() == "ok"
    assert "CSS" in await chat.say("alice", "!mesdonnees")
    assert "#1 Ouvrir le compte Mastodon" in await chat.say("bob", "!missions")
    await chat.brain.database.dispose()


class BrokenDirectMessages(RecordingPlatform):
    """A connector with a bug: sending a private message raises something else than PortError."""

    async def send_direct(self, address: str, text: str) -> bool:
        raise RuntimeError("a bug in the connector")


async def test_a_failing_action_after_the_commit_loses_neither_the_answer_nor_the_rest(
    chat: Chat,
) -> None:
    broken = BrokenDirectMessages()
    chat.brain.services.hub.register(broken)
    await chat.say("alice", "!participer 2")

    done = await chat.say("staff", "!terminer console:alice 2")

    assert "console:alice" in done and "#2" in done  # the staff's answer, as stored
    assert "terminée" in await chat.say("alice", "!mesmissions")
