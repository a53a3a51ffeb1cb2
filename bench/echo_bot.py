"""Baseline matrix-nio echo bot and a reusable command round-trip latency probe."""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from nio import (
    AsyncClient,
    AsyncClientConfig,
    Event,
    MatrixRoom,
    RoomMessageText,
    RoomSendResponse,
    SyncResponse,
)

if TYPE_CHECKING:
    from tests.harness.synapse import RegisteredUser, SynapseServer

Expect = Callable[[str], bool]
LONG_POLL_MS = 30_000


def is_pong(body: str) -> bool:
    """The echo bot's answer to ``!ping``."""
    return body.strip() == "pong"


# -- nio clients --------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def nio_client(
    homeserver: str, user_id: str, device_id: str, access_token: str, store_path: Path | str
) -> AsyncIterator[AsyncClient]:
    """An e2e-enabled AsyncClient restored from a token, synced once, with its keys uploaded."""
    await asyncio.to_thread(Path(store_path).mkdir, parents=True, exist_ok=True)
    config = AsyncClientConfig(
        encryption_enabled=True,
        store_sync_tokens=False,
        max_limit_exceeded=3,
        max_timeouts=3,
        request_timeout=LONG_POLL_MS / 1000 + 15,
    )
    client = AsyncClient(
        homeserver, user_id, device_id=device_id, store_path=str(store_path), config=config
    )
    try:
        client.restore_login(user_id, device_id, access_token)
        response = await client.sync(timeout=0, full_state=True)
        if not isinstance(response, SyncResponse):
            raise RuntimeError(f"initial sync of {user_id} failed: {response}")
        await key_housekeeping(client)
        yield client
    finally:
        await client.close()


async def key_housekeeping(client: AsyncClient) -> None:
    """What sync_forever does between syncs: upload, query and claim keys as needed."""
    if client.should_upload_keys:
        await client.keys_upload()
    if client.should_query_keys:
        await client.keys_query()
    if client.should_claim_keys:
        await client.keys_claim(client.get_users_for_key_claiming())


# -- the echo bot -------------------------------------------------------------------------


async def run_echo_bot(
    homeserver: str,
    user_id: str,
    device_id: str,
    access_token: str,
    store_path: Path | str,
    stop_event: asyncio.Event,
    *,
    ready: asyncio.Event | None = None,
    command: str = "!ping",
    reply: str = "pong",
) -> None:
    """Answer ``command`` with an ``m.notice`` ``reply`` in any joined room until stop_event.

    Messages older than the bot's first sync are ignored. ``ready`` is set once the bot has
    synced and uploaded its device keys (so encrypted senders can share keys with it).
    """
    async with nio_client(homeserver, user_id, device_id, access_token, store_path) as client:

        async def on_text(room: MatrixRoom, event: RoomMessageText) -> None:
            if event.sender == client.user_id or event.body.strip() != command:
                return
            content = {"msgtype": "m.notice", "body": reply}
            await client.room_send(
                room.room_id, "m.room.message", content, ignore_unverified_devices=True
            )

        client.add_event_callback(on_text, RoomMessageText)
        if ready is not None:
            ready.set()
        await _sync_until(client, stop_event)


