"""The fake forum's state: accounts, groups, categories, topics, posts, notifications, and its
clock. The rules that change it live in `posting` and `alerts`; the HTTP side in `server`."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fakes.discourse.limits import RollingLimiter
from tests.fakes.discourse.settings import GroupLevel, NotificationLevel, SiteSettings, TrustLevel

__all__ = [
    "ARCHETYPE_PRIVATE_MESSAGE",
    "ARCHETYPE_REGULAR",
    "FakeCategory",
    "FakeGroup",
    "FakeNotification",
    "FakePost",
    "FakeTopic",
    "FakeUser",
    "PendingPost",
    "Site",
    "TopicUser",
]

Json = dict[str, Any]

ARCHETYPE_REGULAR = "regular"
ARCHETYPE_PRIVATE_MESSAGE = "private_message"
REGULAR_POST = 1
SMALL_ACTION = 3


@dataclass
class FakeUser:
    """A forum account (app/models/user.rb). Ids below 0 are Discourse's bots (`User#bot?`)."""

    id: int
    username: str
    name: str
    created_at: datetime
    admin: bool = False
    moderator: bool = False
    trust_level: int = TrustLevel.BASIC
    groups: list[str] = field(default_factory=list)
    silenced: bool = False
    allow_private_messages: bool = True
    first_post_created_at: datetime | None = None
    post_count: int = 0
    topic_count: int = 0

    @property
    def staff(self) -> bool:
        """`User#staff?`: admins and moderators."""
        return self.admin or self.moderator

    @property
    def bot(self) -> bool:
        """`User#bot?`: system and discobot have negative ids."""
        return self.id < 0


@dataclass
class FakeGroup:
    """A group (app/models/group.rb). A new group is messageable by nobody but admins."""

    id: int
    name: str
    members: list[str] = field(default_factory=list)
    owners: list[str] = field(default_factory=list)
    mentionable_level: int = GroupLevel.NOBODY
    messageable_level: int = GroupLevel.NOBODY


@dataclass
class FakeCategory:
    """A category, maybe a subcategory of `parent_id` (app/models/category.rb)."""

    id: int
    name: str
    slug: str
    parent_id: int | None = None
    require_topic_approval: bool = False
    require_reply_approval: bool = False


@dataclass
class FakeTopic:
    """A topic or a private message."""

    id: int
    title: str
    slug: str
    archetype: str
    category_id: int | None
    user_id: int
    created_at: datetime
    bumped_at: datetime
    post_ids: list[int] = field(default_factory=list)
    highest_post_number: int = 0
    allowed_user_ids: set[int] = field(default_factory=set)
    allowed_group_ids: set[int] = field(default_factory=set)
    closed: bool = False

    @property
    def is_private_message(self) -> bool:
        return self.archetype == ARCHETYPE_PRIVATE_MESSAGE

    @property
    def posts_count(self) -> int:
        return len(self.post_ids)


@dataclass
class FakePost:
    """A post in a topic; `sort_order` is its place in the stream (here its number)."""

    id: int
    topic_id: int
    post_number: int
    user_id: int
    username: str
    raw: str
    cooked: str
    created_at: datetime
    updated_at: datetime
    reply_to_post_number: int | None = None
    reply_to_user_id: int | None = None
    post_type: int = REGULAR_POST
    version: int = 1

    @property
    def sort_order(self) -> int:
        return self.post_number


@dataclass
class FakeNotification:
    """A notification of one user (app/models/notification.rb)."""

    id: int
    user_id: int
    notification_type: int
    created_at: datetime
    topic_id: int | None = None
    post_number: int | None = None
    slug: str | None = None
    fancy_title: str | None = None
    data: Json = field(default_factory=dict)
    read: bool = False
    high_priority: bool = False


@dataclass
class TopicUser:
    """A user's relation to a topic (app/models/topic_user.rb): how closely they follow it,
    and the last post they read (set when they post, `PostCreator#update_topic_user`)."""

    notification_level: int = NotificationLevel.REGULAR
    last_read_post_number: int = 0


@dataclass
class PendingPost:
    """A post held for approval: a `ReviewableQueuedPost` (`NewPostManager#enqueue`)."""

    id: int
    user_id: int
    raw: str
    created_at: datetime
    reason: str
    topic_id: int | None = None
    title: str | None = None
    category_id: int | None = None
    reply_to_post_number: int | None = None
    status: str = "pending"


