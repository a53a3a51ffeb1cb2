"""`tremplin run`: the connectors, the web server and the scheduler, until a signal."""

from __future__ import annotations

import asyncio
import logging
import signal

from bot.app import start_tremplin
from bot.config import Config, Secrets
from bot.scheduler import run_scheduler

log = logging.getLogger(__name__)


async def run_forever(config: Config) -> int:
    secrets = Secrets.from_environment()
    tremplin = await start_tremplin(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    tasks: list[asyncio.Task[None]] = []
    web_runner = None
    matrix = None
    discourse = None  # the forum connector, when enabled
    try:
        if config.matrix.enabled:
            from bot.connectors.matrix import MatrixConnector

            matrix = MatrixConnector(config.matrix, tremplin.brain, secrets, tremplin.health)
            await matrix.start()
        # --- discourse connector (start) ---
        if config.discourse.enabled:
            from bot.connectors.discourse import start_discourse

            discourse = await start_discourse(tremplin, secrets)
        # --- discourse connector (end) ---
        if config.web.enabled:
            from bot.web import start_web

            web_runner = await start_web(tremplin, secrets)
        tasks.append(asyncio.create_task(run_scheduler(tremplin, stop), name="follow-ups"))
        log.info("Tremplin is running (%s)", ", ".join(enabled_parts(config)) or "nothing enabled")
        await stop.wait()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if matrix is not None:
            await matrix.stop()
        if discourse is not None:  # the forum connector
            await discourse.stop()
        if web_runner is not None:
            await web_runner.cleanup()
        await tremplin.close()
    return 0


def enabled_parts(config: Config) -> list[str]:
    parts = []
    if config.matrix.enabled:
        parts.append("matrix")
    if config.discourse.enabled:
        parts.append("discourse")
    if config.web.enabled:
        parts.append(f"web on http://{config.web.host}:{config.web.port}")
    return parts
