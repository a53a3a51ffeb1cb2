"""`POST /webhooks/discourse`: signed deliveries from the forum, checked before anything else."""

from __future__ import annotations

import logging
from collections import OrderedDict

from aiohttp import web
from pydantic import ValidationError

from bot.app import Tremplin
from bot.config import Secrets
from bot.connectors.discourse.api import (
    HEADER_EVENT,
    HEADER_EVENT_ID,
    HEADER_EVENT_SIGNATURE,
    WebhookPayload,
    signature_is_well_formed,
    verify_webhook_signature,
)
from bot.connectors.discourse.connector import DiscourseConnector
from bot.connectors.discourse.outgoing import PLATFORM

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/discourse"
REMEMBERED_EVENTS = 2000
HANDLED_EVENTS = {"post_created"}


class WebhookReceiver:
    """Checks the signature on the raw body (constant time), then hands new posts over.

    Discourse retries any non-2xx answer, so only real failures get one: a missing or
    malformed signature header (401: not a Discourse delivery at all), a wrong signature
    (403), a body that isn't a webhook, no running connector. Nothing is read before the
    signature is known good, and no header, however odd its bytes, can make it fail (500).
    """

    def __init__(self, tremplin: Tremplin, secret: str) -> None:
        self.tremplin = tremplin
        self.secret = secret
        self._seen: OrderedDict[str, None] = OrderedDict()

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        signature = request.headers.get(HEADER_EVENT_SIGNATURE)
        if not signature:
            return _answer(401, "signature missing")
        if not signature_is_well_formed(signature):
            log.warning("forum webhook with a malformed signature header refused")
            return _answer(401, "signature malformed")
        if not verify_webhook_signature(self.secret, body, signature):
            log.warning("forum webhook with a bad signature refused")
            return _answer(403, "bad signature")
        try:
            payload = WebhookPayload.model_validate_json(body)
        except ValidationError:
            return _answer(400, "not a Discourse webhook body")
        if payload.ping is not None:
            return _answer(200, "pong")
        event_id = request.headers.get(HEADER_EVENT_ID)
        if event_id and event_id in self._seen:
            return _answer(200, "already received")
        event = request.headers.get(HEADER_EVENT, "")
        if payload.post is None or event not in HANDLED_EVENTS:
            return _answer(200, "ignored")
        connector = self.tremplin.hub.for_platform(PLATFORM)
        if not isinstance(connector, DiscourseConnector):
            return _answer(503, "the forum connector is not running")
        connector.accept_webhook_post(payload.post)
        if event_id:
            self._remember(event_id)
        return _answer(200, "accepted")

    def _remember(self, event_id: str) -> None:
        self._seen[event_id] = None
        while len(self._seen) > REMEMBERED_EVENTS:
            self._seen.popitem(last=False)


def _answer(status: int, detail: str) -> web.Response:
    return web.json_response({"detail": detail}, status=status)


def add_webhook_route(app: web.Application, tremplin: Tremplin, secrets: Secrets) -> None:
    """Serve `POST /webhooks/discourse` when TREMPLIN_DISCOURSE_WEBHOOK_SECRET is set."""
    if secrets.discourse_webhook_secret:
        receiver = WebhookReceiver(tremplin, secrets.discourse_webhook_secret)
        app.router.add_post(WEBHOOK_PATH, receiver.handle)
