"""The forum connector: checks what it may do, polls (and takes webhooks), answers, and is
the hub's "discourse"."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from datetime import datetime
from typing import Any

from bot.app import Tremplin
from bot.config import DiscourseConfig, Secrets
from bot.connectors.connector import NotConfigured
from bot.connectors.discourse.api import Post
from bot.connectors.discourse.client import ForumClient, ForumError
from bot.connectors.discourse.incoming import ForumInbox
from bot.connectors.discourse.limiter import REAL_TIME, PostPace, Timer
from bot.connectors.discourse.outgoing import PLATFORM, ForumOutbound
from bot.connectors.discourse.pacing import Pacer
from bot.connectors.discourse.preflight import Abilities, read_abilities
from bot.connectors.discourse.watcher import ForumWatcher, PollReport
from bot.health import Health
from commands.brain import Brain
from commands.i18n import Translator
from commands.ports import AppealText, OnboardingRequest, ThreadRef
from storage import state

log = logging.getLogger(__name__)

# After failed polls, wait up to this many poll intervals before the next one.
MAX_SLOWDOWN = 4
STOP_GRACE_SECONDS = 10.0
# The limits last told to the staff, so a restart doesn't tell them again.
TOLD_LIMITS = "discourse:limits_told"
# The key's requests of the last day, kept across restarts: a bot restarting in a loop must
# not spend the forum's daily allowance twice.
REQUESTS_LAST_DAY = "discourse:requests_last_day"


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
        timer: Timer = REAL_TIME,
    ) -> None:
        self.brain = brain
        self.config = config
        self.health = health or Health()
        self.client = client or ForumClient.from_config(config, api_key, timer)
        self.timer = self.client.timer
        self.t = Translator(language)
        self.abilities = Abilities()
        clock = brain.services.clock
        self.outbound = ForumOutbound(
            self.client,
            config,
            language,
            clock,
            abilities=self.abilities,
            notify_staff=brain.services.hub.notify_staff,
        )
        self.inbox = ForumInbox(brain, self.outbound, self.client, config)
        self.watcher = ForumWatcher(self.client, self.inbox, brain.database, config, clock)
        self.pacer = Pacer(config.poll_seconds, config.requests_per_day)
        self._failures = 0
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
        """Register with the hub and, with `watch`, check the account then poll."""
        self.register()
        self._stopping.clear()
        await self._restore_spending()
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
        await self._keep_spending()
        await self.client.close()

    async def _restore_spending(self) -> None:
        """Count again the key's requests of the last day, as kept by the last process."""
        async with self.brain.database.session() as session:
            saved = await state.get_value(session, REQUESTS_LAST_DAY)
        if not saved:
            return
        try:
            kept = json.loads(saved)
            at = datetime.fromisoformat(kept["at"])
            minutes = {int(m): int(n) for m, n in kept["minutes"].items()}
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("the forum key's spending kept at the last stop is unreadable: ignored")
            return
        elapsed = max(0.0, (self.brain.services.clock() - at).total_seconds())
        self.client.day.restore(minutes, elapsed)

    async def _keep_spending(self) -> None:
        """Remember the key's spending of the last day (after each poll, and at stop)."""
        now = self.brain.services.clock()
        kept = {"at": now.isoformat(), "minutes": self.client.day.minutes_ago()}
        try:
            async with self.brain.database.session() as session:
                await state.set_value(session, REQUESTS_LAST_DAY, json.dumps(kept), now)
        except Exception:  # only a count: the next poll tries again
            log.exception("the forum key's spending could not be kept")

    # ----------------------------------------------------------------- what the forum allows

    async def preflight(self) -> Abilities:
        """Read what the bot's account may do; tune the pace of its posts; say plainly, in
        /healthz and to the staff, what won't work and how to fix it.

        Raises ForumError when the forum can't be reached (the loop tries again)."""
        found = await read_abilities(self.client, self.config, self.brain.services.clock())
        for name, value in vars(found).items():  # the outbound shares this very object
            setattr(self.abilities, name, value)
        self.client.actions.pace = PostPace.for_account(self.abilities.new_account)
        await self._tell_staff_the_limits()
        return self.abilities

    def limit_sentences(self) -> list[str]:
        """What won't work on the forum, and how to fix it, in the bot's language."""
        return [
            self.t(f"discourse.limit.{limit.key}", **limit.params)
            for limit in self.abilities.limitations
        ]

    async def _tell_staff_the_limits(self) -> None:
        told = ",".join(sorted(self.abilities.keys()))
        async with self.brain.database.session() as session:
            before = await state.get_value(session, TOLD_LIMITS)
        if told == (before or "") or not self.abilities.limitations:
            return
        lines = [self.t("discourse.limit.header"), *(f"- {s}" for s in self.limit_sentences())]
        try:
            await self.brain.services.hub.notify_staff("\n".join(lines))
        except Exception:
            log.exception("staff notice about the forum's limits failed")
        async with self.brain.database.session() as session:
            await state.set_value(session, TOLD_LIMITS, told, self.brain.services.clock())

    # ----------------------------------------------------------------- polling

    async def poll_once(self) -> PollReport:
        """One poll now; its outcome and the key's spending go to the health report."""
        report = await self.watcher.poll_once()
        if report.posts:
            self.pacer.saw_activity(self.timer.monotonic())
        self._failures = 0 if report.ok else self._failures + 1
        detail = "; ".join(report.errors) or f"{report.requests} requests, {report.posts} posts"
        self._report(report.ok, detail, requests=report.requests)
        if report.errors:
            log.warning("forum poll: %s", detail)
        return report

    def next_pause(self) -> float:
        """Seconds until the next poll: the pacer's, slower after failures."""
        now = self.timer.monotonic()
        pause = self.pacer.next_pause(now, self.client.day.used())
        if self._failures:
            pause *= min(MAX_SLOWDOWN, 1 + self._failures) * random.uniform(0.9, 1.1)
        return pause

    def _report(self, ok: bool, detail: str, **extra: Any) -> None:
        now = self.timer.monotonic()
        self.health.report(
            PLATFORM,
            ok,
            detail,
            **extra,
            budget=self.client.budget(),
            pace_seconds=round(self.pacer.next_pause(now, self.client.day.used()), 1),
            active=self.pacer.is_active(now),
            trust_level=self.abilities.trust_level,
            limits=self.limit_sentences(),
            answers_awaiting_approval=self.inbox.queued,
        )

    async def _watch(self) -> None:
        """Check the account, then poll until stopped; a failing poll slows the pace down,
        never stops it."""
        while not self._stopping.is_set():
            try:
                if not self.abilities.checked:
                    await self.preflight()
                await self.poll_once()
            except ForumError as error:
                self._failures += 1
                self._report(False, f"forum account not readable: {error}")
            except Exception:  # a bug in one poll must not end the connector
                log.exception("forum poll crashed")
                self._failures += 1
                self.health.report(PLATFORM, False, "poll crashed (see the log)")
            await self._keep_spending()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.next_pause())

    # ----------------------------------------------------------------- webhooks

    def accept_webhook_post(self, post: Post) -> None:
        """Handle a post from a webhook in the background (the forum wants a quick answer)."""
        task = asyncio.create_task(self._handle_webhook_post(post))
        self._webhook_tasks.add(task)
        task.add_done_callback(self._webhook_tasks.discard)

    async def _handle_webhook_post(self, post: Post) -> None:
        try:
            if await self.inbox.concerns_bot(post):
                self.pacer.saw_activity(self.timer.monotonic())
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
