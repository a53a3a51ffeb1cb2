"""`POST /webhooks/discourse`: the forum tells Tremplin about new posts, signed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest_asyncio
from aiohttp import web

from bot.app import Tremplin
from bot.config import Config, Secrets
from bot.connectors.discourse.api import HEADER_EVENT_ID, HEADER_EVENT_SIGNATURE, sign_webhook
from bot.web import make_app
from tests.discourse.forum import ADMIN_KEY, ForumWorld

SECRET = "secret-du-webhook-0123456789"
ALICE = "Bonjour, je fais du CSS et je traduis de l'anglais, je peux aider !"


def secrets(webhook_secret: str | None) -> Secrets:
    return Secrets(
        matrix_access_token=None,
        matrix_password=None,
        discourse_api_key=ADMIN_KEY,
        discourse_webhook_secret=webhook_secret,
        mastodon_token=None,
    )


async def serve(world: ForumWorld, webhook_secret: str | None) -> tuple[web.AppRunner, str]:
    """Tremplin's web server, as `tremplin run` starts it, on a free port."""
    assert world.brain is not None and world.connector is not None
    config = Config(discourse=world.connector.config)
    tremplin = Tremplin(config, world.database, world.brain, world.connector.health)
    runner = web.AppRunner(make_app(tremplin, secrets(webhook_secret)), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}/webhooks/discourse"


@pytest_asyncio.fixture
async def webhook_url(world: ForumWorld) -> AsyncIterator[str]:
    runner, url = await serve(world, SECRET)
    try:
        yield url
    finally:
        await runner.cleanup()


async def settle(world: ForumWorld) -> None:
    """Every delivery answered, every accepted post handled."""
    assert world.connector is not None
    await world.forum.wait_webhooks()
    await world.connector.wait_webhooks()


async def test_a_reply_by_webhook_is_answered_once_even_if_delivered_twice(
    world: ForumWorld, webhook_url: str
) -> None:
    world.forum.add_webhook(webhook_url, SECRET)
    topic_id = await world.publish_appeal()
    alice = world.forum.member_posts("alice", topic_id, ALICE)
    await settle(world)

    [answer] = world.answers(topic_id)
    assert answer.raw.startswith("@alice ") and answer.reply_to_post_number == alice.post_number
    assert world.forum.requests_to("/notifications") == [], "no polling was needed"

    delivery = next(d for d in world.forum.webhook_deliveries if b"je peux aider" in d.body)
    async with aiohttp.ClientSession() as session:
        async with session.post(webhook_url, data=delivery.body, headers=delivery.headers) as again:
            assert again.status == 200 and (await again.json())["detail"] == "already received"
        headers = {**delivery.headers, HEADER_EVENT_ID: "9999"}
        async with session.post(webhook_url, data=delivery.body, headers=headers) as other_id:
            assert other_id.status == 200
    await settle(world)
    await world.poll()

    assert len(world.answers(topic_id)) == 1


async def test_bad_or_missing_signatures_are_refused_and_nothing_is_answered(
    world: ForumWorld, webhook_url: str
) -> None:
    world.forum.add_webhook(webhook_url, "not-the-secret")
    world.forum.add_webhook(webhook_url, None)
    topic_id = await world.publish_appeal()
    world.forum.member_posts("alice", topic_id, ALICE)
    await settle(world)

    statuses = {d.status for d in world.forum.webhook_deliveries}
    assert statuses == {401, 403}
    assert world.answers(topic_id) == []
    async with aiohttp.ClientSession() as session:
        garbage = b"{not json"
        headers = {HEADER_EVENT_SIGNATURE: "sha256=" + "0" * 64}
        async with session.post(webhook_url, data=garbage, headers=headers) as refused:
            assert refused.status == 403, "the signature is checked before the body is read"
        signed = {HEADER_EVENT_SIGNATURE: sign_webhook(SECRET, garbage)}
        async with session.post(webhook_url, data=garbage, headers=signed) as unreadable:
            assert unreadable.status == 400


async def test_the_forum_ping_is_answered(world: ForumWorld, webhook_url: str) -> None:
    hook = world.forum.add_webhook(webhook_url, SECRET)

    [delivery] = await world.forum.ping_webhook(hook)

    assert delivery.status == 200


async def test_without_a_secret_there_is_no_webhook_route(world: ForumWorld) -> None:
    runner, url = await serve(world, None)
    try:
        async with aiohttp.ClientSession() as session, session.post(url, data=b"{}") as response:
            assert response.status == 404
    finally:
        await runner.cleanup()
