"""The forum connector: polls (and takes webhooks), answers, and is the hub's "discourse"."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random

from bot.app import Tremplin
from bot.config import DiscourseConfig, Secrets
from bot.connectors.connector import NotConfigured
from bot.connectors.discourse.api import Post
from bot.connectors.discourse.client import ForumClient
from bot.connectors.discourse.incoming import ForumInbox
from bot.connectors.discourse.outgoing import PLATFORM, ForumOutbound
from bot.connectors.discourse.watcher import ForumWatcher, PollReport
from bot.health import Health
from commands.brain import Brain
from commands.ports import AppealText, OnboardingRequest, ThreadRef

log = logging.getLogger(__name__)

# After failed polls, wait up to this many poll intervals before the next one.
MAX_SLOWDOWN = 4
STOP_GRACE_SECONDS = 10.0


class DiscourseConnector:
    """Everything the bot does on the forum, started and stopped as one piece (a `Connector`)."""

    platform = PLATFORM

    def __init__(
        self,
        brain: Brain,
        config: DiscourseConfig,
        api_key: str,
        *,
        language: str = "fr",
        health: Health | None = None,
        client: ForumClient | None = None,
    ) -> None:
        self.brain = brain
        self.config = config
        self.health = health or Health()
        self.client = client or ForumClient.from_config(config, api_key)
        clock = brain.services.clock
        self.outbound = ForumOutbound(self.client, config, language, clock)
        self.inbox = ForumInbox(brain, self.outbound, self.client, config)
        self.watcher = ForumWatcher(self.client, self.inbox, brain.database, config, clock)
        self._stopping = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._webhook_tasks: set[asyncio.Task[None]] = set()

    @classmethod
    def from_settings(cls, tremplin: Tremplin, secrets: Secrets) -> DiscourseConnector:
        """The connector of `tremplin run`; raises NotConfigured without the forum's key."""
        config = tremplin.config
        if not secrets.discourse_api_key:
            raise NotConfigured("TREMPLIN_DISCOURSE_API_KEY is not set")
        return cls(
            tremplin.brain,
            config.discourse,
            secrets.discourse_api_key,
            language=config.language,
            health=tremplin.health,
        )

    # ----------------------------------------------------------------- lifecycle

    def register(self) -> None:
        """Be the brain's way to the forum (replies, onboarding, appeals)."""
        self.brain.services.hub.register(self)

    async def start(self, *, watch: bool = True) -> None:
        """Register with the hub and, with `watch`, poll every `discourse.poll_seconds`."""
        self.register()
        self._stopping.clear()
        if watch:
            self._loop_task = asyncio.create_task(self._watch(), name="discourse-watcher")

    async def stop(self) -> None:
        """Stop polling, let webhook work finish (briefly), close the client."""
        self._stopping.set()
        if self._loop_task is not None:
            # A poll under way finishes (its cursors are stored), unless it takes too long.
            _done, pending = await asyncio.wait({self._loop_task}, timeout=STOP_GRACE_SECONDS)
            for task in pending:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            self._loop_task = None
        if self._webhook_tasks:
            await asyncio.wait(self._webhook_tasks, timeout=5)
            for task in self._webhook_tasks:
                task.cancel()
        self.brain.services.hub.unregister(self)
        await self.client.close()

    async def poll_once(self) -> PollReport:
        """One poll now; its outcome goes to the health report."""
        report = await self.watcher.poll_once()
        detail = "; ".join(report.errors) or f"{report.requests} requests, {report.posts} posts"
        self.health.report(PLATFORM, report.ok, detail, requests=report.requests)
        if report.errors:
            log.warning("forum poll: %s", detail)
        return report

    async def _watch(self) -> None:
        """Poll until stopped; a failing poll slows the pace down, never stops it."""
        failures = 0
        while not self._stopping.is_set():
            try:
                report = await self.poll_once()
                failures = 0 if report.ok else failures + 1
            except Exception:  # a bug in one poll must not end the connector
                log.exception("forum poll crashed")
                self.health.report(PLATFORM, False, "poll crashed (see the log)")
                failures += 1
            slowdown = min(MAX_SLOWDOWN, 1 + failures)
            jitter = random.uniform(0.9, 1.1) if failures else 1.0
            pause = self.config.poll_seconds * slowdown * jitter
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), pause)

    # ----------------------------------------------------------------- webhooks

    def accept_webhook_post(self, post: Post, replying_to: str | None) -> None:
        """Handle a post from a webhook in the background (the forum wants a quick answer)."""
        task = asyncio.create_task(self._handle_webhook_post(post, replying_to))
        self._webhook_tasks.add(task)
        task.add_done_callback(self._webhook_tasks.discard)

    async def _handle_webhook_post(self, post: Post, replying_to: str | None) -> None:
        try:
            if await self.inbox.concerns_bot(post, replying_to):
                await self.inbox.handle_post(post, private=post.is_private_message)
        except Exception:  # polling will see the post again
            log.exception("webhook post %s not handled", post.id)

    async def wait_webhooks(self) -> None:
        """Wait until the posts received by webhook are handled (tests, shutdown)."""
        while self._webhook_tasks:
            await asyncio.wait(set(self._webhook_tasks))

    # ----------------------------------------------------------------- Outbound, AppealPublisher

    async def open_onboarding_thread(self, request: OnboardingRequest) -> ThreadRef:
        return await self.outbound.open_onboarding_thread(request)

    async def send_direct(self, address: str, text: str) -> bool:
        return await self.outbound.send_direct(address, text)

    async def notify_staff(self, text: str) -> bool:
        return await self.outbound.notify_staff(text)

    async def post_in_thread(self, thread_ref: str, text: str) -> bool:
        return await self.outbound.post_in_thread(thread_ref, text)

    async def forget(self, address: str) -> None:
        """The forum connector keeps no one's name: its state is topic cursors only."""

    async def publish_appeal(self, appeal: AppealText) -> list[str]:
        return await self.outbound.publish_appeal(appeal)
