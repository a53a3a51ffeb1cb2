"""`tremplin appeal publish --to forum`: the call goes out without the connector running."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from bot.cli import main
from storage.database import Database
from storage.models import Appeal
from tests.discourse.forum import ADMIN_KEY, APPEALS, BOT, COORDINATION, EXAMPLE_CATALOGUE
from tests.fakes.discourse import FakeDiscourse


def write_config(tmp_path: Path, forum_url: str) -> Path:
    config = {
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
        "catalog": str(EXAMPLE_CATALOGUE),
        "web": {"enabled": False},
        "discourse": {
            "enabled": True,
            "url": forum_url,
            "username": BOT,
            "appeal_category": APPEALS,
            "coordinators_group": COORDINATION,
            "requests_per_minute": 600,
            "retry_base_seconds": 0.01,
        },
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config), "utf-8")
    return path


async def tremplin(*argv: str) -> int:
    """The command line, in a thread of its own (it runs its own event loop)."""
    return await asyncio.to_thread(main, list(argv))


async def test_publishing_the_call_from_the_command_line(
    forum: FakeDiscourse,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("TREMPLIN_DISCOURSE_API_KEY", ADMIN_KEY)
    config = write_config(tmp_path, forum.url)

    status = await tremplin("--config", str(config), "appeal", "publish", "--to", "forum")

    assert status == 0, capsys.readouterr().err
    [topic] = forum.topics
    assert topic.category_id == APPEALS
    assert "#1 Ouvrir le compte Mastodon" in forum.posts_in(topic.id)[0].raw
    assert f"{forum.url}/t/{topic.id}" in capsys.readouterr().out
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    try:
        async with database.session() as session:
            appeal = (await session.scalars(select(Appeal))).one()
    finally:
        await database.dispose()
    assert (appeal.channel, appeal.place) == ("forum", str(topic.id))
    assert forum.requests_to("/notifications") == [], "nothing is polled"


async def test_publishing_needs_the_forum_settings(
    forum: FakeDiscourse,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("TREMPLIN_DISCOURSE_API_KEY", raising=False)
    config = write_config(tmp_path, forum.url)

    missing_key = await tremplin("--config", str(config), "appeal", "publish", "--to", "forum")
    other = await tremplin("--config", str(config), "appeal", "publish", "--to", "mastodon")

    assert (missing_key, other) == (2, 2)
    errors = capsys.readouterr().err
    assert "set TREMPLIN_DISCOURSE_API_KEY" in errors
    assert "cannot publish on Mastodon: set mastodon.url" in errors
    assert forum.topics == []
