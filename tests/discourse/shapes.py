"""Discourse answers the bot never reads, modelled for the contract tests and the fake.

The bot's own models are in `bot.connectors.discourse.api`; these follow the same rules
(unknown fields ignored) so recorded answers and the fake's can be checked against them.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from bot.connectors.discourse.api import (
    ARCHETYPE_PRIVATE_MESSAGE,
    ARCHETYPE_REGULAR,
    BasicUser,
    DiscourseModel,
    Post,
    PostStream,
)

HEADER_EVENT_TYPE = "X-Discourse-Event-Type"
HEADER_INSTANCE = "X-Discourse-Instance"
HEADER_RATE_LIMIT_CODE = "Discourse-Rate-Limit-Error-Code"


class BasicGroup(DiscourseModel):
    """A group as listed in a user's profile."""

    id: int
    name: str
    automatic: bool = False
    user_count: int | None = None


class UpdatedPost(DiscourseModel):
    """The response of PUT /posts/{id}.json."""

    post: Post


class TopicDetails(DiscourseModel):
    """The `details` of a topic view."""

    created_by: BasicUser | None = None
    last_poster: BasicUser | None = None
    participants: list[BasicUser] = Field(default_factory=list)
    allowed_users: list[BasicUser] = Field(default_factory=list)
    allowed_groups: list[BasicGroup] = Field(default_factory=list)
    notification_level: int | None = None


class TopicView(DiscourseModel):
    """GET /t/{id}.json: a topic and its first chunk of posts (`raw` only with include_raw)."""

    id: int
    title: str
    fancy_title: str | None = None
    slug: str | None = None
    archetype: str = ARCHETYPE_REGULAR
    category_id: int | None = None
    user_id: int | None = None
    posts_count: int
    highest_post_number: int
    created_at: datetime | None = None
    closed: bool = False
    archived: bool = False
    visible: bool = True
    chunk_size: int | None = None
    post_stream: PostStream
    details: TopicDetails | None = None

    @property
    def is_private_message(self) -> bool:
        """True for a private message topic."""
        return self.archetype == ARCHETYPE_PRIVATE_MESSAGE


class PostsList(DiscourseModel):
    """GET /posts.json: the latest public posts across topics, newest first."""

    latest_posts: list[Post]


class CurrentUser(DiscourseModel):
    """The `current_user` of GET /session/current.json."""

    id: int
    username: str
    name: str | None = None
    admin: bool = False
    moderator: bool = False
    trust_level: int | None = None


class SessionCurrent(DiscourseModel):
    """GET /session/current.json: who the credentials act as."""

    current_user: CurrentUser


class User(DiscourseModel):
    """The `user` of GET /u/{username}.json."""

    id: int
    username: str
    name: str | None = None
    admin: bool = False
    moderator: bool = False
    trust_level: int = 0
    title: str | None = None
    created_at: datetime | None = None
    last_seen_at: datetime | None = None
    groups: list[BasicGroup] = Field(default_factory=list)


class UserResponse(DiscourseModel):
    """GET /u/{username}.json: a user's public profile."""

    user: User


class SuccessBody(DiscourseModel):
    """The `{"success": "OK"}` answer of actions such as PUT /notifications/mark-read.json."""

    success: str