class Site:
    """Everything the forum knows, and the small rules every other part asks about."""

    def __init__(
        self,
        settings: SiteSettings,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        start: datetime | None = None,
    ) -> None:
        self.settings = settings
        self._monotonic = monotonic
        self._offset = 0.0
        self._mono_at_start = monotonic()
        self._start = start or datetime.now(UTC)
        self.users: dict[str, FakeUser] = {}
        self.groups: dict[str, FakeGroup] = {}
        self.categories: dict[int, FakeCategory] = {}
        self.topics: dict[int, FakeTopic] = {}
        self.posts: dict[int, FakePost] = {}
        self.notifications: list[FakeNotification] = []
        self.topic_users: dict[tuple[int, int], TopicUser] = {}
        self.pending: dict[int, PendingPost] = {}
        self.limiters: dict[str, RollingLimiter] = {}
        self._ids: dict[str, int] = {}

    # ----------------------------------------------------------------- clock

    def now(self) -> float:
        """Seconds on the forum's monotonic clock (rate-limit windows)."""
        return self._monotonic() + self._offset

    def utcnow(self) -> datetime:
        """The forum's time of day (timestamps it writes)."""
        return self._start + timedelta(seconds=self.now() - self._mono_at_start)

    def advance(self, seconds: float) -> None:
        self._offset += seconds

    def next_id(self, kind: str, offset: int = 0) -> int:
        self._ids[kind] = self._ids.get(kind, 0) + 1
        return self._ids[kind] + offset

    # ----------------------------------------------------------------- lookups

    def user(self, username: str) -> FakeUser:
        try:
            return self.users[username.lower()]
        except KeyError:
            raise KeyError(f"no forum user {username!r}") from None

    def user_by_id(self, user_id: int) -> FakeUser:
        return next(user for user in self.users.values() if user.id == user_id)

    def posts_in(self, topic_id: int) -> list[FakePost]:
        return [self.posts[post_id] for post_id in self.topics[topic_id].post_ids]

    def post_by_number(self, topic: FakeTopic, number: int) -> FakePost | None:
        for post_id in topic.post_ids:
            if self.posts[post_id].post_number == number:
                return self.posts[post_id]
        return None

    def topic_user(self, user_id: int, topic_id: int) -> TopicUser:
        return self.topic_users.setdefault((user_id, topic_id), TopicUser())

    def limiter(self, key: str, limit: int | None, period: float) -> RollingLimiter:
        """One `RateLimiter` per key (Redis key in Discourse), kept between requests."""
        limiter = self.limiters.get(key)
        if limiter is None or limiter.limit != limit or limiter.period != period:
            limiter = self.limiters[key] = RollingLimiter(limit, period)
        return limiter

    # ----------------------------------------------------------------- categories

    def full_slug(self, category: FakeCategory) -> str:
        """`Category#full_slug("/")`: the ancestors' slugs, its own, then its id."""
        slugs = [category.slug]
        parent = category.parent_id
        while parent is not None:
            ancestor = self.categories[parent]
            slugs.insert(0, ancestor.slug)
            parent = ancestor.parent_id
        return "/".join([*slugs, str(category.id)])

    # ----------------------------------------------------------------- who may see and do what

    def participant_ids(self, topic: FakeTopic) -> set[int]:
        """`Topic#all_allowed_users`: the users and the members of the groups of a PM."""
        ids = set(topic.allowed_user_ids)
        for group in self.groups.values():
            if group.id in topic.allowed_group_ids:
                ids.update(self.user(name).id for name in group.members)
        return ids

    def can_see(self, user: FakeUser | None, topic: FakeTopic) -> bool:
        """`Guardian#can_see_topic?`: everyone sees public topics; a PM, its participants and
        admins."""
        if not topic.is_private_message:
            return True
        if user is None:
            return False
        return user.admin or user.id in self.participant_ids(topic)

    def is_new_user(self, user: FakeUser) -> bool:
        """`User#new_user?`: an account under a day old, or at trust level 0, and not staff."""
        young = user.created_at >= self.utcnow() - timedelta(hours=24)
        return (
            (young or user.trust_level == TrustLevel.NEW)
            and user.trust_level < TrustLevel.MEMBER
            and not user.staff
        )

    def posting_on_first_day(self, user: FakeUser) -> bool:
        """`User#new_user_posting_on_first_day?`."""
        first = user.first_post_created_at
        return (
            not user.staff
            and user.trust_level < TrustLevel.MEMBER
            and (
                user.trust_level == TrustLevel.NEW
                or first is None
                or first >= self.utcnow() - timedelta(hours=24)
            )
        )

    def can_send_private_messages(self, user: FakeUser) -> bool:
        """`Guardian#can_send_private_messages?`: staff, bots, or a member of
        `personal_message_enabled_groups` (trust level 1 and up by default)."""
        return (
            user.staff
            or user.bot
            or user.trust_level >= self.settings.personal_message_min_trust_level
        )

    def messageable_by(self, group: FakeGroup, user: FakeUser) -> bool:
        """`Group.messageable(user)` (app/models/group.rb) includes `group`."""
        levels = {GroupLevel.EVERYONE}
        if user.admin:
            levels |= {
                GroupLevel.ONLY_ADMINS,
                GroupLevel.MODS_AND_ADMINS,
                GroupLevel.MEMBERS_MODS_AND_ADMINS,
                GroupLevel.OWNERS_MODS_AND_ADMINS,
            }
        elif user.moderator:
            levels |= {GroupLevel.MODS_AND_ADMINS, GroupLevel.MEMBERS_MODS_AND_ADMINS}
        if group.messageable_level in levels:
            return True
        member = user.username in group.members
        owner = user.username in group.owners
        if group.messageable_level == GroupLevel.MEMBERS_MODS_AND_ADMINS and member:
            return True
        return group.messageable_level == GroupLevel.OWNERS_MODS_AND_ADMINS and owner

    def mentionable_by(self, group: FakeGroup, user: FakeUser) -> bool:
        """`Group.mentionable(user)`: the same levels, for @group mentions."""
        if group.mentionable_level == GroupLevel.EVERYONE:
            return True
        if user.admin and group.mentionable_level != GroupLevel.NOBODY:
            return True
        member = user.username in group.members
        return group.mentionable_level == GroupLevel.MEMBERS_MODS_AND_ADMINS and member
