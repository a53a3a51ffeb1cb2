"""The follow-up pass, run periodically inside `tremplin run`."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.app import Tremplin
from commands.reminders import run_pass

log = logging.getLogger(__name__)
DEFAULT_INTERVAL_SECONDS = 600.0


async def run_scheduler(
    tremplin: Tremplin, stop: asyncio.Event, interval: float = DEFAULT_INTERVAL_SECONDS
) -> None:
    """Every `interval` seconds, send what is due; a failing pass is logged and retried later."""
    services = tremplin.brain.services
    while not stop.is_set():
        try:
            report = await run_pass(tremplin.database, services, services.clock())
            tremplin.health.report(
                "scheduler", True, f"{len(report.sent)} sent", failed=len(report.failed)
            )
            if report.sent or report.failed:
                log.info("follow-ups: %d sent, %d to retry", len(report.sent), len(report.failed))
        except Exception:
            log.exception("the follow-up pass failed")
            tremplin.health.report("scheduler", False, "the last pass failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)
