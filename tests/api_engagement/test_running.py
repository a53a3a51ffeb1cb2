"""Inside `tremplin run`: the scheduler reconciles at start, then soon after staff change a
mission, and on its own rhythm; a bad configuration is said plainly."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.app import Tremplin
from bot.config import Config, ConfigError, load_config
from bot.scheduler import Periodic, run_scheduler
from tests.api_engagement.conftest import Diffusing
from tests.api_engagement.test_restart import write_config
from tests.fakes.api_engagement import FakeApiEngagement
from tests.test_cli import ROOT, free_port, healthz


async def until(condition: object, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "not within the time"
        await asyncio.sleep(0.05)


async def test_the_scheduler_sends_a_mission_soon_after_staff_add_it(
    diffusing: Diffusing,
) -> None:
    connector = diffusing.connector
    connector.period_seconds = 3600.0  # only a change can bring the next pass forward
    assert isinstance(connector, Periodic)
    tremplin = Tremplin(Config(), diffusing.database, diffusing.chat.brain)
    stop = asyncio.Event()
    scheduler = asyncio.create_task(
        run_scheduler(tremplin, stop, 3600.0, periodic=[connector], settle_seconds=0.05)
    )
    try:
        await until(lambda: len(diffusing.api.live()) == 9)  # the first pass, at start
        added = await diffusing.chat.say("staff", "!mission ajouter\ntitre: Relire la FAQ du site")
        number = added.split("#")[1].split()[0]
        await until(lambda: number in diffusing.api.live())
        await diffusing.chat.say("staff", f"!mission modifier {number}\nstatut: pourvue")
        await until(lambda: number not in diffusing.api.live())
    finally:
        stop.set()
        await asyncio.wait_for(scheduler, 10)
    assert diffusing.api.operations(number) == [("POST", number), ("DELETE", number)]
    assert connector.health.parts["api_engagement"]["ok"] is True


async def test_run_publishes_at_start_and_stops_on_sigterm(
    api: FakeApiEngagement, tmp_path: Path
) -> None:
    """`tremplin run` with API Engagement on: the catalogue reaches it, /healthz says so."""
    port = free_port()
    config = write_config(tmp_path, api.url)
    settings = json.loads(config.read_text("utf-8"))
    settings["web"] = {"port": port, "public_url": settings["web"]["public_url"]}
    settings["catalog"] = str(ROOT / "examples" / "missions.yaml")
    config.write_text(json.dumps(settings), "utf-8")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TREMPLIN_")}
    environment["TREMPLIN_API_ENGAGEMENT_KEY"] = api.key
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "--config",
        str(config),
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        await until(lambda: len(api.live()) == 9, within=60)
        health = await asyncio.to_thread(healthz, port)
        deadline = time.monotonic() + 30
        while health is not None and not str(
            health[1]["parts"]["api_engagement"]["detail"]
        ).startswith("9 created"):
            # the pass reports its outcome a moment after its last request reaches the API
            assert time.monotonic() < deadline, health
            await asyncio.sleep(0.1)
            health = await asyncio.to_thread(healthz, port)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        _, logs = await asyncio.wait_for(process.communicate(), 30)
    text = logs.decode()
    assert process.returncode == 0, text
    assert health is not None and health[0] == 200
    assert health[1]["parts"]["api_engagement"]["detail"].startswith("9 created")
    assert "Traceback" not in text and api.key not in text


def test_a_bad_organisation_is_refused_naming_the_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "api_engagement: {enabled: true, organization: {name: MLA, rna: '12345'}}\n", "utf-8"
    )
    with pytest.raises(ConfigError, match=r"api_engagement\.organization.*W followed by 9"):
        load_config(bad)
    missing = tmp_path / "missing.yaml"
    missing.write_text("api_engagement: {enabled: true, organization: {name: MLA}}\n", "utf-8")
    with pytest.raises(ConfigError, match="needs its rna or its siren"):
        load_config(missing)
    fine = tmp_path / "fine.yaml"
    fine.write_text(
        "api_engagement: {enabled: true, organization: {name: MLA, siren: '123 456 789'}}\n",
        "utf-8",
    )
    assert load_config(fine).api_engagement.organization.siren == "123456789"
