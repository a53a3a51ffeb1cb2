"""Operations: the systemd unit and the secrets template say what the README says."""

from __future__ import annotations

import configparser
from pathlib import Path

from bot.config import Secrets

ROOT = Path(__file__).resolve().parents[1]


def test_the_systemd_unit_runs_tremplin_with_secrets_from_a_private_file() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(ROOT / "deploy" / "tremplin.service")
    service = unit["Service"]
    assert service["ExecStart"].endswith("/tremplin run")
    assert service["ExecStartPre"].endswith("/tremplin db upgrade")
    assert service["EnvironmentFile"] == "/etc/tremplin/tremplin.env"
    assert service["Restart"] == "on-failure"
    assert service["NoNewPrivileges"] == "true"


def test_the_secrets_template_names_every_secret_tremplin_reads() -> None:
    template = (ROOT / "deploy" / "tremplin.env.example").read_text("utf-8")
    for name in (
        "TREMPLIN_MATRIX_PASSWORD",
        "TREMPLIN_MATRIX_ACCESS_TOKEN",
        "TREMPLIN_DISCOURSE_API_KEY",
        "TREMPLIN_DISCOURSE_WEBHOOK_SECRET",
        "TREMPLIN_MASTODON_TOKEN",
        "TREMPLIN_API_ENGAGEMENT_KEY",
    ):
        assert name in template
    secrets = Secrets.from_environment({"TREMPLIN_MATRIX_PASSWORD": "hunter2"})
    assert "hunter2" not in repr(secrets)
