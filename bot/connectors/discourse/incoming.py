"""One forum post in, the brain's answers out: commands, replies to appeals, onboarding."""

from __future__ import annotations

import asyncio
import logging
import re
from collections import defaultdict
from dataclasses import dataclass

from bot.config import DiscourseConfig
from bot.connectors.discourse.api import Post, QueuedPost
from bot.connectors.discourse.client import (
    ForumActionLimited,
    ForumClient,
    ForumError,
    ForumRefused,
)
from bot.connectors.discourse.outgoing import PLATFORM, ForumOutbound, reply_body
from commands.brain import Brain
from commands.context import IncomingMessage, Place
from commands.identities import forum_identity
from commands.text import find_commands, mentions, without_quotes
from storage import appeals as appeal_store
from storage import engagements as engagement_store
from storage.visibility import Surface

log = logging.getLogger(__name__)

REGULAR_POST = 1
STAFF_CACHE_SECONDS = 600.0
MAX_GROUP_PAGES = 10
_EVENT_ID = re.compile(r"^post:(\d+)(?::\d+)?$")


def event_id_of(post_id: int, command_number: int | None = None) -> str:
    """The brain's event id: post:<id> for a whole post, post:<id>:<n> for its n-th command."""
    return f"post:{post_id}" if command_number is None else f"post:{post_id}:{command_number}"


def post_id_of(event_id: str) -> int | None:
    """The post an event id came from, or None when it isn't one of ours."""
    match = _EVENT_ID.match(event_id)
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class ReplyTarget:
    """The post an answer replies to."""

    topic_id: int
    post_number: int
    username: str


class StaffDirectory:
    """Who is staff on the forum: the members of `discourse.staff_group`, and nobody else.

    The forum is shared (the CHATONS'), so its admins and moderators are not the MLA's staff
    by that alone. The group's members are read at most every ten minutes.
    """

    def __init__(self, client: ForumClient, group: str | None) -> None:
        self.client = client
        self.group = group
        self._members: set[str] = set()
        self._fetched_at: float | None = None

    async def is_staff(self, username: str) -> bool:
        if not self.group:
            return False
        try:
            return username.lower() in await self._group_members()
        except ForumError as error:  # unknown for now: not staff, asked again next time
            log.warning("forum staff group %s not readable: %s", self.group, error)
            return False

    async def _group_members(self) -> set[str]:
        now = self.client.timer.monotonic()
        if self._fetched_at is not None and now - self._fetched_at < STAFF_CACHE_SECONDS:
            return self._members
        assert self.group is not None
        members: set[str] = set()
        offset = 0
        try:
            for _ in range(MAX_GROUP_PAGES):
                page = await self.client.group_members(self.group, offset)
                members.update(m.username.lower() for m in [*page.members, *page.owners])
                offset += len(page.members)
                if not page.members or page.meta is None or offset >= page.meta.total:
                    break
        except ForumRefused as refused:  # no such group, or its members are hidden
            log.warning("forum staff group %s refused (%s): nobody is staff", self.group, refused)
            members = set()
        self._members, self._fetched_at = members, now
        return members


