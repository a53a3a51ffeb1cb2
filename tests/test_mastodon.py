"""Publishing the call on Mastodon, against a fake instance speaking the real API."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.connectors.mastodon.client import post_status
from commands.ports import PortError
from tests.fakes.mastodon import FakeMastodon
from tests.test_cli import ROOT, tremplin


@pytest_asyncio.fixture(loop_scope="session")
async def mastodon() -> AsyncIterator[FakeMastodon]:
    fake = FakeMastodon()
    await fake.start()
    yield fake
    await fake.stop()


def config_with(tmp_path: Path, mastodon_url: str) -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(
        f"database_url: sqlite+aiosqlite:///{tmp_path / 'tremplin.db'}\n"
        f"catalog: {ROOT / 'examples' / 'missions.yaml'}\n"
        f"mastodon: {{url: {mastodon_url}}}\n",
        "utf-8",
    )
    return config


async def test_the_call_is_published_once_within_500_characters(
    mastodon: FakeMastodon, tmp_path: Path
) -> None:
    config = config_with(tmp_path, mastodon.url)
    env = {"TREMPLIN_MASTODON_TOKEN": mastodon.token}
    result = await asyncio.to_thread(
        tremplin, "appeal", "publish", "--to", "mastodon", config=config, env=env
    )
    assert result.returncode == 0, result.stderr
    [status] = mastodon.statuses
    assert f"published on Mastodon: {status['url']}" in result.stdout
    assert len(status["text"]) <= 500 and "!start masto" in status["text"]
    assert "#bénévolat" in status["text"] and status["visibility"] == "public"
    again = await post_status(mastodon.url, mastodon.token, status["text"], "fr")
    assert again["id"] == status["id"]  # a retried request publishes nothing twice
    assert len(mastodon.statuses) == 1


async def test_missing_token_or_refusal_is_said_plainly(
    mastodon: FakeMastodon, tmp_path: Path
) -> None:
    config = config_with(tmp_path, mastodon.url)
    environment = {k: v for k, v in os.environ.items() if k != "TREMPLIN_MASTODON_TOKEN"}
    missing = await asyncio.to_thread(
        tremplin,
        "appeal",
        "publish",
        "--to",
        "mastodon",
        config=config,
        env={**environment, "TREMPLIN_MASTODON_TOKEN": ""},
    )
    assert missing.returncode == 2 and "set TREMPLIN_MASTODON_TOKEN" in missing.stderr
    mastodon.fail_with = 422
    try:
        with pytest.raises(PortError, match="422"):
            await post_status(mastodon.url, mastodon.token, "Bonjour à toutes et tous", "fr")
    finally:
        mastodon.fail_with = None
    with pytest.raises(PortError, match="401"):
        await post_status(mastodon.url, "wrong", "Bonjour à toutes et tous", "fr")
