"""The periodic work inside `tremplin run`: the follow-up pass, and each connector's own
(API Engagement's reconciliation), every one on its own rhythm."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from bot.app import Tremplin
from commands.reminders import run_pass
from storage.changes import Change

log = logging.getLogger(__name__)
DEFAULT_INTERVAL_SECONDS = 600.0
SETTLE_SECONDS = 2.0  # after a change, a short wait gathers a burst of edits into one pass


@runtime_checkable
class Periodic(Protocol):
    """A connector with work to do now and then, and sooner when the database tells of a
    change it cares about."""

    platform: str
    period_seconds: float
    wake_on: frozenset[Change]

    async def run_periodic(self) -> None: ...


async def run_scheduler(
    tremplin: Tremplin,
    stop: asyncio.Event,
    interval: float = DEFAULT_INTERVAL_SECONDS,
    *,
    periodic: Sequence[Periodic] = (),
    settle_seconds: float = SETTLE_SECONDS,
) -> None:
    """Every `interval` seconds, send what is due; each `periodic` runs beside, on its own; a
    failing pass is logged and retried later, and never stops the others."""
    others = [
        asyncio.create_task(
            run_periodically(tremplin, work, stop, settle_seconds), name=work.platform
        )
        for work in periodic
    ]
    try:
        await run_follow_ups(tremplin, stop, interval)
    finally:
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)


async def run_follow_ups(tremplin: Tremplin, stop: asyncio.Event, interval: float) -> None:
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


async def run_periodically(
    tremplin: Tremplin, work: Periodic, stop: asyncio.Event, settle_seconds: float
) -> None:
    """`work` at once, then every `period_seconds`, or a moment after a change it wakes on."""
    changed = asyncio.Event()

    def on_change(changes: frozenset[Change]) -> None:
        if changes & work.wake_on:
            changed.set()

    unsubscribe = tremplin.database.changes.subscribe(on_change)
    try:
        while not stop.is_set():
            changed.clear()  # a change during the pass brings the next one forward
            try:
                await work.run_periodic()
            except Exception:
                log.exception("%s: the periodic pass failed", work.platform)
                tremplin.health.report(work.platform, False, "the last pass failed")
            await wait_for_any(stop, changed, work.period_seconds)
            if changed.is_set() and not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), settle_seconds)
    finally:
        unsubscribe()


async def wait_for_any(first: asyncio.Event, second: asyncio.Event, seconds: float) -> None:
    """Until either event is set, or `seconds` have passed."""
    waiters = [asyncio.create_task(first.wait()), asyncio.create_task(second.wait())]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
        await asyncio.gather(*waiters, return_exceptions=True)
