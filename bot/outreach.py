"""Outreach from the command line: calls for external channels, publishing, the funnel."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot.app import start_tremplin
from bot.config import Config
from commands.appeals import appeal_missions
from commands.channels import CHANNELS, Links, channel_named, render_for_channel
from commands.chart import funnel_png
from commands.i18n import Translator
from commands.stats import funnel_text
from storage.stats import funnel


async def render_appeal(config: Config, channel_name: str, language: str) -> int:
    channel = channel_named(channel_name)
    if channel is None:
        known = ", ".join(CHANNELS)
        print(f"tremplin: unknown channel {channel_name!r} (known: {known})", file=sys.stderr)
        return 2
    tremplin = await start_tremplin(config)
    try:
        settings = tremplin.brain.services.settings
        links = Links(settings.matrix_room_link, settings.forum_url, settings.board_url)
        async with tremplin.database.session() as session:
            missions = await appeal_missions(session)
        rendered = render_for_channel(channel, missions, Translator(language), links)
    finally:
        await tremplin.close()
    if rendered.subject:
        print(f"Subject: {rendered.subject}\n")
    print(rendered.text)
    return 0


async def publish_appeal(config: Config, target: str, language: str) -> int:
    print(
        f"tremplin: publishing to {target} from the command line is not available yet; "
        f"use !appel publier {target} in the chat.",
        file=sys.stderr,
    )
    return 2


async def print_stats(config: Config, language: str, png: str | None) -> int:
    tremplin = await start_tremplin(config)
    try:
        async with tremplin.database.session() as session:
            result = await funnel(session, tremplin.brain.services.clock())
    finally:
        await tremplin.close()
    t = Translator(language)
    from bot.render import to_plain

    print(to_plain(funnel_text(result, t)))
    if png:
        await asyncio.to_thread(Path(png).write_bytes, funnel_png(result, t))
    return 0
