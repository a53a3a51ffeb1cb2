"""Publishing the call for volunteers on Mastodon (`POST /api/v1/statuses`)."""

from __future__ import annotations

import hashlib
import sys
from typing import Any

import aiohttp

from bot.app import start_tremplin
from bot.config import Config, Secrets
from commands.appeals import record_appeal, render_call
from commands.channels import CHANNELS

TIMEOUT = aiohttp.ClientTimeout(total=30)
CLI_ACTOR = "cli"


class MastodonError(Exception):
    """The instance refused the status or could not be reached; nothing was published."""


async def post_status(url: str, token: str, text: str, language: str) -> dict[str, Any]:
    """Post a public status; the Idempotency-Key makes a retried request publish once."""
    headers = {
        "Authorization": f"Bearer {token}",
        "Idempotency-Key": hashlib.sha256(text.encode()).hexdigest(),
    }
    payload = {"status": text, "visibility": "public", "language": language}
    try:
        async with (
            aiohttp.ClientSession(timeout=TIMEOUT) as client,
            client.post(f"{url.rstrip('/')}/api/v1/statuses", json=payload, headers=headers) as r,
        ):
            body = await r.json(content_type=None)
            if r.status >= 400:
                reason = body.get("error") if isinstance(body, dict) else None
                raise MastodonError(f"{r.status}: {reason or 'refused'}")
            return body if isinstance(body, dict) else {}
    except (aiohttp.ClientError, TimeoutError) as error:
        raise MastodonError(f"unreachable: {error}") from None


async def publish_on_mastodon(config: Config, language: str) -> int:
    """`tremplin appeal publish --to mastodon`: prints the status address, or why not."""
    token = Secrets.from_environment().mastodon_token
    if not config.mastodon.url or not token:
        missing = [
            name
            for name, value in (
                ("mastodon.url", config.mastodon.url),
                ("TREMPLIN_MASTODON_TOKEN", token),
            )
            if not value
        ]
        print(f"tremplin: cannot publish on Mastodon: set {', '.join(missing)}", file=sys.stderr)
        return 2
    tremplin = await start_tremplin(config)
    try:
        async with tremplin.database.session() as session:
            draft, rendered = await render_call(
                session, tremplin.brain.services, CHANNELS["mastodon"], language
            )
        text = rendered.text
        try:
            status = await post_status(config.mastodon.url, token, text, language)
        except MastodonError as error:
            print(f"tremplin: Mastodon did not publish the call ({error})", file=sys.stderr)
            return 1
        place = str(status.get("url") or status.get("id") or "")
        async with tremplin.database.session() as session:
            await record_appeal(
                session, "mastodon", [place], draft, CLI_ACTOR, now=tremplin.brain.services.clock()
            )
    finally:
        await tremplin.close()
    print(f"call for volunteers published on Mastodon: {place}")
    return 0
