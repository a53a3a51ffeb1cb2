"""Creating posts, topics and private messages as Discourse does, refusals included.

`POST /posts` goes through `PostsController#create` (recipients), `NewPostManager#perform`
(the approval queue), then `PostCreator` / `TopicCreator` (validations, private-message
permissions) and the records' rate limiters (`RateLimiter::OnCreateRecord`). The order of
the checks is Discourse's: validation errors (422) before rate limits (429).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tests.fakes.discourse.alerts import notify_new_post
from tests.fakes.discourse.errors import (
    MSG_CANT_SEND_PM,
    MSG_NO_EMAIL_PM,
    MSG_NO_USER_SELECTED,
    MSG_TITLE_USED,
    MSG_TOO_MANY_LINKS,
    MSG_TOO_MANY_MENTIONS,
    MSG_TOO_MANY_REPLIES,
    MSG_TOO_SIMILAR,
    MSG_TOPIC_NOT_FOUND,
    MSG_USER_NOT_FOUND,
    PostRejected,
    int_param,
    invalid_access,
    invalid_parameters,
)
from tests.fakes.discourse.settings import NotificationLevel, TrustLevel
from tests.fakes.discourse.site import (
    ARCHETYPE_PRIVATE_MESSAGE,
    ARCHETYPE_REGULAR,
    FakeGroup,
    FakePost,
    FakeTopic,
    FakeUser,
    PendingPost,
    Site,
)
from tests.fakes.discourse.text import (
    collapse,
    cook,
    count_links,
    extract_mentions,
    ruby_split,
    slugify,
)

__all__ = ["Posting"]

MAX_MENTIONS_PER_POST = 10  # site setting max_mentions_per_post, for trusted users
DAY = 86400.0

PostListener = Callable[[FakePost, FakeTopic], None]


@dataclass(frozen=True)
class Recipients:
    users: list[FakeUser]
    groups: list[FakeGroup]


class Posting:
    """The forum's write side. `created` listeners hear of every new post (webhooks)."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.created: list[PostListener] = []
        self._recent_raws: dict[tuple[int, str], float] = {}

    # ----------------------------------------------------------------- entry point

    def create(
        self, user: FakeUser, params: Mapping[str, Any], *, first_post_checks: bool = False
    ) -> FakePost | PendingPost:
        """One POST /posts by `user`: the new post, or the post held for approval.

        Raises `PostRejected` (422), `RateLimited` (429) or `ApiError` (403, 400).
        `first_post_checks` is PostsController's `!is_api?`: true for a user API key or the
        browser, false for an admin API key.
        """
        raw = str(params.get("raw") or "")
        topic_id = int_param(params, "topic_id")
        topic = self.site.topics.get(topic_id) if topic_id is not None else None
        if topic_id is not None and topic is None:
            raise PostRejected([MSG_TOPIC_NOT_FOUND])
        if topic is not None:
            self._check_can_reply(user, topic)
        new_pm = topic is None and params.get("archetype") == ARCHETYPE_PRIVATE_MESSAGE
        in_pm = new_pm or (topic is not None and topic.is_private_message)
        if user.silenced and not new_pm:  # Guardian#can_create_post?: silenced users can't
            raise invalid_access()
        if not in_pm:  # NewPostManager#perform: "We never queue private messages"
            reason = self._needs_approval(user, params, topic, first_post_checks)
            if reason is not None:
                return self._enqueue(user, params, raw, topic, reason, first_post_checks)
        if topic is not None:
            return self._reply(user, topic, raw, int_param(params, "reply_to_post_number"))
        if new_pm:
            return self._new_private_message(user, params, raw)
        return self._new_topic(user, params, raw)

    def approve(self, pending: PendingPost) -> FakePost:
        """A moderator approves a queued post (`ReviewableQueuedPost#perform_approve_post`):
        created without the checks it already passed."""
        user = self.site.user_by_id(pending.user_id)
        pending.status = "approved"
        if pending.topic_id is not None:
            topic = self.site.topics[pending.topic_id]
            return self._add_post(topic, user, pending.raw, pending.reply_to_post_number)
        category = pending.category_id or 1
        topic = self._open_topic(user, pending.title or "", ARCHETYPE_REGULAR, category)
        return self._add_post(topic, user, pending.raw, None)

    # ----------------------------------------------------------------- guardian

    def _check_can_reply(self, user: FakeUser, topic: FakeTopic) -> None:
        """`Guardian#can_create_post_on_topic?`: visible, and not closed (but for staff)."""
        if not self.site.can_see(user, topic) or (topic.closed and not user.staff):
            raise invalid_access()

    def _can_message_user(self, sender: FakeUser, target: FakeUser) -> bool:
        """`Guardian#can_send_private_message?(user)`."""
        return (
            self.site.can_send_private_messages(sender)
            and (sender.staff or target.allow_private_messages)
            and (not sender.silenced or target.staff)
        )

    def _can_message_group(self, sender: FakeUser, group: FakeGroup) -> bool:
        """`Guardian#can_send_private_message?(group)`: the group must be messageable by the
        sender, who then needs no trust level of their own."""
        return self.site.messageable_by(group, sender) and not sender.silenced

    # ----------------------------------------------------------------- approval queue

    def _needs_approval(
        self,
        user: FakeUser,
        params: Mapping[str, Any],
        topic: FakeTopic | None,
        first_post_checks: bool,
    ) -> str | None:
        """`NewPostManager.post_needs_approval?`, the reasons a default forum can have."""
        if user.staff:
            return None
        if user.trust_level < self.site.settings.approve_unless_trust_level:
            return "group"
        title = params.get("title")
        if title and user.trust_level < self.site.settings.approve_new_topics_unless_trust_level:
            return "new_topics_unless_allowed_groups"
        if self._is_fast_typer(user, params, first_post_checks):
            return "fast_typer"
        if topic is not None:
            category = self.site.categories.get(topic.category_id or 0)
            if category is not None and category.require_reply_approval:
                return "category"
        else:
            category = self.site.categories.get(int_param(params, "category") or 0)
            if category is not None and category.require_topic_approval:
                return "category"
        return None

    def _is_fast_typer(
        self, user: FakeUser, params: Mapping[str, Any], first_post_checks: bool
    ) -> bool:
        """`NewPostManager.is_fast_typer?`: a first post typed too fast by a new account."""
        settings = self.site.settings
        first_post = first_post_checks and user.post_count == 0 and user.topic_count == 0
        typing = int_param(params, "typing_duration_msecs") or 0
        return (
            first_post
            and typing < settings.min_first_post_typing_time
            and settings.auto_silence_fast_typers_on_first_post
            and user.trust_level <= settings.auto_silence_fast_typers_max_trust_level
        )

    def _enqueue(
        self,
        user: FakeUser,
        params: Mapping[str, Any],
        raw: str,
        topic: FakeTopic | None,
        reason: str,
        first_post_checks: bool,
    ) -> PendingPost:
        """`NewPostManager#enqueue`: validated, then held; nothing is visible. A fast typer
        is silenced as well (`NewPostManager.default_handler`)."""
        minimum = self._minimum_length(topic)
        errors = self._raw_errors(user, raw, minimum, topic)
        title = str(params.get("title") or "") if topic is None else None
        if title is not None:
            errors = self._title_errors(title, regular=True) + errors
        if errors:
            raise PostRejected(errors)
        pending = PendingPost(
            id=self.site.next_id("reviewable"),
            user_id=user.id,
            raw=raw,
            created_at=self.site.utcnow(),
            reason=reason,
            topic_id=topic.id if topic else None,
            title=title,
            category_id=int_param(params, "category"),
            reply_to_post_number=int_param(params, "reply_to_post_number"),
        )
        self.site.pending[pending.id] = pending
        if self._is_fast_typer(user, params, first_post_checks):
            user.silenced = True
        return pending

    # ----------------------------------------------------------------- validations

    def _minimum_length(self, topic: FakeTopic | None) -> int:
        """`PostValidator#stripped_length`: a private message's, a first post's, a reply's."""
        settings = self.site.settings
        if topic is None:
            return settings.min_first_post_length
        if topic.is_private_message:
            return settings.min_personal_message_post_length
        return settings.min_post_length

    def _raw_errors(
        self, user: FakeUser, raw: str, minimum: int, topic: FakeTopic | None
    ) -> list[str]:
        """`PostValidator`: length, new users' mentions and links, replies per topic, and
        the same text posted again too soon."""
        settings = self.site.settings
        length = len(collapse(raw))
        if length < minimum:
            return [f"Body is too short (minimum is {minimum} characters)"]
        if length > settings.max_post_length:
            return [f"Body is too long (maximum is {settings.max_post_length} characters)"]
        trusted = user.staff or user.trust_level >= TrustLevel.BASIC
        mentions = len(extract_mentions(raw))
        limit = MAX_MENTIONS_PER_POST if trusted else settings.newuser_max_mentions_per_post
        if mentions > limit:
            return [MSG_TOO_MANY_MENTIONS.format(count=limit)]
        if not trusted and count_links(raw) > settings.newuser_max_links:
            return [MSG_TOO_MANY_LINKS.format(count=settings.newuser_max_links)]
        if topic is not None and self._posted_too_much_in_topic(user, topic):
            return [MSG_TOO_MANY_REPLIES.format(count=settings.newuser_max_replies_per_topic)]
        if self._too_similar(user, raw):
            return [MSG_TOO_SIMILAR]
        return []

    def _posted_too_much_in_topic(self, user: FakeUser, topic: FakeTopic) -> bool:
        """`User#posted_too_much_in_topic?`: trust level 0 only, not in their own topic nor a
        PM, counting their posts since someone last replied to them."""
        if user.staff or user.trust_level != TrustLevel.NEW:
            return False
        if topic.is_private_message or topic.user_id == user.id:
            return False
        posts = self.site.posts_in(topic.id)
        last_reply_to_them = max(
            (p.post_number for p in posts if p.reply_to_user_id == user.id), default=0
        )
        since = [p for p in posts if p.user_id == user.id and p.post_number > last_reply_to_them]
        return len(since) >= self.site.settings.newuser_max_replies_per_topic

    @staticmethod
    def _raw_hash(raw: str) -> str:
        """`Post#raw_hash`: the text without any whitespace."""
        return hashlib.sha1("".join(raw.split()).encode()).hexdigest()

    def _too_similar(self, user: FakeUser, raw: str) -> bool:
        """`PostValidator#unique_post_validator` (`Post#matches_recent_post?`)."""
        minutes = self.site.settings.unique_posts_mins
        if user.staff or not minutes:
            return False
        posted_at = self._recent_raws.get((user.id, self._raw_hash(raw)))
        return posted_at is not None and self.site.now() - posted_at < minutes * 60

    def _title_errors(self, title: str, *, regular: bool) -> list[str]:
        """Topic title validations: `TopicTitleLengthValidator` (a private message's range or
        a topic's; the admin's wider range is not modelled, the bot is no admin); only regular
        topics need a title nobody used (`Topic#unique_title`: "Private messages can be called
        whatever they want")."""
        settings = self.site.settings
        minimum = (
            settings.min_topic_title_length
            if regular
            else settings.min_personal_message_title_length
        )
        clean = collapse(title)
        if not clean:
            return ["Title can't be blank"]
        if len(clean) < minimum:
            return [f"Title is too short (minimum is {minimum} characters)"]
        if len(clean) > settings.max_topic_title_length:
            return [f"Title is too long (maximum is {settings.max_topic_title_length} characters)"]
        if regular and any(
            not t.is_private_message and t.title.lower() == clean.lower()
            for t in self.site.topics.values()
        ):
            return [MSG_TITLE_USED]
        return []

    # ----------------------------------------------------------------- rate limits

    def _limit(self, user: FakeUser, key: str, limit: int, period: float) -> None:
        """One of the member's action limiters (`RateLimiter.new(user, key, max, secs)`);
        staff are never limited (`RateLimiter#rate_unlimited?`)."""
        if user.staff or not self.site.settings.action_limits:
            return
        self.site.limiter(f"{key}:{user.id}", limit, period).performed(self.site.now())

    def _limit_new_topic(self, user: FakeUser, private: bool) -> None:
        """Topic's limiters: `create_topic` spacing, then topics (or first-day topics) or
        private messages per day (`Topic#limit_topics_per_day`,
        `#limit_private_messages_per_day`)."""
        settings = self.site.settings
        new_user = self.site.is_new_user(user)
        spacing = (
            settings.rate_limit_new_user_create_topic
            if new_user
            else settings.rate_limit_create_topic
        )
        self._limit(user, "create_topic", 1, spacing)
        if private:
            self._limit(user, "pms-per-day", settings.max_personal_messages_per_day, DAY)
        elif self.site.posting_on_first_day(user):
            self._limit(user, "first-day-topics-per-day", settings.max_topics_in_first_day, DAY)
        else:
            self._limit(user, "topics-per-day", settings.max_topics_per_day, DAY)

    def _limit_new_post(self, user: FakeUser, post_number: int) -> None:
        """Post's limiters: `create_post` spacing, and a new user's replies on their first
        day (`Post#limit_posts_per_day`, every post after a topic's first)."""
        settings = self.site.settings
        new_user = self.site.is_new_user(user)
        spacing = (
            settings.rate_limit_new_user_create_post
            if new_user
            else settings.rate_limit_create_post
        )
        self._limit(user, "create_post", 1, spacing)
        if post_number > 1 and self.site.posting_on_first_day(user):
            self._limit(user, "first-day-replies-per-day", settings.max_replies_in_first_day, DAY)

    # ----------------------------------------------------------------- creating

    def _reply(self, user: FakeUser, topic: FakeTopic, raw: str, reply_to: int | None) -> FakePost:
        errors = self._raw_errors(user, raw, self._minimum_length(topic), topic)
        if errors:
            raise PostRejected(errors)
        self._limit_new_post(user, topic.highest_post_number + 1)
        if reply_to is not None and self.site.post_by_number(topic, reply_to) is None:
            reply_to = None
        return self._add_post(topic, user, raw, reply_to)

    def _new_topic(self, user: FakeUser, params: Mapping[str, Any], raw: str) -> FakePost:
        title = str(params.get("title") or "")
        category_id = self._category_param(params.get("category"))
        errors = self._title_errors(title, regular=True)
        errors += self._raw_errors(user, raw, self.site.settings.min_first_post_length, None)
        if errors:
            raise PostRejected(errors)
        self._limit_new_topic(user, private=False)
        self._limit_new_post(user, 1)
        topic = self._open_topic(user, title, ARCHETYPE_REGULAR, category_id)
        return self._add_post(topic, user, raw, None)

    def _category_param(self, value: Any) -> int:
        if value is None or value == "":
            return 1
        if not str(value).isdigit() or int(value) not in self.site.categories:
            raise invalid_parameters("category")
        return int(value)

    def _new_private_message(self, user: FakeUser, params: Mapping[str, Any], raw: str) -> FakePost:
        title = str(params.get("title") or "")
        errors = self._title_errors(title, regular=False)
        minimum = self.site.settings.min_personal_message_post_length
        errors += self._raw_errors(user, raw, minimum, None)
        if errors:
            raise PostRejected(errors)
        recipients = self._recipients(user, str(params.get("target_recipients") or ""))
        self._limit_new_topic(user, private=True)
        self._limit_new_post(user, 1)
        topic = self._open_topic(user, title, ARCHETYPE_PRIVATE_MESSAGE, None)
        topic.allowed_user_ids.update({user.id, *(u.id for u in recipients.users)})
        topic.allowed_group_ids.update(g.id for g in recipients.groups)
        # Everyone in a new PM watches it (the groups' default notification level, too).
        for user_id in self.site.participant_ids(topic):
            self.site.topic_user(user_id, topic.id).notification_level = NotificationLevel.WATCHING
        return self._add_post(topic, user, raw, None)

    def _recipients(self, sender: FakeUser, target_recipients: str) -> Recipients:
        """`PostsController#create_params` then `TopicCreator#add_users` / `#add_groups`.

        Split on "," without trimming and lower-cased; a name is a group only if the group
        is messageable by the sender, otherwise it must be a username. Each target must be
        one the sender may message.
        """
        names = [name.lower() for name in ruby_split(target_recipients)]
        groups = [
            self.site.groups[name]
            for name in dict.fromkeys(names)
            if name in self.site.groups and self.site.messageable_by(self.site.groups[name], sender)
        ]
        group_names = {group.name.lower() for group in groups}
        usernames = [name for name in names if name not in group_names]
        if any("@" in name for name in usernames):
            raise PostRejected([MSG_NO_EMAIL_PM])
        if not usernames and not groups:
            raise PostRejected([MSG_NO_USER_SELECTED])
        found = [self.site.users[name] for name in usernames if name in self.site.users]
        for target in found:
            if not self._can_message_user(sender, target):
                raise PostRejected([MSG_CANT_SEND_PM])
        if len(found) != len(usernames):
            raise PostRejected([MSG_USER_NOT_FOUND])
        for group in groups:
            if not self._can_message_group(sender, group):
                raise PostRejected([MSG_CANT_SEND_PM])
        return Recipients(found, groups)

    def _open_topic(
        self, user: FakeUser, title: str, archetype: str, category_id: int | None
    ) -> FakeTopic:
        now = self.site.utcnow()
        topic = FakeTopic(
            id=self.site.next_id("topic", 10),
            title=collapse(title),
            slug=slugify(title),
            archetype=archetype,
            category_id=category_id,
            user_id=user.id,
            created_at=now,
            bumped_at=now,
        )
        self.site.topics[topic.id] = topic
        # Topic after_create: its creator watches it.
        self.site.topic_user(user.id, topic.id).notification_level = NotificationLevel.WATCHING
        user.topic_count += 1
        return topic

    def _add_post(
        self, topic: FakeTopic, user: FakeUser, raw: str, reply_to: int | None
    ) -> FakePost:
        now: datetime = self.site.utcnow()
        target = self.site.post_by_number(topic, reply_to) if reply_to else None
        topic.highest_post_number += 1
        post = FakePost(
            id=self.site.next_id("post", 100),
            topic_id=topic.id,
            post_number=topic.highest_post_number,
            user_id=user.id,
            username=user.username,
            raw=raw,
            cooked=cook(raw),
            created_at=now,
            updated_at=now,
            reply_to_post_number=reply_to if target else None,
            reply_to_user_id=target.user_id if target else None,
        )
        self.site.posts[post.id] = post
        topic.post_ids.append(post.id)
        topic.bumped_at = now
        if post.post_number > 1:
            user.post_count += 1
        if user.first_post_created_at is None:
            user.first_post_created_at = now
        self._recent_raws[(user.id, self._raw_hash(raw))] = self.site.now()
        # PostCreator#update_topic_user: the author has read up to their post, and follows
        # a topic they reply to (notification_level_when_replying: tracking).
        state = self.site.topic_user(user.id, topic.id)
        state.last_read_post_number = post.post_number
        if state.notification_level == NotificationLevel.REGULAR:
            state.notification_level = NotificationLevel.TRACKING
        notify_new_post(self.site, post, topic, user)
        for listener in self.created:
            listener(post, topic)
        return post
