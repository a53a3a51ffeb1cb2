"""Webhooks, as an admin sets them up: signed deliveries, retried on a non-2xx answer.

Modelled on `app/jobs/regular/emit_web_hook_event.rb` (headers, HMAC-SHA256 signature of the
raw body; `send_webhook!` creates a new `WebHookEvent`, so each attempt carries a new
X-Discourse-Event-Id; `process_webhook_response` never retries a 404 or 410) and
`WebHookPostSerializer` (the body). `retries` plays `retry_web_hook_events` (off by default,
as there, when 0) and its MAX_RETRY_COUNT; a retry comes after `retry_delay` seconds instead of
`retry_web_hook`'s 5**n minutes.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.connectors.discourse.api import (
    HEADER_EVENT,
    HEADER_EVENT_ID,
    HEADER_EVENT_SIGNATURE,
    sign_webhook,
)
from tests.discourse.shapes import HEADER_EVENT_TYPE, HEADER_INSTANCE

__all__ = ["FakeWebhook", "WebhookDelivery", "Webhooks"]

Json = dict[str, Any]


@dataclass
class FakeWebhook:
    """A webhook registered on the forum (admin only)."""

    id: int
    url: str
    secret: str | None
    events: tuple[str, ...]
    retries: int = 0
    retry_delay: float = 0.05

    def wants(self, event: str, event_type: str) -> bool:
        """True when the hook subscribes to this event (or to its whole type)."""
        return event in self.events or event_type in self.events


@dataclass
class WebhookDelivery:
    """One delivery attempt of a webhook event."""

    url: str
    event: str
    event_id: int
    headers: dict[str, str]
    body: bytes
    attempt: int
    status: int | None = None
    error: str | None = None


class Webhooks:
    """The forum's webhooks and what they delivered; `touch` wakes those waiting on the forum."""

    def __init__(self, instance_url: Callable[[], str], touch: Callable[[], None]) -> None:
        self.hooks: list[FakeWebhook] = []
        self.deliveries: list[WebhookDelivery] = []
        self.timeout = 5.0
        self._instance_url = instance_url
        self._touch = touch
        self._tasks: set[asyncio.Task[list[WebhookDelivery]]] = set()
        self._session: aiohttp.ClientSession | None = None
        self._ids = 0

    async def start(self) -> None:
        self._session = aiohttp.ClientSession()

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=2.0)
        if self._session is not None:
            await self._session.close()
            self._session = None

    def add(
        self,
        url: str,
        secret: str | None,
        events: Iterable[str],
        retries: int,
        retry_delay: float,
    ) -> FakeWebhook:
        self._ids += 1
        hook = FakeWebhook(self._ids, url, secret, tuple(events), retries, retry_delay)
        self.hooks.append(hook)
        return hook

    def _next_event_id(self) -> int:
        self._ids += 1
        return self._ids

    def fire(self, event: str, event_type: str, payload: Json) -> None:
        """Deliver `payload` in the background to every hook that wants the event."""
        hooks = [hook for hook in self.hooks if hook.wants(event, event_type)]
        if not hooks:
            return
        body = json.dumps(payload).encode()
        loop = asyncio.get_running_loop()
        for hook in hooks:
            event_id = self._next_event_id()
            task = loop.create_task(self.deliver(hook, event, event_type, event_id, body))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def ping(self, hook: FakeWebhook | None) -> list[WebhookDelivery]:
        """Discourse's ping event ({"ping": "OK"}), waited for."""
        deliveries: list[WebhookDelivery] = []
        for target in [hook] if hook else list(self.hooks):
            body = json.dumps({"ping": "OK"}).encode()
            deliveries += await self.deliver(target, "ping", "ping", self._next_event_id(), body)
        return deliveries

    async def wait(self, within: float) -> None:
        pending = {task for task in self._tasks if not task.done()}
        if not pending:
            return
        _done, still = await asyncio.wait(pending, timeout=within)
        if still:
            raise TimeoutError(f"{len(still)} webhook deliveries still pending after {within}s")

    async def deliver(
        self, hook: FakeWebhook, event: str, event_type: str, event_id: int, body: bytes
    ) -> list[WebhookDelivery]:
        headers = {
            "Content-Type": "application/json",
            "Accept": "*/*",
            "User-Agent": "Discourse/3.4.0 (fake)",
            HEADER_INSTANCE: self._instance_url(),
            HEADER_EVENT_ID: str(event_id),
            HEADER_EVENT_TYPE: event_type,
            HEADER_EVENT: event,
        }
        if hook.secret:
            headers[HEADER_EVENT_SIGNATURE] = sign_webhook(hook.secret, body)
        deliveries = []
        for attempt in range(1, hook.retries + 2):
            if attempt > 1:  # `send_webhook!`: each attempt is a new WebHookEvent, a new id
                event_id = self._next_event_id()
                headers[HEADER_EVENT_ID] = str(event_id)
            delivery = WebhookDelivery(hook.url, event, event_id, dict(headers), body, attempt)
            self.deliveries.append(delivery)
            try:
                await self._send(delivery)
            finally:
                self._touch()
            deliveries.append(delivery)
            if delivery.status is not None and 200 <= delivery.status < 300:
                break
            if delivery.status in (404, 410):  # `retry_web_hook`: the endpoint is gone
                break
            if attempt <= hook.retries:
                await asyncio.sleep(hook.retry_delay)
        return deliveries

    async def _send(self, delivery: WebhookDelivery) -> None:
        if self._session is None:
            delivery.error = "fake forum not started"
            return
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        try:
            async with self._session.post(
                delivery.url, data=delivery.body, headers=delivery.headers, timeout=timeout
            ) as response:
                await response.read()
                delivery.status = response.status
        except (aiohttp.ClientError, TimeoutError) as error:
            delivery.error = f"{type(error).__name__}: {error}"
