"""Polling the forum: notifications say which topics moved; each is read from its cursor.

Discourse collapses notifications: before it notifies the bot of a reply, a post or a
private message in a topic, it destroys the bot's earlier notifications of those kinds in
that topic (`PostAlerter#create_notification`). Two posts between polls can leave one
notification. So a notification is only a trigger: the topic is then read from the last post
handled (`/t/{id}/posts.json?post_number=N&asc=true`, the posts strictly after N), and every
post after the cursor is read, whatever the notifications collapsed.

A quiet poll costs one request (a page of notifications). Once an hour, and at the first
poll, the appeal category's list is read too, as a safety net. Cursors are written to the
database after the posts they cover are handled, so a restart resumes where the last poll
stopped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.config import DiscourseConfig
from bot.connectors.discourse.api import Notification, NotificationType, Post
from bot.connectors.discourse.client import CHUNK_SIZE, ForumClient, ForumError, ForumRefused
from bot.connectors.discourse.incoming import ForumInbox
from bot.connectors.discourse.pacing import SAFETY_NET_SECONDS
from commands.text import fold
from storage import appeals as appeal_store
from storage import state
from storage.database import Database

log = logging.getLogger(__name__)

NOTIFICATION_CURSOR = "discourse:last_notification_id"
TOPIC_CURSOR = "discourse:topic:{topic_id}:last_post_number"
MAX_NOTIFICATION_PAGES = 5
# On the very first start, posts older than this are not answered.
BACKLOG_MINUTES = 60
MAX_TOPIC_LIST_PAGES = 3
MAX_CHUNKS_PER_TOPIC = 10
ABOUT_POSTS = {
    NotificationType.MENTIONED,
    NotificationType.REPLIED,
    NotificationType.QUOTED,
    NotificationType.PRIVATE_MESSAGE,
    NotificationType.INVITED_TO_PRIVATE_MESSAGE,
    NotificationType.POSTED,
    NotificationType.GROUP_MENTIONED,
    NotificationType.WATCHING_FIRST_POST,
}
IN_PRIVATE = {NotificationType.PRIVATE_MESSAGE, NotificationType.INVITED_TO_PRIVATE_MESSAGE}
# A post that keeps breaking our own code is skipped after this many polls, not forever.
MAX_CRASHES_PER_POST = 3


class PostNotHandled(Exception):
    """Handling a post failed in our own code; the cursor waits and the next poll retries."""


@dataclass
class PollReport:
    """What one poll did: requests sent, posts read, what failed."""

    requests: int = 0
    posts: int = 0
    answers_flushed: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class Trigger:
    """Why a topic is read in this poll."""

    first_post_number: int
    private: bool = False
    notification_ids: list[int] = field(default_factory=list)


def same_title(sent: str, shown: str) -> bool:
    """The title the bot sent, as the forum shows it: same letters and digits."""

    def letters(title: str) -> str:
        return "".join(c for c in fold(title) if c.isalnum())

    return letters(sent) == letters(shown)


class ForumWatcher:
    """One poll at a time: owed answers first, then the topics that moved."""

    def __init__(
        self,
        client: ForumClient,
        inbox: ForumInbox,
        database: Database,
        config: DiscourseConfig,
        clock: Callable[[], datetime],
    ) -> None:
        self.client = client
        self.inbox = inbox
        self.database = database
        self.config = config
        self.clock = clock
        self._safety_net_at: float | None = None
        self._crashes: dict[int, int] = {}
        self._backlog_since: datetime | None = None

    async def poll_once(self) -> PollReport:
        """Read everything new once; failures are reported, never raised."""
        report = PollReport()
        before = self.client.requests_sent
        try:
            report.answers_flushed = await self.inbox.flush_pending()
        except ForumError as error:
            report.errors.append(f"owed answers: {error}")
        try:
            cursor, triggers = await self._triggers()
        except ForumError as error:
            report.errors.append(f"notifications: {error}")
            cursor, triggers = None, {}
        try:
            await self._safety_net(triggers)
        except ForumError as error:
            report.errors.append(f"appeal topics: {error}")
        failed: list[int] = []
        for topic_id, trigger in sorted(triggers.items()):
            try:
                report.posts += await self._read_topic(topic_id, trigger)
            except (ForumError, PostNotHandled) as error:  # one topic must not hide the others
                report.errors.append(f"topic {topic_id}: {error}")
                failed += trigger.notification_ids
                if not trigger.notification_ids:  # found by the safety net: look again soon
                    self._safety_net_at = None
        if cursor is not None:
            # Past every notification handled, but never past one whose topic failed.
            await self._store(NOTIFICATION_CURSOR, str(min([cursor, *(n - 1 for n in failed)])))
        self._backlog_since = None
        report.errors += self.inbox.delivery_failures
        self.inbox.delivery_failures.clear()
        report.requests = self.client.requests_sent - before
        return report

    # ----------------------------------------------------------------- notifications

    async def _triggers(self) -> tuple[int | None, dict[int, Trigger]]:
        """The topics the new notifications point at, and the newest notification's id."""
        cursor = await self._load_int(NOTIFICATION_CURSOR)
        fresh = await self._new_notifications(cursor)
        if cursor is None:  # first start: the recent past only
            since = self.clock() - timedelta(minutes=BACKLOG_MINUTES)
            self._backlog_since = since
            newest = max((n.id for n in fresh), default=0)
            fresh = [n for n in fresh if n.created_at >= since]
            cursor = newest
        triggers: dict[int, Trigger] = {}
        for notification in fresh:
            cursor = max(cursor, notification.id)
            if notification.notification_type not in ABOUT_POSTS:
                continue
            if notification.topic_id is None or notification.post_number is None:
                continue
            trigger = triggers.setdefault(
                notification.topic_id, Trigger(first_post_number=notification.post_number)
            )
            trigger.first_post_number = min(trigger.first_post_number, notification.post_number)
            trigger.private |= notification.notification_type in IN_PRIVATE
            trigger.notification_ids.append(notification.id)
        return cursor, triggers

    async def _new_notifications(self, cursor: int | None) -> list[Notification]:
        """Notifications newer than `cursor`, oldest first (paging back to the cursor)."""
        collected: dict[int, Notification] = {}
        offset = 0
        for _ in range(MAX_NOTIFICATION_PAGES):
            page = await self.client.notifications(offset)
            items = page.notifications
            collected.update({n.id: n for n in items if cursor is None or n.id > cursor})
            if cursor is None or not items or any(n.id <= cursor for n in items):
                break
            offset += len(items)
            total = page.total_rows_notifications
            if total is not None and offset >= total:
                break
        return [collected[key] for key in sorted(collected)]

    # ----------------------------------------------------------------- appeal topics

    async def _safety_net(self, triggers: dict[int, Trigger]) -> None:
        """Hourly, and at the first poll: the appeal topics that grew past their cursor
        (in case a notification was ever missed), and the calls the forum held for its
        moderators, followed from the moment they show in the category."""
        now = self.client.timer.monotonic()
        if self._safety_net_at is not None and now - self._safety_net_at < SAFETY_NET_SECONDS:
            return
        appeal_topics = await self.inbox.appeal_topics()
        async with self.database.session() as session:
            held = await appeal_store.pending(session, "forum")
        if not (appeal_topics or held) or self.config.appeal_category is None:
            self._safety_net_at = now
            return
        category = self.config.appeal_category
        for page in range(MAX_TOPIC_LIST_PAGES):
            listing = await self.client.category_topics(category, page)
            for item in listing.topic_list.topics:
                fresh = held and item.id not in appeal_topics
                if fresh and await self._settle_held(held, item.id, item.title):
                    appeal_topics.add(item.id)
                if item.id in appeal_topics and item.id not in triggers:
                    cursor = await self._topic_cursor(item.id)
                    if item.highest_post_number > cursor:
                        triggers[item.id] = Trigger(first_post_number=cursor + 1)
            if not listing.topic_list.more_topics_url:
                break
        self._safety_net_at = now

    async def _settle_held(self, held: dict[int, str], topic_id: int, title: str) -> bool:
        """`topic_id` is a call the forum held, now approved (Discourse may have tidied its
        title: `TextCleaner.clean_title`, so letters and digits are compared)."""
        appeal_id = next((a for a, t in held.items() if same_title(t, title)), None)
        if appeal_id is None:
            return False
        async with self.database.session() as session:
            await appeal_store.settle(session, appeal_id, str(topic_id))
        del held[appeal_id]
        log.info("the call held for approval is now topic %s: followed", topic_id)
        return True

    # ----------------------------------------------------------------- reading a topic

    async def _read_topic(self, topic_id: int, trigger: Trigger) -> int:
        """Handle a topic's posts after its cursor, in order, moving the cursor post by post.

        In the bot's own topics (calls, onboarding, private messages) every post is for it;
        elsewhere only the posts written to it (mentions, replies to it, quotes).
        """
        ours = trigger.private or await self.inbox.is_ours(topic_id)
        stored = await self._load_int(TOPIC_CURSOR.format(topic_id=topic_id))
        if stored is None:
            cursor = max(0, trigger.first_post_number - 1)
        elif ours:
            cursor = stored
        else:  # a topic met again: start at what the notifications point at
            cursor = max(stored, trigger.first_post_number - 1)
        handled = 0
        try:
            for _ in range(MAX_CHUNKS_PER_TOPIC):
                posts = await self.client.posts_after(topic_id, cursor)
                for post in posts:
                    if post.post_number <= cursor:
                        continue
                    if self._wanted(post, ours):
                        await self._handle(post, private=trigger.private)
                        handled += 1
                    cursor = await self._advance(topic_id, post.post_number)
                if len(posts) < CHUNK_SIZE:
                    break
        except ForumRefused as gone:  # deleted, or no longer visible to the bot
            log.info("topic %s unreadable (%s): skipped", topic_id, gone)
        return handled

    def _wanted(self, post: Post, ours: bool) -> bool:
        if self.inbox.ignores(post.username):
            return False
        if self._backlog_since is not None and post.created_at < self._backlog_since:
            return False
        return ours or self.inbox.addresses_bot(post)

    async def _handle(self, post: Post, *, private: bool = False) -> None:
        """Hand a post to the inbox; a post that breaks our code is retried, then skipped."""
        try:
            await self.inbox.handle_post(post, private=private)
        except ForumError:
            raise
        except Exception as error:
            tries = self._crashes[post.id] = self._crashes.get(post.id, 0) + 1
            log.exception("post %s not handled (failure %d)", post.id, tries)
            if tries < MAX_CRASHES_PER_POST:
                raise PostNotHandled(f"post {post.id} not handled yet") from error
            log.error("post %s skipped after %d failures", post.id, tries)
        self._crashes.pop(post.id, None)

    async def _advance(self, topic_id: int, post_number: int) -> int:
        """Store the topic's cursor at `post_number`, or past the bot's answers right after it
        (so the safety net doesn't read them back)."""
        own = self.inbox.answered_numbers[topic_id]
        while post_number + 1 in own:
            own.discard(post_number + 1)
            post_number += 1
        await self._store(TOPIC_CURSOR.format(topic_id=topic_id), str(post_number))
        return post_number

    async def _topic_cursor(self, topic_id: int) -> int:
        """The last post number handled in the topic (1, the call itself, at first)."""
        return await self._load_int(TOPIC_CURSOR.format(topic_id=topic_id)) or 1

    # ----------------------------------------------------------------- state

    async def _load_int(self, key: str) -> int | None:
        async with self.database.session() as session:
            value = await state.get_value(session, key)
        return int(value) if value and value.lstrip("-").isdigit() else None

    async def _store(self, key: str, value: str) -> None:
        async with self.database.session() as session:
            await state.set_value(session, key, value, self.clock())