class ForumInbox:
    """Turns posts into neutral messages for the brain and posts its answers, once each.

    One post at a time (webhooks and polls share the lock), so the same post arriving by both
    ways is answered once: the brain remembers every event, and answers are marked delivered
    only once the forum has them (or holds them for its moderators).
    """

    def __init__(
        self, brain: Brain, outbound: ForumOutbound, client: ForumClient, config: DiscourseConfig
    ) -> None:
        self.brain = brain
        self.outbound = outbound
        self.client = client
        self.bot = client.username.lower()
        self.ignored = {self.bot, *(name.lower() for name in config.ignore_users)}
        self.staff = StaffDirectory(client, config.staff_group)
        self.lock = asyncio.Lock()
        # Post numbers of the bot's own answers, per topic: the watcher skips over them.
        self.answered_numbers: dict[int, set[int]] = defaultdict(set)
        # Answers whose POST failed in transit: check the forum before posting them again.
        self._maybe_posted: set[str] = set()
        # Where each owed answer goes, known without asking the forum again.
        self._targets: dict[str, ReplyTarget] = {}
        self._onboarding_topics: set[int] = set()
        # Answers that could not be posted since the last poll's report (they stay owed).
        self.delivery_failures: list[str] = []
        # Answers the forum holds for its moderators, and those it asked the bot to delay.
        self.queued = 0
        self.held_back: set[str] = set()

    def ignores(self, username: str | None) -> bool:
        """True for the bot itself and the other bots (`discourse.ignore_users`)."""
        return not username or username.lower() in self.ignored

    async def appeal_topics(self) -> set[int]:
        """The topics where calls for volunteers were published on the forum."""
        async with self.brain.database.session() as session:
            published = await appeal_store.places(session, "forum")
        return {int(place) for place in published if place.isdigit()}

    async def is_onboarding(self, topic_id: int) -> bool:
        """True for a private message opened for an engagement."""
        if topic_id in self._onboarding_topics:
            return True
        async with self.brain.database.session() as session:
            found = await engagement_store.by_thread(session, PLATFORM, str(topic_id))
        if found is not None:
            self._onboarding_topics.add(topic_id)
        return found is not None

    async def is_ours(self, topic_id: int) -> bool:
        """A topic whose every post is for the bot: a call for volunteers, an onboarding
        conversation."""
        return topic_id in await self.appeal_topics() or await self.is_onboarding(topic_id)

    def addresses_bot(self, post: Post) -> bool:
        """A post written to the bot in someone else's topic: it mentions the bot, replies to
        one of its posts, or quotes it (the posts Discourse notifies the bot of)."""
        if self.ignores(post.username):
            return False
        replied = post.reply_to_user
        if replied is not None and replied.username.lower() == self.bot:
            return True
        raw = post.raw or ""
        if re.search(r'\[quote="?' + re.escape(self.bot) + r"[,\"\]]", raw, re.IGNORECASE):
            return True
        return mentions(without_quotes(raw), self.bot)

    async def concerns_bot(self, post: Post) -> bool:
        """For a webhook, which sees every post of the forum: what polling would also read
        (calls for volunteers, onboarding conversations, posts written to the bot). Other
        private messages are left to polling, which knows the bot takes part in them."""
        if self.ignores(post.username):
            return False
        return await self.is_ours(post.topic_id) or self.addresses_bot(post)

    async def handle_post(self, post: Post, *, private: bool = False) -> None:
        """Answer what needs answering in `post` (raises ForumError to be tried again later)."""
        async with self.lock:
            await self._handle(post, private)

    async def _handle(self, post: Post, private: bool) -> None:
        if self.ignores(post.username) or post.post_type != REGULAR_POST:
            return
        if post.hidden or post.deleted_at is not None:
            return
        raw = post.raw if post.raw is not None else (await self.client.post(post.id)).raw or ""
        sender = forum_identity(post.username)
        onboarding = await self.is_onboarding(post.topic_id)
        if onboarding:
            # The bot's own clock, like every time the product writes: the forum's clock is
            # another machine's, and `!suivi` compares this time with the bot's.
            await self.brain.note_thread_message(PLATFORM, str(post.topic_id), sender)
        private = private or onboarding or post.is_private_message
        appeal = not private and post.topic_id in await self.appeal_topics()
        for message in await self._messages(post, raw, private, appeal, onboarding):
            replies = await self.brain.handle(message)
            assert message.event_id is not None
            target = ReplyTarget(post.topic_id, post.post_number, post.username)
            await self.deliver(message.event_id, target, replies)

    async def _messages(
        self, post: Post, raw: str, private: bool, appeal: bool, onboarding: bool
    ) -> list[IncomingMessage]:
        """Each command of the post, or its free text where free text is read."""
        place = Place(
            platform=PLATFORM,
            room=str(post.topic_id),
            is_direct=private,
            surface=Surface.CHAT if private else Surface.PUBLIC,
        )

        def message(text: str, event_id: str, staff: bool, free: bool) -> IncomingMessage:
            return IncomingMessage(
                sender=forum_identity(post.username),
                text=text,
                place=place,
                event_id=event_id,
                display_name=post.name,
                sent_at=post.created_at,
                staff_by_platform=staff,
                answer_free_text=free,
            )

        commands = find_commands(raw)
        if commands:
            staff = await self.staff.is_staff(post.username)
            return [
                message(command, event_id_of(post.id, number), staff, False)
                for number, command in enumerate(commands, start=1)
            ]
        words = without_quotes(raw).strip()
        if not words or onboarding or not (appeal or private):
            return []  # chatter in an onboarding conversation or a public topic: not for us
        return [message(words, event_id_of(post.id), False, appeal)]

    async def deliver(self, event_id: str, target: ReplyTarget, replies: list[str]) -> bool:
        """Post the answers to one event as one reply; True once nothing more is owed.

        An answer the forum holds for its moderators counts as delivered (it will appear
        once approved; posting it again would only queue a copy).
        """
        if not replies:
            await self.brain.mark_delivered(PLATFORM, event_id)
            return True
        body = reply_body(target.username, replies)
        self._targets[event_id] = target
        try:
            if event_id in self._maybe_posted and await self.outbound.find_reply(
                target.topic_id, target.post_number, body
            ):
                log.info("answer to %s was already on the forum", event_id)
            else:
                created = await self.outbound.reply(target.topic_id, target.post_number, body)
                if isinstance(created, QueuedPost):
                    await self._queued(event_id, target)
                else:
                    self.answered_numbers[created.topic_id].add(created.post_number)
        except ForumActionLimited as limited:  # that action waits; everything else goes on
            self.held_back.add(event_id)
            log.info("answer to %s waits %.0f s (forum's pace)", event_id, limited.wait_seconds)
            return False
        except ForumRefused as refused:
            log.warning("answer to %s refused by the forum, dropped: %s", event_id, refused)
        except ForumError as error:
            self._maybe_posted.add(event_id)
            self.delivery_failures.append(f"answer to {event_id} not posted yet: {error}")
            log.warning("answer to %s not posted yet: %s", event_id, error)
            return False
        self._maybe_posted.discard(event_id)
        self.held_back.discard(event_id)
        self._targets.pop(event_id, None)
        await self.brain.mark_delivered(PLATFORM, event_id)
        return True

    async def _queued(self, event_id: str, target: ReplyTarget) -> None:
        """The forum holds the answer for approval: recorded once, the staff told."""
        self.queued += 1
        log.warning("answer to %s held for the forum's moderators", event_id)
        await self.outbound.tell_staff_post_queued(target.topic_id)

    async def flush_pending(self) -> int:
        """Post the answers stored but never confirmed sent (a failure, a crash, the forum's
        pace); how many went out."""
        async with self.lock:
            delivered = 0
            for entry in await self.brain.pending(PLATFORM):
                post_id = post_id_of(entry.event_id)
                if not entry.replies:
                    await self.brain.mark_delivered(PLATFORM, entry.event_id)
                    continue
                if post_id is None:
                    continue
                target = self._targets.get(entry.event_id)
                if target is None:
                    try:
                        post = await self.client.post(post_id)
                    except ForumRefused as gone:
                        log.info("post %s is gone (%s): its answer is dropped", post_id, gone)
                        await self.brain.mark_delivered(PLATFORM, entry.event_id)
                        continue
                    target = ReplyTarget(post.topic_id, post.post_number, post.username)
                    # After a crash we can't know whether the answer left: look first.
                    self._maybe_posted.add(entry.event_id)
                if not await self.deliver(entry.event_id, target, entry.replies):
                    break  # the forum is failing or holding replies back: next poll
                delivered += 1
            return delivered
