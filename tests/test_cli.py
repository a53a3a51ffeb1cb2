"""The command line, as a newcomer uses it: piping commands into `tremplin console`."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(
        f"database_url: sqlite+aiosqlite:///{tmp_path / 'tremplin.db'}\n"
        f"catalog: {ROOT / 'examples' / 'missions.yaml'}\n"
        "staff: [console:staff]\n"
        "coordinators: [console:coordination]\n"
        "web: {enabled: false}\n",
        "utf-8",
    )
    return config


def tremplin(
    *args: str, stdin: str = "", config: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **(env or {})}
    environment.pop("TREMPLIN_DATABASE_URL", None)
    if config is not None:
        environment["TREMPLIN_CONFIG"] = str(config)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environment,
        timeout=60,
    )


def test_missions_piped_into_the_console_lists_the_entry_doors(config_file: Path) -> None:
    result = tremplin("console", stdin="!missions\n", config=config_file)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("#")]
    assert lines[:4] == [
        "#1 Ouvrir le compte Mastodon de la MLA — porte d'entrée · 2 h",
        "#2 Ajouter une police avec @font-face sur le site — porte d'entrée · 1 h",
        "#3 Automatiser la lettre d'information — porte d'entrée · 4 h",
        "#4 Traduire le site en anglais — porte d'entrée · 15 h",
    ]
    assert "Traceback" not in result.stdout + result.stderr


def test_the_default_config_works_from_the_repository(tmp_path: Path) -> None:
    result = tremplin(
        "console",
        stdin="!missions\n",
        env={"TREMPLIN_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'db'}"},
    )
    assert result.returncode == 0, result.stderr
    assert "#1 Ouvrir le compte Mastodon de la MLA" in result.stdout


def test_a_conversation_with_multiline_fields(config_file: Path) -> None:
    conversation = (
        "!mission ajouter\ntitre: Relire la charte\ncompétences: relecture\n\n!missions relire\n"
    )
    refused = tremplin("console", "--user", "alice", stdin=conversation, config=config_file)
    assert "Cette commande est réservée à l'équipe de la MLA." in refused.stdout
    assert "Aucune mission ouverte ne parle de « relire »" in refused.stdout
    added = tremplin("console", "--user", "staff", stdin=conversation, config=config_file)
    assert "Mission ajoutée : #15 Relire la charte" in added.stdout
    assert "#15 Relire la charte" in added.stdout.split("Mission ajoutée")[1]


def test_joining_prints_the_private_space(config_file: Path) -> None:
    result = tremplin(
        "console", "--user", "alice", stdin="!competences css\n!participer 2\n", config=config_file
    )
    assert (
        "── Espace privé « Accueil · Ajouter une police avec @font-face sur le site » ouvert "
        "avec console:alice, console:coordination ──"
    ) in result.stdout
    assert "C'est parti !" in result.stdout
    assert "[pour l'équipe] Nouvelle inscription : console:alice" in result.stdout


def test_hostile_input_never_shows_a_traceback(config_file: Path) -> None:
    hostile = (
        "\n".join(
            [
                "!",
                "!!",
                "!mission",
                "!mission ajouter",
                "!participer 99999999999999999999",
                "!aide \u202e!participer",
                "!competences " + "a" * 20000,
                "\x00\x01!missions",
                '!participer "',
                "!confiance @room trusted",
                "!mission modifier 1\n: :",
            ]
        )
        + "\n"
    )
    result = tremplin("console", stdin=hostile, config=config_file)
    assert result.returncode == 0
    assert "Traceback" not in result.stdout + result.stderr


def test_a_bad_config_names_the_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("staff: [alice]\nweb: {port: 99999}\nmatrx: {}\n", "utf-8")
    result = tremplin("console", stdin="", config=bad)
    assert result.returncode == 2
    assert "staff: 'alice' is not an identity" in result.stderr and "web.port" in result.stderr
    assert "matrx: unknown key" in result.stderr
    assert "Traceback" not in result.stderr


def test_catalogue_export_then_import_is_idempotent(config_file: Path, tmp_path: Path) -> None:
    exported = tmp_path / "out.yaml"
    assert tremplin("missions", "export", str(exported), config=config_file).returncode == 0
    result = tremplin("missions", "import", str(exported), config=config_file)
    assert result.stdout.strip() == "0 created, 0 updated, 14 unchanged"
    broken = tmp_path / "broken.yaml"
    broken.write_text("missions:\n  - title: X\n    sensitivity: secret\n", "utf-8")
    result = tremplin("missions", "import", str(broken), config=config_file)
    assert result.returncode == 1
    assert "missions.0.sensitivity" in result.stderr and "nothing was imported" in result.stderr


def test_db_upgrade_and_backup(config_file: Path, tmp_path: Path) -> None:
    assert "database up to date" in tremplin("db", "upgrade", config=config_file).stdout
    tremplin("console", stdin="!missions\n", config=config_file)
    result = tremplin("db", "backup", str(tmp_path / "b.json"), config=config_file)
    assert result.returncode == 0 and "rows written" in result.stdout
    result = tremplin("db", "restore", str(tmp_path / "b.json"), config=config_file)
    assert result.returncode == 1 and "not empty" in result.stderr


def test_appeal_render_for_each_channel(config_file: Path) -> None:
    mastodon = tremplin("appeal", "render", "--channel", "mastodon", config=config_file)
    assert mastodon.returncode == 0, mastodon.stderr
    assert len(mastodon.stdout.rstrip("\n")) <= 500 and "!start masto" in mastodon.stdout
    x = tremplin("appeal", "render", "--channel", "x", "--lang", "en", config=config_file)
    assert len(x.stdout.rstrip("\n")) <= 280 and "tech volunteers" in x.stdout
    email = tremplin("appeal", "render", "--channel", "email", config=config_file)
    assert email.stdout.startswith("Subject: ")
    unknown = tremplin("appeal", "render", "--channel", "myspace", config=config_file)
    assert unknown.returncode == 2 and "unknown channel 'myspace'" in unknown.stderr


def test_stats_with_a_png_chart(config_file: Path, tmp_path: Path) -> None:
    tremplin("console", "--user", "alice", stdin="!start masto\n", config=config_file)
    chart = tmp_path / "funnel.png"
    result = tremplin("stats", "--png", str(chart), config=config_file)
    assert result.returncode == 0, result.stderr
    assert "mastodon (masto) : 1 → 0 → 0 → 0 → 0 → 0" in result.stdout
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_reminders_once_from_the_command_line(config_file: Path) -> None:
    tremplin("console", "--user", "alice", stdin="!participer 1\n", config=config_file)
    later = "2099-01-01T00:00:00"
    dry = tremplin("reminders", "--now", later, "--dry-run", config=config_file)
    assert dry.returncode == 0, dry.stderr
    assert "due: first_response engagement:1" in dry.stdout
    sent = tremplin("reminders", "--now", later, config=config_file)
    assert "Petit rappel pour console:coordination" in sent.stdout
    assert "sent: first_response engagement:1" in sent.stdout
    again = tremplin("reminders", "--now", later, config=config_file)
    assert "Petit rappel" not in again.stdout
    bad = tremplin("reminders", "--now", "demain", config=config_file)
    assert bad.returncode == 2 and "not an ISO 8601 date" in bad.stderr


def test_config_and_verbose_go_before_or_after_the_subcommand(config_file: Path) -> None:
    before = tremplin("--config", str(config_file), "console", "--user", "bob", stdin="!missions\n")
    after = tremplin("console", "--config", str(config_file), "--user", "bob", stdin="!missions\n")
    verbose = tremplin("console", "--user", "staff", "-v", "--config", str(config_file))
    for result in (before, after, verbose):
        assert result.returncode == 0, result.stderr
        assert "unrecognized arguments" not in result.stderr
    assert before.stdout == after.stdout and "#1 Ouvrir le compte Mastodon" in after.stdout
    db = tremplin("db", "upgrade", "--config", str(config_file))
    assert "database up to date" in db.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def healthz(port: int, within: float = 60) -> tuple[int, dict[str, Any]] | None:
    """/healthz's status and JSON, once the server answers."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                return answer.status, json.load(answer)
        except urllib.error.HTTPError as answer:
            return answer.code, json.load(answer)
        except OSError:
            time.sleep(0.2)
    return None


def test_run_with_the_config_after_the_subcommand_serves_then_stops_on_sigterm(
    config_file: Path,
) -> None:
    """The forum is enabled without its key: said in the log and /healthz, the rest runs."""
    port = free_port()
    config_file.write_text(
        config_file.read_text("utf-8").replace(
            "web: {enabled: false}", f"web: {{enabled: true, port: {port}}}"
        )
        + "discourse: {enabled: true, url: 'http://127.0.0.1:9', username: tremplin}\n",
        "utf-8",
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TREMPLIN_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--config", str(config_file), "-v"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        health = healthz(port)
    finally:
        process.send_signal(signal.SIGTERM)
        _out, logs = process.communicate(timeout=30)
    assert health is not None, logs
    status, state = health
    assert status == 503 and state["parts"]["discourse"] == {
        "ok": False,
        "detail": "TREMPLIN_DISCOURSE_API_KEY is not set",
        "at": state["parts"]["discourse"]["at"],
    }
    assert process.returncode == 0, logs
    assert "discourse is enabled but can't run: TREMPLIN_DISCOURSE_API_KEY is not set" in logs
    assert "Tremplin is running (web on http://127.0.0.1:" in logs
    assert "Traceback" not in logs
