"""`POST /webhooks/discourse`: the forum tells Tremplin about new posts, signed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest_asyncio
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st

from bot.app import Tremplin
from bot.config import Config, Secrets
from bot.connectors.discourse.api import (
    HEADER_EVENT_ID,
    HEADER_EVENT_SIGNATURE,
    sign_webhook,
    signature_is_well_formed,
    verify_webhook_signature,
)
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


async def post_raw(url: str, signature: bytes, body: bytes) -> int:
    """POST `body` with this exact signature header, byte for byte (no client library would
    send some of these), and return the status code."""
    address = url.removeprefix("http://").split("/", 1)[0]
    host, port = address.split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    head = (
        b"POST /webhooks/discourse HTTP/1.1\r\nHost: " + address.encode() + b"\r\n"
        b"Content-Type: application/json\r\nX-Discourse-Event: post_created\r\n"
        b"X-Discourse-Event-Id: 4242\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n"
        b"X-Discourse-Event-Signature: " + signature + b"\r\nConnection: close\r\n\r\n"
    )
    writer.write(head + body)
    await writer.drain()
    status_line = await reader.readline()
    writer.close()
    await writer.wait_closed()
    return int(status_line.split()[1])


HOSTILE_SIGNATURES = [
    "sha256=é".encode() + b"0" * 63,  # UTF-8, not ASCII
    b"sha256=\xe9" + b"0" * 63,  # Latin-1
    b"sha256=\xff\xfe" + b"0" * 62,  # not even UTF-8
    "sha256=０１２３".encode() + b"0" * 60,  # full-width digits
    b"sha256=" + b"0" * 63,  # one digit short
    b"sha256=" + b"0" * 65,  # one digit too many
    b"sha256=" + b"z" * 64,  # not hexadecimal
    b"sha1=" + b"0" * 64,  # another algorithm
    b"0" * 64,  # no algorithm at all
]


async def test_hostile_signature_headers_get_a_401_never_a_500(
    world: ForumWorld, webhook_url: str
) -> None:
    topic_id = await world.publish_appeal()
    post = world.forum.member_posts("alice", topic_id, ALICE)
    body = json.dumps({"post": world.forum.json.webhook_post(post)}).encode()

    statuses = [await post_raw(webhook_url, signature, body) for signature in HOSTILE_SIGNATURES]

    assert statuses == [401] * len(HOSTILE_SIGNATURES)
    assert await post_raw(webhook_url, sign_webhook(SECRET, body).encode(), body) == 200
    assert await post_raw(webhook_url, sign_webhook("pas-le-secret", body).encode(), body) == 403


@given(header=st.one_of(st.text(max_size=80), st.binary(max_size=80)), body=st.binary(max_size=64))
def test_a_signature_check_never_raises_and_only_the_signature_passes(
    header: str | bytes, body: bytes
) -> None:
    assert verify_webhook_signature(SECRET, body, header) is False
    assert isinstance(signature_is_well_formed(header), bool)
    good = sign_webhook(SECRET, body)
    assert signature_is_well_formed(good) and verify_webhook_signature(SECRET, body, good)
    assert verify_webhook_signature(SECRET, body, good.encode())
