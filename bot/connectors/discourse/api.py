"""The Discourse API as the bot reads it: models of the answers it uses, webhook signatures."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from enum import IntEnum

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ARCHETYPE_PRIVATE_MESSAGE",
    "ARCHETYPE_REGULAR",
    "HEADER_EVENT",
    "HEADER_EVENT_ID",
    "HEADER_EVENT_SIGNATURE",
    "BasicUser",
    "CreatedPost",
    "DiscourseModel",
    "ErrorBody",
    "ErrorExtras",
    "GroupMember",
    "GroupMembers",
    "GroupMembersMeta",
    "Notification",
    "NotificationData",
    "NotificationType",
    "NotificationsList",
    "Post",
    "PostStream",
    "TopicList",
    "TopicListItem",
    "TopicListResponse",
    "TopicPosts",
    "WebhookPayload",
    "sign_webhook",
    "verify_webhook_signature",
]

ARCHETYPE_REGULAR = "regular"
ARCHETYPE_PRIVATE_MESSAGE = "private_message"

HEADER_EVENT = "X-Discourse-Event"
HEADER_EVENT_ID = "X-Discourse-Event-Id"
HEADER_EVENT_SIGNATURE = "X-Discourse-Event-Signature"

_SIGNATURE_PREFIX = "sha256="


class NotificationType(IntEnum):
    """Discourse's `Notification.types` numbers (the subset Tremplin may meet)."""

    MENTIONED = 1
    REPLIED = 2
    QUOTED = 3
    EDITED = 4
    LIKED = 5
    PRIVATE_MESSAGE = 6
    INVITED_TO_PRIVATE_MESSAGE = 7
    INVITEE_ACCEPTED = 8
    POSTED = 9
    MOVED_POST = 10
    LINKED = 11
    GRANTED_BADGE = 12
    INVITED_TO_TOPIC = 13
    CUSTOM = 14
    GROUP_MENTIONED = 15
    GROUP_MESSAGE_SUMMARY = 16
    WATCHING_FIRST_POST = 17


class DiscourseModel(BaseModel):
    """Base of every model here: unknown fields are ignored, as Discourse adds them often."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class BasicUser(DiscourseModel):
    """A user as embedded in other objects (topic details, topic lists)."""

    id: int
    username: str
    name: str | None = None
    avatar_template: str | None = None


class Post(DiscourseModel):
    """A post, as served by /posts/{id}.json, topic post streams, /posts.json and webhooks."""

    id: int
    topic_id: int
    post_number: int
    username: str
    created_at: datetime
    cooked: str = ""
    raw: str | None = None
    reply_to_post_number: int | None = None
    post_type: int = 1
    user_id: int | None = None
    name: str | None = None
    updated_at: datetime | None = None
    topic_slug: str | None = None
    topic_title: str | None = None
    topic_archetype: str | None = None
    category_id: int | None = None
    yours: bool | None = None
    admin: bool | None = None
    moderator: bool | None = None
    staff: bool | None = None
    hidden: bool = False
    deleted_at: datetime | None = None
    version: int = 1

    @property
    def is_private_message(self) -> bool:
        """True when the post carries its topic's archetype and it is a private message."""
        return self.topic_archetype == ARCHETYPE_PRIVATE_MESSAGE


class CreatedPost(Post):
    """The response of POST /posts.json: the new post (no `raw`, no topic title)."""

    draft_sequence: int | None = None
    post_url: str | None = None


class PostStream(DiscourseModel):
    """A topic's `post_stream`: a chunk of posts and, in topic views, every post id."""

    posts: list[Post]
    stream: list[int] = Field(default_factory=list)


class TopicPosts(DiscourseModel):
    """GET /t/{id}/posts.json: the requested posts of one topic."""

    id: int | None = None
    post_stream: PostStream


