"""Across restarts, as an operator runs it: each chat session and each `tremplin diffuse` is a
process of its own, and API Engagement sees each mission created, patched and deleted once."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from tests.api_engagement.conftest import ORGANIZATION, PUBLIC_URL
from tests.fakes.api_engagement import FakeApiEngagement
from tests.test_cli import tremplin


def write_config(
    tmp_path: Path, api_url: str, name: str = "config.yaml", **api_engagement: object
) -> Path:
    settings = {
        "enabled": True,
        "url": api_url,
        "organization": ORGANIZATION,
        "requests_per_minute": 600,
        "retry_base_seconds": 0.01,
        **api_engagement,
    }
    config = tmp_path / name
    config.write_text(
        json.dumps(  # JSON is YAML
            {
                "database_url": f"sqlite+aiosqlite:///{tmp_path / 'tremplin.db'}",
                "staff": ["console:staff"],
                "web": {"enabled": False, "public_url": PUBLIC_URL},
                "api_engagement": settings,
            }
        ),
        "utf-8",
    )
    return config


class Operator:
    """Someone at the association's server: chats as staff, runs `tremplin diffuse`."""

    def __init__(self, config: Path, key: str) -> None:
        self.config = config
        self.env = {"TREMPLIN_API_ENGAGEMENT_KEY": key}

    async def says(self, *messages: str) -> str:
        stdin = "\n\n".join(messages) + "\n\n"
        result = await asyncio.to_thread(
            tremplin, "console", "--user", "staff", stdin=stdin, config=self.config, env=self.env
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    async def diffuse(self, *options: str) -> tuple[int, str, str]:
        result = await asyncio.to_thread(
            tremplin, "diffuse", *options, config=self.config, env=self.env
        )
        return result.returncode, result.stdout, result.stderr


async def test_added_edited_filled_and_reclassified_missions_reach_the_api_once_each(
    api: FakeApiEngagement, tmp_path: Path
) -> None:
    operator = Operator(write_config(tmp_path, api.url), api.key)
    said = await operator.says(
        "!mission ajouter\ntitre: Relire la charte graphique\ncompétences: relecture, graphisme"
        "\ndurée: 2 h",
        "!mission ajouter\ntitre: Traduire la lettre d'information\ncompétences: anglais",
        "!mission ajouter\ntitre: Ranger le serveur interne\nsensibilité: interne",
    )
    assert said.count("Mission ajoutée") == 3

    api.lose_responses(1, method="POST")  # the first creation is made, its answer lost
    status, out, err = await operator.diffuse()
    assert status == 1 and "failed: #1 Relire la charte graphique" in err
    assert "created: #2 Traduire la lettre d'information" in out
    status, out, _ = await operator.diffuse()  # a new process finds #1 on the API
    assert status == 0 and "created: #1 Relire la charte graphique" in out

    await operator.says("!mission modifier 1\ndurée: 3 h")
    status, out, _ = await operator.diffuse()
    assert status == 0 and out.strip() == "updated: #1 Relire la charte graphique"

    await operator.says(
        "!mission modifier 1\nstatut: pourvue", "!mission modifier 2\nsensibilité: interne"
    )
    status, out, _ = await operator.diffuse()
    assert status == 0 and out.count("withdrawn: ") == 2
    status, out, _ = await operator.diffuse()
    assert status == 0 and out.strip() == "API Engagement is up to date"

    assert api.operations("1") == [("POST", "1"), ("PUT", "1"), ("DELETE", "1")]
    assert api.operations("2") == [("POST", "2"), ("DELETE", "2")]
    assert [c.method for c in api.calls].count("POST") == 2  # the lost one was not re-sent
    assert api.operations("3") == [] and "serveur interne" not in str(api.calls)
    assert api.live() == {} and api.refused_requests == []


async def test_diffuse_says_what_is_missing_and_what_it_would_do(
    api: FakeApiEngagement, tmp_path: Path
) -> None:
    operator = Operator(write_config(tmp_path, api.url), api.key)
    await operator.says("!mission ajouter\ntitre: Relire la charte graphique")
    status, out, _ = await operator.diffuse("--dry-run")
    assert status == 0 and out.strip() == "would create #1 Relire la charte graphique"
    assert api.missions == {}

    keyless = Operator(operator.config, "")
    status, _, err = await keyless.diffuse()
    assert status == 2 and "set TREMPLIN_API_ENGAGEMENT_KEY" in err
    off = Operator(write_config(tmp_path, api.url, "off.yaml", enabled=False), api.key)
    status, _, err = await off.diffuse()
    assert status == 2 and "api_engagement.enabled" in err
    wrong = Operator(operator.config, "not-the-key")
    status, _, err = await wrong.diffuse()
    assert status == 1 and "401" in err and api.missions == {}
