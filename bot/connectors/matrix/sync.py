"""The supervised /sync loop: handle each batch, then store its token; back off on failure."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import aiohttp
from nio import (
    AsyncClient,
    Event,
    MessageDirection,
    RoomMessagesResponse,
    SyncError,
    SyncResponse,
)

from bot.connectors.matrix.client import TOKEN_ERRORS, CannotStart, TokenRefused
from bot.connectors.matrix.ledger import Ledger
from bot.health import Health

log = logging.getLogger(__name__)

GAP_PAGE = 100  # events per /messages page when a timeline came back limited
GAP_PAGES = 20  # at most 2,000 missed events per room and batch: the loop must go on
FIRST_SYNC_LIMIT = 120.0  # seconds for a full-state sync, which doesn't long-poll
HEALTH_PART = "matrix"
# Answers that will not change if asked again: skip the rest of the gap instead of retrying.
REFUSALS = {"M_FORBIDDEN", "M_NOT_FOUND", "M_INVALID_PARAM", "M_BAD_JSON", "M_UNRECOGNIZED"}

Prepare = Callable[[], Awaitable[AsyncClient]]
HandleBatch = Callable[[SyncResponse, "str | None"], Awaitable[None]]


class SyncFailed(Exception):
    """The homeserver answered /sync (or /messages) with an error."""

    def __init__(self, what: str, response: Any) -> None:
        self.errcode = str(getattr(response, "status_code", "") or "")
        super().__init__(f"{what} failed: {response}")


class SessionLost(SyncFailed):
    """The access token is no longer valid: sign in again."""


class Backoff:
    """1 s, 2 s, 4 s … up to `maximum`, each with jitter (between half and all of it)."""

    def __init__(
        self, first: float = 1.0, maximum: float = 60.0, rng: Callable[[], float] = random.random
    ) -> None:
        self.first = first
        self.maximum = maximum
        self.rng = rng
        self.failures = 0

    def next_delay(self) -> float:
        delay = min(self.maximum, self.first * 2 ** min(self.failures, 30))
        self.failures += 1
        return delay * (0.5 + self.rng() / 2)

    def reset(self) -> None:
        self.failures = 0


async def key_housekeeping(client: AsyncClient) -> None:
    """Between syncs: upload, query and claim keys, and send queued to-device messages."""
    if client.should_upload_keys:
        await client.keys_upload()
    if client.should_query_keys:
        await client.keys_query()
    if client.should_claim_keys:
        await client.keys_claim(client.get_users_for_key_claiming())
    await client.send_to_device_messages()


async def fetch_gap(client: AsyncClient, room_id: str, start: str, since: str) -> list[Event]:
    """The events a `limited` timeline left out: from its prev_batch back to `since` (the token
    the sync was made with), oldest first. Bounded to GAP_PAGES pages.

    A network failure or a busy homeserver raises (the whole batch is tried again); a refusal
    is logged and the gap kept as far as it was read, or the loop would retry it forever.
    """
    events: list[Event] = []
    for _ in range(GAP_PAGES):
        response = await client.room_messages(
            room_id, start=start, end=since, direction=MessageDirection.back, limit=GAP_PAGE
        )
        if not isinstance(response, RoomMessagesResponse):
            if getattr(response, "status_code", None) not in REFUSALS:
                raise SyncFailed(f"/messages in {room_id}", response)  # busy, 5xx: try again
            log.warning(
                "gap in %s not fetched beyond %d events: %s", room_id, len(events), response
            )
            break
        events.extend(response.chunk)
        if not response.chunk or not response.end or response.end == start:
            break
        start = response.end
    else:
        log.warning("gap in %s longer than %d events: older ones skipped", room_id, len(events))
    events.reverse()
    return events


class SyncLoop:
    """Runs until `stop` is set; never dies: every failure waits (bounded) and tries again."""

    def __init__(
        self,
        *,
        prepare: Prepare,
        handle_batch: HandleBatch,
        ledger: Ledger,
        health: Health,
        timeout_seconds: int,
        backoff: Backoff,
        clock: Callable[[], datetime],
        on_session_lost: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.prepare = prepare
        self.handle_batch = handle_batch
        self.ledger = ledger
        self.health = health
        self.timeout_seconds = timeout_seconds
        self.backoff = backoff
        self.clock = clock
        self.on_session_lost = on_session_lost
        self.sync_filter: str | dict[str, Any] | None = None
        self.last_sync: float | None = None
        self.synced = asyncio.Event()  # set after the first batch handled

    async def run(self, stop: asyncio.Event) -> None:
        client: AsyncClient | None = None
        token: str | None = None
        first = True
        while not stop.is_set():
            try:
                if client is None:
                    client = await self.prepare()
                    token, first = await self.ledger.sync_token(), True
                response = await self._sync(client, token, first, stop)
                if response is None:
                    return
                await key_housekeeping(client)
                await self.handle_batch(response, token)
                await self.ledger.save(response.next_batch)
                token, first = response.next_batch, False
                self._succeeded()
            except asyncio.CancelledError:
                raise
            except CannotStart as error:
                log.critical("%s", error)
                self.health.report(HEALTH_PART, False, str(error), failures=self.backoff.failures)
                return
            except (SessionLost, TokenRefused) as error:
                log.error("Matrix session lost (%s): signing in again", error)
                if self.on_session_lost is not None:
                    await self.on_session_lost()
                client = None
                await self._failed(error, stop)
            except Exception as error:
                await self._failed(error, stop)

    async def _sync(
        self, client: AsyncClient, token: str | None, full_state: bool, stop: asyncio.Event
    ) -> SyncResponse | None:
        """One /sync, abandoned at once if `stop` is set meanwhile (None then)."""
        timeout_ms = 0 if full_state else self.timeout_seconds * 1000
        limit = FIRST_SYNC_LIMIT if full_state else self.timeout_seconds + 30
        request = asyncio.ensure_future(
            asyncio.wait_for(
                client.sync(
                    timeout=timeout_ms,
                    since=token,
                    full_state=full_state,
                    sync_filter=self.sync_filter,
                ),
                limit,
            )
        )
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({request, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for future in (request, stopping):
                if not future.done():
                    future.cancel()
            await asyncio.gather(request, stopping, return_exceptions=True)
        if request.cancelled():  # stop was set first
            return None
        response = request.result()
        if isinstance(response, SyncError):
            if response.status_code in TOKEN_ERRORS:
                raise SessionLost("/sync", response)
            raise SyncFailed("/sync", response)
        return response

    def _succeeded(self) -> None:
        self.backoff.reset()
        self.last_sync = self.clock().timestamp()
        self.synced.set()
        self.health.report(HEALTH_PART, True, "syncing", last_sync=self.last_sync, failures=0)

    async def _failed(self, error: Exception, stop: asyncio.Event) -> None:
        delay = self.backoff.next_delay()
        failures = self.backoff.failures
        level = logging.WARNING if failures < 5 else logging.ERROR
        log.log(
            level,
            "Matrix sync failed (%d in a row), next try in %.1f s: %s: %s",
            failures,
            delay,
            type(error).__name__,
            error,
            exc_info=not _expected(error),
        )
        self.health.report(
            HEALTH_PART,
            False,
            f"{type(error).__name__}: {error}"[:200],
            last_sync=self.last_sync,
            failures=failures,
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)


def _expected(error: Exception) -> bool:
    """Failures worth one log line without a traceback: the homeserver is away or said no."""
    return isinstance(error, SyncFailed | TimeoutError | aiohttp.ClientError | OSError)
