"""`tremplin run`: the enabled connectors, the web server and the scheduler, until a signal."""

from __future__ import annotations

import asyncio
import logging
import signal

from bot.app import Tremplin, start_tremplin
from bot.config import Config, Secrets
from bot.connectors.connector import Connector, NotConfigured
from bot.connectors.registry import enabled_kinds
from bot.scheduler import Periodic, run_scheduler
from commands.i18n import catalogue

log = logging.getLogger(__name__)


async def run_forever(config: Config) -> int:
    secrets = Secrets.from_environment()
    tremplin = await start_tremplin(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    connectors: list[Connector] = []
    scheduler: asyncio.Task[None] | None = None
    web_runner = None
    try:
        await warm_up()
        connectors = await start_connectors(tremplin, secrets)
        if config.web.enabled:
            from bot.web import start_web

            web_runner = await start_web(tremplin, secrets)
        periodic = [connector for connector in connectors if isinstance(connector, Periodic)]
        scheduler = asyncio.create_task(
            run_scheduler(tremplin, stop, periodic=periodic), name="follow-ups"
        )
        parts = [connector.platform for connector in connectors]
        if config.web.enabled:
            parts.append(f"web on http://{config.web.host}:{config.web.port}")
        log.info("Tremplin is running (%s)", ", ".join(parts) or "nothing enabled")
        await stop.wait()
    finally:
        if scheduler is not None:
            scheduler.cancel()
            await asyncio.gather(scheduler, return_exceptions=True)
        await stop_connectors(connectors)
        if web_runner is not None:
            await web_runner.cleanup()
        await tremplin.close()
    return 0


async def warm_up() -> None:
    """Read the message catalogue now, in a worker thread: read at the first reply instead,
    it would hold the event loop for a tenth of a second or more."""
    await asyncio.to_thread(catalogue)


async def start_connectors(tremplin: Tremplin, secrets: Secrets) -> list[Connector]:
    """Start every enabled connector; one that can't start is reported (log and /healthz)
    and the others run."""
    started: list[Connector] = []
    for kind in enabled_kinds(tremplin.config):
        try:
            connector = kind.build(tremplin, secrets)
            await connector.start()
        except NotConfigured as missing:
            log.error("%s is enabled but can't run: %s", kind.platform, missing)
            tremplin.health.report(kind.platform, False, str(missing))
        except Exception as error:
            log.exception("%s did not start", kind.platform)
            tremplin.health.report(kind.platform, False, f"did not start: {type(error).__name__}")
        else:
            started.append(connector)
    return started


async def stop_connectors(connectors: list[Connector]) -> None:
    """Stop them in the reverse order; one failing to stop doesn't keep the others running."""
    for connector in reversed(connectors):
        try:
            await connector.stop()
        except Exception:
            log.exception("%s did not stop cleanly", connector.platform)
