"""Polling the forum: the bot's notifications and the appeal topics, from stored cursors.

A quiet poll costs two requests: one page of notifications and one list of the appeal
category's topics (last bumped first, with each topic's highest post number). Posts are
only read where something is new. Cursors are written to the database after the posts
they cover are handled, so a restart resumes where the last poll stopped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.config import DiscourseConfig
from bot.connectors.discourse.api import Notification, NotificationType, Post, TopicListItem
from bot.connectors.discourse.client import ForumClient, ForumError, ForumRefused
from bot.connectors.discourse.incoming import ForumInbox
from storage import state
from storage.database import Database

log = logging.getLogger(__name__)

NOTIFICATION_CURSOR = "discourse:last_notification_id"
TOPIC_CURSOR = "discourse:topic:{topic_id}:last_post_number"
MAX_NOTIFICATION_PAGES = 5
# On the very first start, notifications older than this are not answered.
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


class ForumWatcher:
    """One poll at a time: owed answers first, then notifications, then appeal topics."""

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
        self._first_poll = True
        self._bumped_watermark: datetime | None = None
        self._crashes: dict[int, int] = {}

    async def poll_once(self) -> PollReport:
        """Read everything new once; failures are reported, never raised."""
        report = PollReport()
        before = self.client.requests_sent
        try:
            report.answers_flushed = await self.inbox.flush_pending()
        except ForumError as error:
            report.errors.append(f"owed answers: {error}")
        appeal_topics = await self.inbox.appeal_topics()
        touched: set[int] = set()
        try:
            report.posts += await self._read_notifications(appeal_topics, touched)
        except (ForumError, PostNotHandled) as error:
            report.errors.append(f"notifications: {error}")
        try:
            report.posts += await self._read_appeal_topics(appeal_topics, touched)
            self._first_poll = False
        except (ForumError, PostNotHandled) as error:
            report.errors.append(f"appeal topics: {error}")
        report.errors += self.inbox.delivery_failures
        self.inbox.delivery_failures.clear()
        report.requests = self.client.requests_sent - before
        return report

    # ----------------------------------------------------------------- notifications

    async def _read_notifications(self, appeal_topics: set[int], touched: set[int]) -> int:
        """Handle the posts behind new notifications, oldest first; appeal topics are only
        marked `touched` (their posts are read in order with the topic's cursor)."""
        cursor = await self._load_int(NOTIFICATION_CURSOR)
        fresh = await self._new_notifications(cursor)
        if cursor is None:  # first start: the recent past only, then from the newest
            since = self.clock() - timedelta(minutes=BACKLOG_MINUTES)
            newest = max((n.id for n in fresh), default=0)
            fresh = [n for n in fresh if n.created_at >= since]
            await self._store(NOTIFICATION_CURSOR, str(fresh[0].id - 1 if fresh else newest))
        handled = 0
        seen_posts: set[int] = set()
        for notification in fresh:
            post_id, topic_id = notification.post_id, notification.topic_id
            wanted = notification.notification_type in ABOUT_POSTS and not self.inbox.ignores(
                notification.username
            )
            if wanted and post_id is not None and topic_id is not None:
                if topic_id in appeal_topics:
                    touched.add(topic_id)
                elif post_id not in seen_posts:
                    seen_posts.add(post_id)
                    handled += await self._handle_notified_post(notification, post_id)
            await self._store(NOTIFICATION_CURSOR, str(notification.id))
        return handled

    async def _handle_notified_post(self, notification: Notification, post_id: int) -> int:
        try:
            post = await self.client.post(post_id)
        except ForumRefused as gone:  # deleted, or no longer visible to the bot
            log.info("notification %s: post %s unreadable (%s)", notification.id, post_id, gone)
            return 0
        await self._handle(post, private=notification.notification_type in IN_PRIVATE)
        return 1

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

    async def _read_appeal_topics(self, appeal_topics: set[int], touched: set[int]) -> int:
        """Read the new posts of the appeal topics that moved."""
        if not appeal_topics:
            return 0
        highest: dict[int, int] = {}
        if self.config.appeal_category is not None:
            for item in await self._category_topics(self.config.appeal_category):
                if item.id in appeal_topics:
                    highest[item.id] = item.highest_post_number
        if self._first_poll:  # those not listed may have moved while we were away
            touched |= appeal_topics - set(highest)
        for topic_id, number in highest.items():
            if number > await self._topic_cursor(topic_id):
                touched.add(topic_id)
        handled = 0
        failures: list[str] = []
        for topic_id in sorted(touched):
            try:
                handled += await self._catch_up(topic_id, highest.get(topic_id))
            except (ForumError, PostNotHandled) as error:  # one topic must not hide the others
                failures.append(f"topic {topic_id}: {error}")
        if failures:
            raise ForumError("; ".join(failures))
        return handled

    async def _category_topics(self, category_id: int) -> list[TopicListItem]:
        """The category's topics bumped since the last poll (one page when quiet)."""
        path = await self.client.category_path(category_id)
        topics: list[TopicListItem] = []
        for page in range(MAX_TOPIC_LIST_PAGES):
            listing = await self.client.category_topics(path, page)
            items = listing.topic_list.topics
            topics += items
            oldest = min((t.bumped_at for t in items if t.bumped_at), default=None)
            full = (
                listing.topic_list.per_page is not None
                and len(items) >= listing.topic_list.per_page
            )
            watermark = self._bumped_watermark
            if not full or oldest is None or watermark is None or oldest <= watermark:
                break
        bumped = [t.bumped_at for t in topics if t.bumped_at]
        if bumped:
            self._bumped_watermark = max(bumped)
        return topics

    async def _catch_up(self, topic_id: int, highest: int | None) -> int:
        """Handle a topic's posts after its cursor, in order, moving the cursor post by post."""
        cursor = await self._topic_cursor(topic_id)
        handled = 0
        for _ in range(MAX_CHUNKS_PER_TOPIC):
            if highest is not None and cursor >= highest:
                break
            posts = await self.client.posts_after(topic_id, cursor)
            if not posts:
                break
            for post in posts:
                await self._handle(post)
                handled += 0 if self.inbox.ignores(post.username) else 1
                cursor = await self._advance(topic_id, post.post_number)
        return handled

    async def _advance(self, topic_id: int, post_number: int) -> int:
        """Store the topic's cursor at `post_number`, or past the bot's answers right after it
        (so a quiet poll doesn't read them back)."""
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
