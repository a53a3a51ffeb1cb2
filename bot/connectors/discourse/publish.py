"""`tremplin appeal publish --to forum`: the call for volunteers, published without polling."""

from __future__ import annotations

import sys

from bot.app import Tremplin, start_tremplin
from bot.config import Config, Secrets
from bot.connectors.discourse.connector import DiscourseConnector
from commands.appeals import AppealDraft, appeal_missions, chat_text, record_appeal
from commands.i18n import Translator
from commands.ports import PortError

CLI_ACTOR = "cli"


def missing_settings(config: Config, api_key: str | None) -> list[str]:
    """What must be set before the forum can be reached, by its setting's name."""
    forum = config.discourse
    missing = [
        f"discourse.{key}"
        for key in ("url", "username", "appeal_category")
        if getattr(forum, key) in (None, "")
    ]
    if not api_key:
        missing.append("TREMPLIN_DISCOURSE_API_KEY")
    return missing


async def publish_forum_appeal(tremplin: Tremplin, api_key: str, language: str) -> list[str]:
    """Compose the call as `!appel publier forum` does, post it, record where (topic ids).

    The connector runs without polling. Raises `PortError` when the forum does not take it.
    """
    async with tremplin.database.session() as session:
        draft = AppealDraft(await appeal_missions(session), language)
    text = chat_text(draft, Translator(language), tremplin.brain.services.clock(), forum=True)
    connector = DiscourseConnector(
        tremplin.brain,
        tremplin.config.discourse,
        api_key,
        language=language,
        health=tremplin.health,
    )
    await connector.start(watch=False)
    try:
        places = await connector.publish_appeal(text)
    finally:
        await connector.stop()
    async with tremplin.database.session() as session:
        await record_appeal(
            session, "discourse", places, draft, CLI_ACTOR, now=tremplin.brain.services.clock()
        )
    return places


async def publish_from_command_line(config: Config, language: str) -> int:
    """The CLI command: prints where the call went, or why it didn't (exit status 1 or 2)."""
    api_key = Secrets.from_environment().discourse_api_key
    missing = missing_settings(config, api_key)
    if missing or api_key is None:
        print(f"tremplin: cannot publish on the forum: set {', '.join(missing)}", file=sys.stderr)
        return 2
    tremplin = await start_tremplin(config)
    try:
        places = await publish_forum_appeal(tremplin, api_key, language)
    except PortError as error:
        print(f"tremplin: {Translator(language)(error.key, **error.params)}", file=sys.stderr)
        return 1
    finally:
        await tremplin.close()
    base = (config.discourse.url or "").rstrip("/")
    for place in places:
        print(f"call for volunteers published on the forum: {base}/t/{place}")
    return 0
