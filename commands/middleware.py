"""Cross-cutting concerns, written once: flood control, ordering, session and dedupe, locale."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from commands.context import Context
from commands.i18n import normalise_language
from storage import events
from storage import volunteers as volunteer_store
from storage.database import Database, is_storage_unavailable

log = logging.getLogger(__name__)

ACTIVITY_GRANULARITY = timedelta(minutes=10)  # retention counts in months: no need for more
Handler = Callable[[Context], Awaitable[None]]
Middleware = Callable[[Handler, Context], Awaitable[None]]


@dataclass
class _Bucket:
    tokens: float
    updated: float
    warned: bool = False


@dataclass
class FloodControl:
    """A token bucket per sender: a burst is fine, a flood gets one warning then silence."""

    burst: int
    per_second: float
    buckets: dict[str, _Bucket] = field(default_factory=dict)

    async def __call__(self, handler: Handler, ctx: Context) -> None:
        if ctx.is_staff or ctx.message.place.platform == "console":
            await handler(ctx)  # the staff at work, or one person at their own terminal
            return
        now = time.monotonic()
        bucket = self.buckets.setdefault(ctx.sender, _Bucket(float(self.burst), now))
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.per_second)
        bucket.updated = now
        if bucket.tokens < 1:
            if not bucket.warned:
                bucket.warned = True
                ctx.reply(ctx.t("error.flood"))
            return
        bucket.tokens -= 1
        bucket.warned = False
        await handler(ctx)


@dataclass
class OnePerSender:
    """Messages from one person are handled one after another, in order."""

    locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    async def __call__(self, handler: Handler, ctx: Context) -> None:
        lock = self.locks.setdefault(ctx.sender, asyncio.Lock())
        async with lock:
            await handler(ctx)
        if not lock.locked() and not lock._waiters:  # type: ignore[attr-defined]
            self.locks.pop(ctx.sender, None)


@dataclass
class SessionAndDedupe:
    """One transaction per message; an event already handled is never handled again.

    The replies are stored with the event, in the same transaction as what the handler
    changed, so a connector that crashed before sending them can send them after a restart.
    """

    database: Database

    async def __call__(self, handler: Handler, ctx: Context) -> None:
        message = ctx.message
        ctx.database = self.database
        try:
            async with self.database.session() as session:
                ctx.session = session
                if message.event_id is not None:
                    seen = await events.find(session, message.place.platform, message.event_id)
                    if seen is not None:
                        ctx.replies = [] if seen.delivered else list(seen.replies)
                        return
                await handler(ctx)
                if message.event_id is not None:
                    await events.record(
                        session,
                        message.place.platform,
                        message.event_id,
                        ctx.replies,
                        ctx.now(),
                        sender=None if ctx.erased else message.sender,
                    )
        except Exception as error:
            incident = uuid.uuid4().hex[:8]
            if is_storage_unavailable(error):
                log.error("incident %s: storage unavailable: %s", incident, error)
                ctx.replies = [ctx.t("error.storage_unavailable", incident=incident)]
            else:
                log.exception(
                    "incident %s while handling %r from %s",
                    incident,
                    message.text[:80],
                    message.sender,
                )
                ctx.replies = [ctx.t("error.unexpected", incident=incident)]
            ctx.after_commit.clear()
            await self._remember_failure(ctx)
            return
        for action in ctx.after_commit:  # what was committed stays; one failure stops no other
            try:
                await action()
            except Exception:
                log.exception("after handling %r from %s", message.text[:80], message.sender)

    async def _remember_failure(self, ctx: Context) -> None:
        message = ctx.message
        if message.event_id is None:
            return
        try:
            async with self.database.session() as session:
                if await events.find(session, message.place.platform, message.event_id) is None:
                    await events.record(
                        session,
                        message.place.platform,
                        message.event_id,
                        ctx.replies,
                        ctx.now(),
                        sender=message.sender,
                    )
        except Exception:
            log.exception("could not record the failed event %s", message.event_id)


async def identify(handler: Handler, ctx: Context) -> None:
    """Load the sender's profile and speak their language."""
    volunteer = await volunteer_store.by_address(ctx.session, ctx.sender)
    ctx.volunteer = volunteer
    if volunteer is not None:
        ctx.language = normalise_language(volunteer.language)
        now = ctx.now()
        if now - volunteer.last_active_at > ACTIVITY_GRANULARITY:  # a write only now and then
            volunteer.last_active_at = now
    elif ctx.message.language_hint:
        ctx.language = normalise_language(ctx.message.language_hint)
    await handler(ctx)
    if volunteer is None and ctx.volunteer is not None and not ctx.privacy_notice_shown:
        ctx.reply(ctx.t("privacy.notice_short"))


def chain(middlewares: list[Middleware], endpoint: Handler) -> Handler:
    """Wrap `endpoint` in `middlewares`, the first one outermost."""
    handler = endpoint
    for middleware in reversed(middlewares):
        handler = _bind(middleware, handler)
    return handler


def _bind(middleware: Middleware, inner: Handler) -> Handler:
    async def run(ctx: Context) -> None:
        await middleware(inner, ctx)

    return run
