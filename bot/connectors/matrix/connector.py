"""The Matrix connector: runs the sync loop, answers commands, opens rooms for the brain."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp
from nio import (
    AsyncClient,
    Event,
    KeysUploadError,
    MegolmEvent,
    RoomMessage,
    RoomMessageText,
    SyncResponse,
    UnknownToDeviceEvent,
    UploadFilterResponse,
)

from bot.config import MatrixConfig, Secrets
from bot.connectors.matrix.client import (
    CONNECTION_RETRIES,
    CallFailed,
    NotSignedIn,
    TokenRefused,
    forget_token,
    make_client,
    sign_in,
)
from bot.connectors.matrix.cross_signing import ensure_cross_signed
from bot.connectors.matrix.device import checked_device
from bot.connectors.matrix.incoming import RecentThreads, read_text_event
from bot.connectors.matrix.ledger import Ledger, QueuedMessage, ReplyPlace
from bot.connectors.matrix.outgoing import (
    fresh_transaction_id,
    image_content,
    notice_content,
    reply_messages,
    send_message,
    transaction_id,
)
from bot.connectors.matrix.rooms import RoomError, Rooms
from bot.connectors.matrix.sync import Backoff, SyncLoop, fetch_gap
from bot.connectors.matrix.unreadable import WITHHELD_TYPES, UnreadableMessages
from bot.health import Health
from commands.brain import Brain
from commands.context import IncomingMessage, Place, RoomReaders
from commands.i18n import Translator
from commands.identities import MATRIX, is_matrix_user
from commands.ports import AppealText, OnboardingRequest, PortError, ThreadRef

log = logging.getLogger(__name__)

PLATFORM = MATRIX
# What a homeserver that is away or overwhelmed makes nio raise.
UNREACHABLE = (NotSignedIn, aiohttp.ClientError, TimeoutError)
REQUEST_TIMEOUT = 20.0  # seconds for one ordinary request (a /sync adds its long-poll)
MAX_SEND_ATTEMPTS = 8  # per event in this process; a restart tries once more
RETRY_MAX_SECONDS = 60.0
TIMELINE_LIMIT = 50
STOP_GRACE = 10.0


@dataclass
class Unsent:
    """Replies that could not be sent yet, retried after later syncs."""

    place: ReplyPlace
    replies: list[str]
    attempts: int = 0
    next_try: float = 0.0


class MatrixConnector:
    """Tremplin on Matrix: commands in, replies out, onboarding rooms, staff notices (a
    `Connector`)."""

    platform = PLATFORM

    def __init__(
        self,
        config: MatrixConfig,
        brain: Brain,
        secrets: Secrets,
        health: Health | None = None,
    ) -> None:
        self.config = config
        self.brain = brain
        self.secrets = secrets
        self.health = health if health is not None else Health()
        self.t = Translator(brain.services.settings.language)
        self.ledger = Ledger(brain.database, brain.services.clock)
        self.rooms = Rooms(config, self.ledger, self.t.language)
        self.unreadable = UnreadableMessages(config.unreadable_grace_seconds)
        self.client: AsyncClient | None = None
        self.sync_loop = SyncLoop(
            prepare=self._prepare,
            handle_batch=self._handle_batch,
            ledger=self.ledger,
            health=self.health,
            timeout_seconds=config.sync_timeout_seconds,
            backoff=Backoff(1.0, config.backoff_max_seconds),
            clock=brain.services.clock,
            on_session_lost=self._session_lost,
        )
        self._threads = RecentThreads()
        self._unsent: dict[str, Unsent] = {}
        self._ledger_loaded = False
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._notices: asyncio.Task[None] | None = None

    # -- life cycle ---------------------------------------------------------------------

    async def start(self) -> None:
        """Register with the brain and start the supervised sync loop in the background."""
        if self._task is not None:
            return
        self.brain.services.hub.register(self)
        self._stop.clear()
        self.health.report(PLATFORM, False, "starting", failures=0)
        self._task = asyncio.create_task(self.sync_loop.run(self._stop), name="tremplin-matrix")
        self._notices = asyncio.create_task(
            self._tell_unreadable_when_due(), name="tremplin-matrix-unreadable"
        )

    async def wait_until_synced(self, within: float = 30.0) -> None:
        """Until the first sync batch has been handled (for tests and the benchmark)."""
        await asyncio.wait_for(self.sync_loop.synced.wait(), within)

    async def stop(self, grace: float = STOP_GRACE) -> None:
        """Finish the batch in hand (for at most `grace` seconds), then close."""
        self._stop.set()
        task, self._task = self._task, None
        if task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(task), grace)
            except TimeoutError:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        await self._stop_notices()
        await self._close_client()
        await self.ledger.save()  # what was queued since the last batch
        self.brain.services.hub.unregister(self)
        self.health.report(PLATFORM, False, "stopped", failures=0)

    async def kill(self) -> None:
        """Stop at once, mid-batch, as a crash would: for tests of exactly-once delivery."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await self._stop_notices()
        await self._close_client()

    async def _stop_notices(self) -> None:
        notices, self._notices = self._notices, None
        if notices is not None:
            notices.cancel()
            await asyncio.gather(notices, return_exceptions=True)

    @property
    def send_time_limit(self) -> float:
        """The longest one message may take, 429 waits and connection retries included."""
        return REQUEST_TIMEOUT * (CONNECTION_RETRIES + 1) + 60.0 * self.config.max_retries

    async def _prepare(self) -> AsyncClient:
        """Sign in, learn the rooms, join the configured ones, pick up unfinished work."""
        await self._close_client()
        if not self._ledger_loaded:
            await self.ledger.load()
            self._ledger_loaded = True
        client = make_client(self.config, REQUEST_TIMEOUT)
        try:
            await sign_in(client, self.config, self.secrets)
            client = await checked_device(client, self.config, self.secrets, self._fresh_client)
            await self._publish_keys(client)
            await self.rooms.load(client)
            await self.rooms.join_configured()
            self.sync_loop.sync_filter = await _upload_filter(client)
        except BaseException:
            await client.close()
            raise
        self.client = client
        await self._collect_pending()
        return client

    def _fresh_client(self) -> AsyncClient:
        return make_client(self.config, REQUEST_TIMEOUT, device_id="")

    async def _publish_keys(self, client: AsyncClient) -> None:
        """The device's keys, then its cross-signing: people's apps then show it as verified
        by its owner. A failure here is logged and tried again at the next start."""
        if client.should_upload_keys:
            uploaded = await client.keys_upload()
            if isinstance(uploaded, KeysUploadError):
                log.warning("Matrix: the device's keys were not uploaded: %s", uploaded)
        try:
            await ensure_cross_signed(client, self.config.store_path, self.secrets.matrix_password)
        except TokenRefused:
            raise
        except (CallFailed, *UNREACHABLE) as error:
            log.warning("Matrix: the device could not be cross-signed yet: %s", error)

    async def _collect_pending(self) -> None:
        """Replies stored but never confirmed sent: those whose sending failed are retried
        after the first sync; the others come back with the sync (the token wasn't saved)."""
        places = self.ledger.unsent
        pending = await self.brain.pending(PLATFORM)
        for entry in pending:
            place = places.get(entry.event_id)
            if place is not None and entry.replies:
                self._unsent.setdefault(entry.event_id, Unsent(place, entry.replies))
        self.ledger.forget_unsent(set(places) - {entry.event_id for entry in pending})

    async def _session_lost(self) -> None:
        if not self.secrets.matrix_access_token and self.secrets.matrix_password:
            await forget_token(self.config.store_path)

    async def _close_client(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            await client.close()

    # -- one sync batch -----------------------------------------------------------------

    async def _handle_batch(self, response: SyncResponse, since: str | None) -> None:
        """Everything a batch asks for, in order; the loop stores its token afterwards."""
        client = self._client()
        self.rooms.observe(response)
        for notice in response.to_device_events:
            if isinstance(notice, UnknownToDeviceEvent) and notice.type in WITHHELD_TYPES:
                self.unreadable.note_withheld(notice.sender, notice.source.get("content") or {})
        await self.rooms.answer_invites(response)
        # At the very first start, old messages are history, not commands waiting for us.
        now = self.brain.services.clock().timestamp()
        cutoff = None if since else now - self.config.backlog_minutes * 60
        for room_id, info in response.rooms.join.items():
            events = list(info.timeline.events)
            if since and info.timeline.limited and info.timeline.prev_batch not in (None, since):
                gap = await fetch_gap(client, room_id, info.timeline.prev_batch, since)
                log.info("%s: %d events missed by a limited sync, fetched", room_id, len(gap))
                events = [*gap, *events]
            for event in events:
                await self._handle_event(room_id, event, cutoff)
        await self._settle_unreadable()
        await self._flush_outbox()
        await self._retry_unsent()

    async def _handle_event(self, room_id: str, event: Event, cutoff: float | None) -> None:
        """One timeline event; whatever goes wrong is logged and the loop goes on."""
        client = self._client()
        if event.sender == client.user_id:
            return
        if cutoff is not None and event.server_timestamp / 1000 < cutoff:
            return
        try:
            if room_id in self.rooms.onboarding and isinstance(event, RoomMessage | MegolmEvent):
                await self._note_onboarding_message(room_id, event.sender)
            if isinstance(event, MegolmEvent):
                await self.unreadable.track(client, room_id, event)
            elif isinstance(event, RoomMessageText):
                await self._answer(room_id, event)
        except Exception:
            log.exception("event %s in %s could not be handled", event.event_id, room_id)

    def _readers_of(self, room_id: str) -> RoomReaders | None:
        """Who reads the bot's answers in a team room; None where they are for the sender."""
        if not self.rooms.is_shared(room_id):
            return None
        return lambda: self.rooms.readers(room_id)

    async def _answer(self, room_id: str, event: RoomMessageText) -> None:
        text_event = read_text_event(event.event_id, event.source.get("content") or {})
        if text_event is None:
            return
        root = text_event.thread_root
        if root is None and text_event.reply_to != event.event_id:
            root = self._threads.root_of(text_event.reply_to)  # an edit: its command's thread
        self._threads.remember(event.event_id, root)
        message = IncomingMessage(
            sender=event.sender,
            text=text_event.text,
            place=Place(
                platform=PLATFORM,
                room=room_id,
                thread=root,
                is_direct=self.rooms.is_direct(room_id),
                surface=self.rooms.surface(room_id),
                is_staff_room=room_id == self.rooms.staff_room,
            ),
            event_id=event.event_id,
            display_name=self.rooms.display_name(room_id, event.sender),
            sent_at=datetime.fromtimestamp(event.server_timestamp / 1000, UTC),
            staff_by_platform=self.rooms.is_staff(event.sender),
            mentions=text_event.mentions,
            members=lambda: self.rooms.members(room_id),
            readers=self._readers_of(room_id),
        )
        replies = await self.brain.handle(message)
        if replies:
            place = ReplyPlace(room_id, event.sender, text_event.reply_to, root)
            if not await self._deliver(event.event_id, place, replies):
                self._keep_unsent(event.event_id, place, replies)

    async def _deliver(self, event_id: str, place: ReplyPlace, replies: list[str]) -> bool:
        """Send every page of every reply, then tell the brain they are delivered."""
        client = self._client()
        messages = reply_messages(
            replies,
            event_id=event_id,
            reply_to=place.reply_to,
            sender=place.sender,
            thread_root=place.thread_root,
        )
        for txn_id, content in messages:
            if not await send_message(client, place.room_id, content, txn_id, self.send_time_limit):
                return False
        await self.brain.mark_delivered(PLATFORM, event_id)
        if self._unsent.pop(event_id, None) is not None:
            self.ledger.forget_unsent({event_id})
        return True

    def _keep_unsent(self, event_id: str, place: ReplyPlace, replies: list[str]) -> None:
        self._unsent[event_id] = Unsent(place, replies, 1, time.monotonic() + 1.0)
        self.ledger.remember_unsent(event_id, place)

    async def _retry_unsent(self) -> None:
        now = time.monotonic()
        for event_id, unsent in list(self._unsent.items()):
            if unsent.next_try > now:
                continue
            if await self._deliver(event_id, unsent.place, unsent.replies):
                continue
            unsent.attempts += 1
            if unsent.attempts >= MAX_SEND_ATTEMPTS:
                log.error(
                    "replies to %s not sent after %d attempts: next start will retry",
                    event_id,
                    unsent.attempts,
                )
                del self._unsent[event_id]
            else:
                unsent.next_try = now + min(RETRY_MAX_SECONDS, 2.0**unsent.attempts)

    async def _note_onboarding_message(self, room_id: str, sender: str) -> None:
        if self.rooms.onboarding.get(room_id):
            return
        if await self.brain.note_thread_message(PLATFORM, room_id, sender):
            self.rooms.onboarding[room_id] = True

    async def _settle_unreadable(self) -> None:
        """Answer the encrypted messages whose key has come; tell the senders of those that are
        due (withheld, or past the grace period) that the bot could not read them."""
        client = self._client()
        for room_id, event in self.unreadable.now_readable(client):
            await self._handle_event(room_id, event, None)
        await self._tell_unreadable()

    async def _tell_unreadable_when_due(self) -> None:
        """Settle unreadable messages as soon as one is due, between syncs too: the notice never
        waits for the end of a long-poll."""
        while True:
            self.unreadable.changed.clear()
            delay = self.unreadable.seconds_until_due()
            if delay is None or delay > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.unreadable.changed.wait(), delay)
                continue
            try:
                await self._settle_unreadable()
            except Exception as error:  # not signed in yet, or the homeserver is away
                log.info("unreadable messages not settled yet: %s: %s", type(error).__name__, error)
                await asyncio.sleep(1.0)

    async def _tell_unreadable(self) -> None:
        """Tell each sender, once per event, that the bot could not read their message, and
        why when their app said why."""
        client = self._client()
        for waiting in self.unreadable.overdue():
            event = waiting.event
            log.info(
                "message %s from %s stayed unreadable (%s)",
                event.event_id,
                event.sender,
                waiting.withheld or "no key",
            )
            t = Translator(await self._language_of(event.sender))
            content = notice_content(
                t(waiting.message_key), mention=event.sender, reply_to=event.event_id
            )
            txn_id = transaction_id(f"unreadable:{event.event_id}", 0)
            await send_message(client, waiting.room_id, content, txn_id, self.send_time_limit)

    async def _language_of(self, user_id: str) -> str:
        try:
            return await self.ledger.language_of(user_id) or self.t.language
        except Exception as error:  # a busy database must not cost the person their notice
            log.info("language of %s unknown: %s", user_id, error)
            return self.t.language

    async def _flush_outbox(self) -> None:
        """Send what waits for rooms the sync has now shown (welcome messages, first DMs)."""
        client = self._client()
        for room_id, waiting in list(self.ledger.outbox.items()):
            if room_id not in client.rooms:
                continue
            sent: set[str] = set()
            for message in waiting:
                content = notice_content(message.markdown)
                if not await send_message(
                    client, room_id, content, message.txn_id, self.send_time_limit
                ):
                    break
                sent.add(message.txn_id)
            if sent:
                self.ledger.dequeue(room_id, sent)

    # -- what the brain asks (commands.ports.Outbound) -----------------------------------

    async def open_onboarding_thread(self, request: OnboardingRequest) -> ThreadRef:
        try:
            room_id, name = await self.rooms.open_onboarding_room(request)
        except RoomError as error:
            raise PortError(PLATFORM, str(error), refused=error.refused) from error
        except UNREACHABLE as error:
            raise PortError(PLATFORM, f"{type(error).__name__}: {error}") from error
        await self._post(room_id, request.welcome, transaction_id(f"welcome:{room_id}", 0))
        return ThreadRef(PLATFORM, room_id, name)

    async def send_direct(self, address: str, text: str) -> bool:
        if not is_matrix_user(address):
            return False
        try:
            room_id = await self.rooms.direct_room_for(address)
        except (RoomError, *UNREACHABLE) as error:
            log.warning("no direct room with %s: %s", address, error)
            return False
        return await self._post(room_id, text)

    async def notify_staff(self, text: str) -> bool:
        if not self.rooms.staff_room:
            return False
        return await self._post(self.rooms.staff_room, text)

    async def post_in_thread(self, thread_ref: str, text: str) -> bool:
        return await self._post(thread_ref, text)

    async def forget(self, address: str) -> None:
        """An erased person: their direct room and the replies owed them, here and in `state`."""
        self.rooms.forget(address)
        for event_id in [e for e, unsent in self._unsent.items() if unsent.place.sender == address]:
            del self._unsent[event_id]
        await self.ledger.save()

    async def publish_appeal(self, appeal: AppealText) -> list[str]:
        """The call for volunteers in every configured room, public ones included; raises
        `PortError` when it went to none of them."""
        rooms = sorted(self.rooms.configured | self.rooms.public_rooms)
        markdown = f"**{appeal.title}**\n\n{appeal.body}"
        places = [room_id for room_id in rooms if await self._post(room_id, markdown)]
        if rooms and not places:
            raise PortError(PLATFORM, f"the call could not be sent to {len(rooms)} room(s)")
        return places

    async def send_staff_image(self, png: bytes, filename: str, caption: str) -> bool:
        """A chart in the staff room: uploaded (encrypted when the room is), then an m.image."""
        client = self.client
        room_id = self.rooms.staff_room
        if client is None or room_id is None or room_id not in client.rooms:
            return False
        content = await image_content(client, room_id, png, filename, caption)
        if content is None:
            return False
        return await send_message(
            client, room_id, content, fresh_transaction_id(), self.send_time_limit
        )

    async def _post(self, room_id: str, markdown: str, txn_id: str | None = None) -> bool:
        """Send now if the sync already showed the room, else queue it until it does."""
        txn_id = txn_id or fresh_transaction_id()
        client = self.client
        if client is not None and room_id in client.rooms:
            content = notice_content(markdown)
            return await send_message(client, room_id, content, txn_id, self.send_time_limit)
        self.ledger.queue(room_id, QueuedMessage(txn_id, markdown))
        return True

    def _client(self) -> AsyncClient:
        if self.client is None:
            raise NotSignedIn("not signed in to Matrix")
        return self.client


async def _upload_filter(client: AsyncClient) -> str | None:
    """A sync filter without presence, typing and receipts: smaller batches, same commands."""
    response = await client.upload_filter(
        presence={"types": []},
        room={
            "ephemeral": {"types": []},
            "account_data": {"types": []},
            "timeline": {"limit": TIMELINE_LIMIT},
        },
    )
    return str(response.filter_id) if isinstance(response, UploadFilterResponse) else None