async def _sync_until(client: AsyncClient, stop_event: asyncio.Event) -> None:
    sync_task = asyncio.create_task(client.sync_forever(timeout=LONG_POLL_MS))
    stop_task = asyncio.create_task(stop_event.wait())
    try:
        await asyncio.wait({sync_task, stop_task}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (sync_task, stop_task):
            task.cancel()
        await asyncio.gather(sync_task, stop_task, return_exceptions=True)
    if sync_task.done() and not sync_task.cancelled() and sync_task.exception() is not None:
        raise RuntimeError("echo bot sync loop crashed") from sync_task.exception()


# -- round-trip measurement ---------------------------------------------------------------


@dataclass(frozen=True)
class SeenEvent:
    """A timeline event as the probe needs it."""

    event_id: str
    sender: str
    body: str | None
    reply_to: str | None
    origin_server_ts: int


@dataclass(frozen=True)
class RoundTrip:
    """One command/reply pair: as the sender saw it, and by the server's event timestamps."""

    client_seconds: float
    server_ms: int  # reply.origin_server_ts - command.origin_server_ts


def _seen_from_dict(event: Mapping[str, Any]) -> SeenEvent:
    content = event.get("content") or {}
    body = content.get("body")
    relates = content.get("m.relates_to") or {}
    reply_to = (relates.get("m.in_reply_to") or {}).get("event_id")
    return SeenEvent(
        event_id=str(event.get("event_id", "")),
        sender=str(event.get("sender", "")),
        body=body if isinstance(body, str) else None,
        reply_to=reply_to if isinstance(reply_to, str) else None,
        origin_server_ts=int(event.get("origin_server_ts", 0)),
    )


def _room_filter(room_id: str) -> dict[str, Any]:
    return {
        "room": {
            "rooms": [room_id],
            "timeline": {"limit": 50},
            "ephemeral": {"types": []},
            "account_data": {"types": []},
        },
        "presence": {"types": []},
        "account_data": {"types": []},
    }


class _Probe(Protocol):
    async def prime(self) -> None: ...

    async def send(self, body: str) -> str: ...

    async def next_events(self, timeout_ms: int) -> list[SeenEvent]: ...


class _RawProbe:
    """Sender through the plain client-server API (unencrypted rooms only)."""

    def __init__(self, server: SynapseServer, sender: RegisteredUser, room_id: str) -> None:
        self.server, self.sender, self.room_id = server, sender, room_id
        self.filter = _room_filter(room_id)
        self.since: str | None = None

    async def prime(self) -> None:
        # An initial sync may come from Synapse's response cache: the token can be stale,
        # which only means replaying a few old events; round trips are matched by event id.
        answer = await self.server.sync(self.sender, sync_filter=self.filter)
        self.since = answer["next_batch"]

    async def send(self, body: str) -> str:
        return await self.server.send_text(self.sender, self.room_id, body)

    async def next_events(self, timeout_ms: int) -> list[SeenEvent]:
        answer = await self.server.sync(
            self.sender,
            since=self.since,
            timeout_ms=timeout_ms,
            sync_filter=self.filter,
        )
        self.since = answer["next_batch"]
        room = answer.get("rooms", {}).get("join", {}).get(self.room_id, {})
        return [_seen_from_dict(event) for event in room.get("timeline", {}).get("events", [])]


class _NioProbe:
    """Sender as an e2e-enabled nio client: encrypts in encrypted rooms, decrypts replies."""

    def __init__(self, client: AsyncClient, room_id: str) -> None:
        self.client, self.room_id = client, room_id
        self.filter = _room_filter(room_id)

    async def prime(self) -> None:
        await self.next_events(0)

    async def send(self, body: str) -> str:
        content = {"msgtype": "m.text", "body": body}
        response = await self.client.room_send(
            self.room_id, "m.room.message", content, ignore_unverified_devices=True
        )
        if not isinstance(response, RoomSendResponse):
            raise RuntimeError(f"sending {body!r} failed: {response}")
        return str(response.event_id)

    async def next_events(self, timeout_ms: int) -> list[SeenEvent]:
        response = await self.client.sync(timeout=timeout_ms, sync_filter=self.filter)
        if not isinstance(response, SyncResponse):
            raise RuntimeError(f"sync failed: {response}")
        await key_housekeeping(self.client)
        room = response.rooms.join.get(self.room_id)
        if room is None:
            return []
        return [_seen_from_nio(event) for event in room.timeline.events]


def _seen_from_nio(event: Event) -> SeenEvent:
    """nio puts the decrypted payload in ``source``; undecryptable events have no body."""
    seen = _seen_from_dict(event.source)
    body = getattr(event, "body", None)
    return SeenEvent(
        event_id=event.event_id,
        sender=event.sender,
        body=body if isinstance(body, str) else None,
        reply_to=seen.reply_to,
        origin_server_ts=event.server_timestamp,
    )


async def _one_round_trip(
    probe: _Probe, bot_user_id: str, command: str, expect: Expect, reply_timeout: float
) -> RoundTrip:
    """Time from sending ``command`` until the bot's matching reply reaches the sender.

    A reply only counts once the sender has seen its own command in the stream, so replies
    left over from earlier commands are never mistaken for this one.
    """
    started = time.perf_counter()
    command_id = await probe.send(command)
    deadline = started + reply_timeout
    command_ts: int | None = None
    while (remaining := deadline - time.perf_counter()) > 0:
        for event in await probe.next_events(int(min(remaining, LONG_POLL_MS / 1000) * 1000)):
            if event.event_id == command_id:
                command_ts = event.origin_server_ts
            elif (
                command_ts is not None
                and event.sender == bot_user_id
                and event.body is not None
                and event.reply_to in (None, command_id)
                and expect(event.body)
            ):
                elapsed = time.perf_counter() - started
                return RoundTrip(elapsed, event.origin_server_ts - command_ts)
    raise TimeoutError(f"no reply from {bot_user_id} to {command!r} within {reply_timeout:.1f} s")


async def measure_round_trips(
    server: SynapseServer,
    bot_user: RegisteredUser | str,
    sender: RegisteredUser | AsyncClient,
    room_id: str,
    n: int = 50,
    command: str = "!ping",
    expect: Expect = is_pong,
    *,
    warmup: int = 1,
    reply_timeout: float = 10.0,
) -> list[RoundTrip]:
    """Send ``command`` n times, one at a time, and time each reply (see ``RoundTrip``).

    ``sender`` is either a registered user (raw client API, /sync long-poll with a since
    token; unencrypted rooms) or a logged-in e2e nio ``AsyncClient`` (needed in encrypted
    rooms). ``expect`` checks the body of the bot's reply. ``warmup`` extra round trips run
    first and are not returned (the first encrypted one includes the key exchange).
    Raises TimeoutError if one reply takes longer than ``reply_timeout`` seconds.
    """
    bot_user_id = bot_user if isinstance(bot_user, str) else bot_user.user_id
    probe: _Probe = (
        _NioProbe(sender, room_id)
        if isinstance(sender, AsyncClient)
        else _RawProbe(server, sender, room_id)
    )
    await probe.prime()
    samples: list[RoundTrip] = []
    for index in range(warmup + n):
        elapsed = await _one_round_trip(probe, bot_user_id, command, expect, reply_timeout)
        if index >= warmup:
            samples.append(elapsed)
    return samples


def summarize_ms(samples: list[float]) -> dict[str, float]:
    """p50, p95, min and max of round trips given in seconds, in milliseconds."""
    if not samples:
        raise ValueError("no samples")
    ms = sorted(sample * 1000 for sample in samples)
    p95 = statistics.quantiles(ms, n=20, method="inclusive")[18] if len(ms) > 1 else ms[0]
    return {"p50": statistics.median(ms), "p95": p95, "min": ms[0], "max": ms[-1]}
