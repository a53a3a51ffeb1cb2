"""`tremplin appeal publish --to mastodon`: the call for volunteers as a public status."""

from __future__ import annotations

import sys

from bot.app import start_tremplin
from bot.config import Config, Secrets
from bot.connectors.mastodon.connector import MastodonConnector, missing_settings
from commands.appeals import record_appeal, render_call
from commands.channels import CHANNELS
from commands.ports import AppealText, PortError

CLI_ACTOR = "cli"


async def publish_from_command_line(config: Config, language: str) -> int:
    """Prints the status's address, or why it wasn't published (exit status 1 or 2)."""
    secrets = Secrets.from_environment()
    missing = missing_settings(config, secrets)
    if missing:
        print(f"tremplin: cannot publish on Mastodon: set {', '.join(missing)}", file=sys.stderr)
        return 2
    tremplin = await start_tremplin(config)
    try:
        async with tremplin.database.session() as session:
            draft, rendered = await render_call(
                session, tremplin.brain.services, CHANNELS["mastodon"], language
            )
        connector = MastodonConnector.from_settings(tremplin, secrets)
        await connector.start()
        try:
            places = await connector.publish_appeal(AppealText("", rendered.text, language))
        except PortError as error:
            print(f"tremplin: Mastodon did not publish the call ({error})", file=sys.stderr)
            return 1
        finally:
            await connector.stop()
        async with tremplin.database.session() as session:
            await record_appeal(
                session, "mastodon", places, draft, CLI_ACTOR, now=tremplin.brain.services.clock()
            )
    finally:
        await tremplin.close()
    print(f"call for volunteers published on Mastodon: {places[0]}")
    return 0
