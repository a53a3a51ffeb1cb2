"""Outreach from the command line: calls for external channels, publishing, the funnel."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.app import start_tremplin
from bot.config import Config
from commands.appeals import appeal_missions, render_call
from commands.channels import CHANNELS, channel_named
from commands.i18n import Translator
from commands.stats import funnel_text, render_funnel_png
from storage.stats import funnel


async def render_appeal(config: Config, channel_name: str, language: str) -> int:
    channel = channel_named(channel_name)
    if channel is None:
        known = ", ".join(CHANNELS)
        print(f"tremplin: unknown channel {channel_name!r} (known: {known})", file=sys.stderr)
        return 2
    tremplin = await start_tremplin(config)
    try:
        async with tremplin.database.session() as session:
            _, rendered = await render_call(session, tremplin.brain.services, channel, language)
    finally:
        await tremplin.close()
    if rendered.subject:
        print(f"Subject: {rendered.subject}\n")
    print(rendered.text)
    return 0


async def publish_appeal(config: Config, target: str, language: str) -> int:
    """`tremplin appeal publish --to matrix`: sign in, post in the configured rooms, sign out."""
    if target != "matrix" or not config.matrix.enabled:
        print(
            f"tremplin: cannot publish on {target}: enable it in the configuration "
            f"({target}.enabled)",
            file=sys.stderr,
        )
        return 2
    from bot.config import Secrets
    from bot.connectors.matrix import MatrixConnector
    from commands.appeals import AppealDraft, chat_text, record_appeal

    tremplin = await start_tremplin(config)
    connector = MatrixConnector(
        config.matrix, tremplin.brain, Secrets.from_environment(), tremplin.health
    )
    try:
        await connector.start()
        await connector.wait_until_synced(60)
        async with tremplin.database.session() as session:
            draft = AppealDraft(await appeal_missions(session), language)
        text = chat_text(draft, Translator(language), tremplin.brain.services.clock(), forum=False)
        places = await connector.publish_appeal(text)
        async with tremplin.database.session() as session:
            await record_appeal(
                session, "matrix", places, draft, "cli", now=tremplin.brain.services.clock()
            )
    except Exception as error:  # sign-in refused, homeserver down: say so, no traceback
        print(f"tremplin: could not publish on Matrix ({error})", file=sys.stderr)
        return 1
    finally:
        await connector.stop(grace=5)
        await tremplin.close()
    for place in places:
        print(f"call for volunteers published in Matrix room {place}")
    return 0 if places else 1


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
        chart = await asyncio.to_thread(render_funnel_png, result, t)
        try:
            await asyncio.to_thread(Path(png).write_bytes, chart)
        except OSError as error:  # an unwritable place: say so, no traceback
            print(f"tremplin: cannot write {png}: {error.strerror or error}", file=sys.stderr)
            return 1
    return 0


def parse_moment(text: str | None) -> datetime | None:
    """An ISO 8601 moment (UTC when no zone is given); None when not given (then: now)."""
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def run_reminders_once(config: Config, now_text: str | None, dry_run: bool) -> int:
    """One follow-up pass; messages for terminal threads are printed, the rest is sent by the
    connectors of `tremplin run` (those not running here stay due)."""
    try:
        moment = parse_moment(now_text)
    except ValueError:
        print(f"tremplin: --now {now_text!r} is not an ISO 8601 date", file=sys.stderr)
        return 2
    from bot.connectors.console import ConsoleOutbound
    from commands.reminders import run_pass

    tremplin = await start_tremplin(config)
    try:
        now = moment or tremplin.brain.services.clock()
        tremplin.hub.register(ConsoleOutbound(lambda text: print(text + "\n"), config.language))
        report = await run_pass(tremplin.database, tremplin.brain.services, now, dry_run=dry_run)
    finally:
        await tremplin.close()
    for label in report.due if dry_run else report.sent:
        print(("due: " if dry_run else "sent: ") + label)
    for label in report.failed:
        print(f"not sent (its platform is not connected here): {label}")
    if not report.due:
        print("nothing is due")
    return 0
