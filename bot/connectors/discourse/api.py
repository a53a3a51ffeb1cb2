"""The Discourse API as the bot reads it: models of the answers it uses, webhook signatures."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from enum import IntEnum

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ACTION_ENQUEUED",
    "ARCHETYPE_PRIVATE_MESSAGE",
    "ARCHETYPE_REGULAR",
    "HEADER_EVENT",
    "HEADER_EVENT_ID",
    "HEADER_EVENT_SIGNATURE",
    "Account",
    "AccountResponse",
    "BasicUser",
    "CreatedPost",
    "DiscourseModel",
    "ErrorBody",
    "ErrorExtras",
    "GroupMember",
    "GroupMembers",
    "GroupMembersMeta",
    "GroupMessageable",
    "Notification",
    "NotificationData",
    "NotificationType",
    "NotificationsList",
    "PendingPost",
    "Post",
    "PostStream",
    "QueuedPost",
    "ReplyToUser",
    "TopicList",
    "TopicListItem",
    "TopicListResponse",
    "TopicPosts",
    "WebhookPayload",
    "sign_webhook",
    "signature_is_well_formed",
    "verify_webhook_signature",
]

ARCHETYPE_REGULAR = "regular"
ARCHETYPE_PRIVATE_MESSAGE = "private_message"

HEADER_EVENT = "X-Discourse-Event"
HEADER_EVENT_ID = "X-Discourse-Event-Id"
HEADER_EVENT_SIGNATURE = "X-Discourse-Event-Signature"

ACTION_ENQUEUED = "enqueued"

_SIGNATURE_PREFIX = b"sha256="
_HEX = frozenset(b"0123456789abcdefABCDEF")
_SHA256_HEX_LENGTH = 64


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


class ReplyToUser(DiscourseModel):
    """The author of the post a post replies to (PostSerializer#reply_to_user: no id)."""

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
    # The author of the post this one replies to (PostSerializer#reply_to_user).
    reply_to_user: ReplyToUser | None = None
    post_type: int = 1
    user_id: int | None = None
    name: str | None = None
    updated_at: datetime | None = None
    topic_slug: str | None = None
    topic_title: str | None = None
    topic_archetype: str | None = None
    category_id: int | None = None
    yours: bool | None = None
    # The author's rank on the forum: never a reason to treat them as the MLA's staff (the
    # CHATONS forum is shared; staff come from `discourse.staff_group`).
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


class PendingPost(DiscourseModel):
    """A post held for moderators' approval (TopicPendingPostSerializer)."""

    id: int
    raw: str | None = None
    created_at: datetime | None = None


class QueuedPost(DiscourseModel):
    """The 200 answer of POST /posts.json when the post was held for approval:
    `{"action": "enqueued", "pending_post": …}` instead of a post (NewPostResultSerializer)."""

    action: str
    success: bool | None = None
    pending_count: int | None = None
    pending_post: PendingPost | None = None


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


class GroupMessageable(DiscourseModel):
    """GET /groups/{name}/messageable.json: may the bot message the group?"""

    messageable: bool


class Account(DiscourseModel):
    """The bot's own account as GET /u/{username}.json shows it to itself (UserSerializer):
    what the forum will let it do."""

    id: int
    username: str
    trust_level: int = 0
    admin: bool = False
    moderator: bool = False
    created_at: datetime | None = None
    can_send_private_messages: bool | None = None
    silenced_till: datetime | None = None


class AccountResponse(DiscourseModel):
    """GET /u/{username}.json."""

    user: Account


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
    return _SIGNATURE_PREFIX.decode() + digest


def _header_bytes(header: str | bytes) -> bytes | None:
    """The header as the bytes it arrived as; None when it can't be ASCII (aiohttp hands
    undecodable bytes over as surrogates)."""
    if isinstance(header, bytes):
        return header
    try:
        return header.encode("ascii")
    except UnicodeEncodeError:
        return None


def signature_is_well_formed(header: str | bytes) -> bool:
    """True for "sha256=" followed by 64 hex digits, in ASCII: anything else is not a
    Discourse signature at all."""
    raw = _header_bytes(header)
    if raw is None:
        return False
    digest = raw.strip().removeprefix(_SIGNATURE_PREFIX)
    return (
        raw.strip().startswith(_SIGNATURE_PREFIX)
        and len(digest) == _SHA256_HEX_LENGTH
        and set(digest) <= _HEX
    )


def verify_webhook_signature(secret: str, body: bytes, header: str | bytes | None) -> bool:
    """True when `header` is the signature of the raw `body` under `secret`.

    Compared as bytes, in constant time: a header with characters outside ASCII is simply
    not the signature (comparing such text with `hmac.compare_digest` would raise).
    """
    if not secret or header is None:
        return False
    raw = _header_bytes(header)
    if raw is None:
        return False
    expected = sign_webhook(secret, body).encode("ascii")
    return hmac.compare_digest(expected, raw.strip())