class TopicListItem(DiscourseModel):
    """One topic of a topic list (/latest.json, /c/{slug}/{id}.json, private messages)."""

    id: int
    title: str
    slug: str | None = None
    posts_count: int = 0
    highest_post_number: int = 0
    archetype: str = ARCHETYPE_REGULAR
    category_id: int | None = None
    created_at: datetime | None = None
    last_posted_at: datetime | None = None
    bumped_at: datetime | None = None
    closed: bool = False
    archived: bool = False
    visible: bool = True
    last_poster_username: str | None = None


class TopicList(DiscourseModel):
    """The `topic_list` object of a topic list response."""

    topics: list[TopicListItem]
    per_page: int | None = None
    more_topics_url: str | None = None


class TopicListResponse(DiscourseModel):
    """A topic list response: the listed topics and the users they mention."""

    users: list[BasicUser] = Field(default_factory=list)
    topic_list: TopicList


class NotificationData(DiscourseModel):
    """The `data` of a notification about a post (other kinds fill other keys)."""

    topic_title: str | None = None
    original_post_id: int | None = None
    original_post_type: int | None = None
    original_username: str | None = None
    display_username: str | None = None
    revision_number: int | None = None
    group_id: int | None = None
    group_name: str | None = None


class Notification(DiscourseModel):
    """One notification of the authenticated user."""

    id: int
    notification_type: int
    read: bool
    created_at: datetime
    user_id: int | None = None
    high_priority: bool = False
    post_number: int | None = None
    topic_id: int | None = None
    slug: str | None = None
    fancy_title: str | None = None
    data: NotificationData = Field(default_factory=NotificationData)

    @property
    def post_id(self) -> int | None:
        """The id of the post the notification is about, when it is about a post."""
        return self.data.original_post_id

    @property
    def username(self) -> str | None:
        """Who caused the notification (author of the post), when known."""
        return self.data.original_username or self.data.display_username


class NotificationsList(DiscourseModel):
    """GET /notifications.json: the user's notifications, newest first."""

    notifications: list[Notification]
    total_rows_notifications: int | None = None
    seen_notification_id: int | None = None
    load_more_notifications: str | None = None


class GroupMember(DiscourseModel):
    """A member (or owner) of a group."""

    id: int
    username: str
    name: str | None = None
    title: str | None = None
    last_seen_at: datetime | None = None


class GroupMembersMeta(DiscourseModel):
    """Paging of GET /groups/{name}/members.json."""

    total: int
    limit: int
    offset: int


class GroupMembers(DiscourseModel):
    """GET /groups/{name}/members.json: one page of a group's members."""

    members: list[GroupMember]
    owners: list[GroupMember] = Field(default_factory=list)
    meta: GroupMembersMeta | None = None


class ErrorExtras(DiscourseModel):
    """The `extras` of an error body (rate limits say how long to wait)."""

    wait_seconds: float | None = None
    time_left: str | None = None


class ErrorBody(DiscourseModel):
    """A Discourse JSON error: 403, 404, 422 (then with `action`) or 429 (with `extras`)."""

    errors: list[str]
    error_type: str | None = None
    action: str | None = None
    extras: ErrorExtras | None = None

    @property
    def message(self) -> str:
        """All error messages in one line."""
        return "; ".join(self.errors)

    @property
    def wait_seconds(self) -> float | None:
        """Seconds to wait before retrying, for a rate-limit error."""
        return self.extras.wait_seconds if self.extras else None


class WebhookPayload(DiscourseModel):
    """The body of a webhook delivery: a post event, or a ping (other events are ignored)."""

    post: Post | None = None
    ping: str | None = None


def sign_webhook(secret: str, body: bytes) -> str:
    """The X-Discourse-Event-Signature of `body`: "sha256=" and its hex HMAC-SHA256."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return _SIGNATURE_PREFIX + digest


def verify_webhook_signature(secret: str, body: bytes, header: str | None) -> bool:
    """True when `header` is the signature of the raw `body` under `secret`."""
    if not secret or not header:
        return False
    return hmac.compare_digest(sign_webhook(secret, body), header.strip())
