"""The JSON the fake forum answers with, shaped as Discourse's serializers shape it."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any

from tests.fakes.discourse.settings import NotificationLevel
from tests.fakes.discourse.site import (
    FakeGroup,
    FakeNotification,
    FakePost,
    FakeTopic,
    FakeUser,
    PendingPost,
    Site,
)
from tests.fakes.discourse.text import collapse, extract_quotes

__all__ = ["Serializers", "iso"]

Json = dict[str, Any]
TOPIC_LIST_PER_PAGE = 30


def iso(moment: datetime) -> str:
    """Discourse's timestamp format: 2024-03-05T14:07:09.123Z."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


class Serializers:
    """One method per serializer the bot meets."""

    def __init__(self, site: Site) -> None:
        self.site = site

    @staticmethod
    def avatar(user: FakeUser) -> str:
        return f"/letter_avatar_proxy/v4/letter/{user.username[:1].lower()}/8c91f0/{{size}}.png"

    def basic_user(self, user: FakeUser) -> Json:
        """BasicUserSerializer."""
        return {
            "id": user.id,
            "username": user.username,
            "name": user.name,
            "avatar_template": self.avatar(user),
        }

    def post(
        self,
        post: FakePost,
        viewer: FakeUser | None,
        *,
        raw: bool = False,
        title: bool = False,
        created: bool = False,
        in_topic: bool = False,
    ) -> Json:
        """PostSerializer: `raw` only when asked (a single post, `include_raw`)."""
        site = self.site
        author = site.user_by_id(post.user_id)
        topic = site.topics[post.topic_id]
        owns = viewer is not None and viewer.id == author.id
        staff = viewer is not None and viewer.staff
        replies = [p for p in site.posts_in(topic.id) if p.reply_to_post_number == post.post_number]
        body: Json = {
            "id": post.id,
            "name": author.name,
            "username": author.username,
            "avatar_template": self.avatar(author),
            "created_at": iso(post.created_at),
            "cooked": post.cooked,
            "post_number": post.post_number,
            "post_type": post.post_type,
            "updated_at": iso(post.updated_at),
            "reply_count": len(replies),
            "reply_to_post_number": post.reply_to_post_number,
            "quote_count": len(extract_quotes(post.raw)),
            "incoming_link_count": 0,
            "reads": 1,
            "readers_count": 0,
            "score": 0,
            "yours": owns,
            "topic_id": topic.id,
            "topic_slug": topic.slug,
            "display_username": author.name,
            "primary_group_name": None,
            "flair_name": None,
            "flair_url": None,
            "flair_bg_color": None,
            "flair_color": None,
            "flair_group_id": None,
            "version": post.version,
            "can_edit": owns or staff,
            "can_delete": staff,
            "can_recover": staff,
            "can_see_hidden_post": staff,
            "can_wiki": staff,
            "user_title": None,
            "bookmarked": False,
            "actions_summary": [],
            "moderator": author.moderator,
            "admin": author.admin,
            "staff": author.staff,
            "user_id": author.id,
            "hidden": False,
            "trust_level": author.trust_level,
            "deleted_at": None,
            "user_deleted": False,
            "edit_reason": None,
            "can_view_edit_history": True,
            "wiki": False,
            "reviewable_id": None,
            "reviewable_score_count": 0,
            "reviewable_score_pending_count": 0,
            "post_url": f"/t/{topic.slug}/{topic.id}/{post.post_number}",
            "mentioned_users": [],
        }
        if post.reply_to_user_id is not None:  # PostSerializer#reply_to_user
            target_author = site.user_by_id(post.reply_to_user_id)
            body["reply_to_user"] = {
                "username": target_author.username,
                "name": target_author.name,
                "avatar_template": self.avatar(target_author),
            }
        if in_topic:
            body["read"] = True
            body["link_counts"] = []
        if raw:
            body["raw"] = post.raw
        if title:
            body["topic_title"] = topic.title
            body["topic_html_title"] = html.escape(topic.title, quote=False)
            body["category_id"] = topic.category_id
            body["excerpt"] = html.escape(collapse(post.raw)[:300], quote=False)
            body["truncated"] = len(collapse(post.raw)) > 300
        if created:
            body["draft_sequence"] = 0
        return body

    def enqueued(self, pending: PendingPost) -> Json:
        """NewPostResultSerializer for a held post (`PostsController#backwards_compatible_json`
        keeps the whole result when `action` is "enqueued"); `reason` is for staff only."""
        mine = [p for p in self.site.pending.values() if p.user_id == pending.user_id]
        return {
            "action": "enqueued",
            "success": True,
            "pending_count": sum(1 for p in mine if p.status == "pending"),
            "pending_post": {  # TopicPendingPostSerializer
                "id": pending.id,
                "raw": pending.raw,
                "created_at": iso(pending.created_at),
            },
        }

    def webhook_post(self, post: FakePost) -> Json:
        """WebHookPostSerializer: the post with raw, topic title, archetype and category."""
        topic = self.site.topics[post.topic_id]
        body = self.post(post, None, raw=True, title=True)
        for key in ("yours", "can_edit", "can_delete", "can_recover", "can_wiki", "excerpt"):
            body.pop(key, None)
        category = self.site.categories.get(topic.category_id) if topic.category_id else None
        body.update(
            {
                "topic_archetype": topic.archetype,
                "topic_posts_count": topic.posts_count,
                "topic_filtered_posts_count": topic.posts_count,
                "category_slug": category.slug if category else None,
            }
        )
        return body

    def webhook_topic(self, topic: FakeTopic) -> Json:
        creator = self.site.user_by_id(topic.user_id)
        return {
            "id": topic.id,
            "title": topic.title,
            "fancy_title": html.escape(topic.title, quote=False),
            "slug": topic.slug,
            "archetype": topic.archetype,
            "category_id": topic.category_id,
            "user_id": topic.user_id,
            "created_at": iso(topic.created_at),
            "posts_count": topic.posts_count,
            "visible": True,
            "closed": topic.closed,
            "archived": False,
            "created_by": self.basic_user(creator),
            "tags": [],
        }

    def topic_list(self, topics: list[FakeTopic], path: str, page: int = 0) -> Json:
        """TopicListSerializer: last bumped first, 30 a page."""
        ordered = sorted(topics, key=lambda t: t.bumped_at, reverse=True)
        start = page * TOPIC_LIST_PER_PAGE
        shown = ordered[start : start + TOPIC_LIST_PER_PAGE]
        user_ids: dict[int, None] = {}
        items = []
        for topic in shown:
            posts = self.site.posts_in(topic.id)
            posters = list(dict.fromkeys(p.user_id for p in posts))
            user_ids.update(dict.fromkeys(posters))
            items.append(self.topic_list_item(topic, posts, posters))
        more = len(ordered) > start + TOPIC_LIST_PER_PAGE
        return {
            "users": [self.basic_user(self.site.user_by_id(uid)) for uid in user_ids],
            "primary_groups": [],
            "topic_list": {
                "can_create_topic": True,
                "more_topics_url": f"{path}?page={page + 1}" if more else None,
                "per_page": TOPIC_LIST_PER_PAGE,
                "top_tags": [],
                "topics": items,
            },
        }

    def topic_list_item(self, topic: FakeTopic, posts: list[FakePost], posters: list[int]) -> Json:
        last = posts[-1] if posts else None
        last_user = self.site.user_by_id(last.user_id) if last else None
        return {
            "id": topic.id,
            "title": topic.title,
            "fancy_title": html.escape(topic.title, quote=False),
            "slug": topic.slug,
            "posts_count": topic.posts_count,
            "reply_count": max(0, topic.posts_count - 1),
            "highest_post_number": topic.highest_post_number,
            "image_url": None,
            "created_at": iso(topic.created_at),
            "last_posted_at": iso(last.created_at) if last else None,
            "bumped": True,
            "bumped_at": iso(topic.bumped_at),
            "archetype": topic.archetype,
            "unseen": False,
            "pinned": False,
            "unpinned": None,
            "visible": True,
            "closed": topic.closed,
            "archived": False,
            "bookmarked": None,
            "liked": None,
            "views": 1,
            "like_count": 0,
            "has_summary": False,
            "last_poster_username": last_user.username if last_user else None,
            "category_id": topic.category_id,
            "pinned_globally": False,
            "featured_link": None,
            "posters": [
                {"extras": None, "description": "Poster", "user_id": uid, "primary_group_id": None}
                for uid in posters
            ],
        }

    def notification(self, notification: FakeNotification) -> Json:
        """NotificationSerializer."""
        actor = self.site.users.get(str(notification.data.get("original_username", "")).lower())
        return {
            "id": notification.id,
            "user_id": notification.user_id,
            "external_id": None,
            "notification_type": notification.notification_type,
            "read": notification.read,
            "high_priority": notification.high_priority,
            "created_at": iso(notification.created_at),
            "post_number": notification.post_number,
            "topic_id": notification.topic_id,
            "fancy_title": notification.fancy_title,
            "slug": notification.slug,
            "data": dict(notification.data),
            "acting_user_avatar_template": self.avatar(actor) if actor else None,
            "acting_user_name": actor.name if actor else None,
        }

    def user(self, user: FakeUser, viewer: FakeUser | None) -> Json:
        """UserSerializer, as GET /u/{username}.json answers it; the `can_send_private_*`
        fields are the viewer's rights (`scope.can_send_private_messages?`)."""
        site = self.site
        posts = [p for p in site.posts.values() if p.user_id == user.id]
        can_send = viewer is not None and site.can_send_private_messages(viewer)
        return {
            "id": user.id,
            "username": user.username,
            "name": user.name,
            "avatar_template": self.avatar(user),
            "last_posted_at": iso(posts[-1].created_at) if posts else None,
            "last_seen_at": iso(site.utcnow()),
            "created_at": iso(user.created_at),
            "ignored": False,
            "muted": False,
            "can_ignore_user": False,
            "can_mute_user": False,
            "can_send_private_messages": can_send,
            "can_send_private_message_to_user": can_send and user.allow_private_messages,
            "trust_level": user.trust_level,
            "moderator": user.moderator,
            "admin": user.admin,
            "title": None,
            "badge_count": 0,
            "custom_fields": {},
            "time_read": 0,
            "recent_time_read": 0,
            "primary_group_id": None,
            "primary_group_name": None,
            "flair_group_id": None,
            "flair_name": None,
            "flair_url": None,
            "flair_bg_color": None,
            "flair_color": None,
            "featured_topic": None,
            "staged": False,
            "silenced_till": "9999-12-31T00:00:00.000Z" if user.silenced else None,
            "post_count": len(posts),
            "topic_count": user.topic_count,
            "groups": [self.group(site.groups[name.lower()]) for name in user.groups],
            "featured_user_badge_ids": [],
            "invited_by": None,
        }

    @staticmethod
    def group(group: FakeGroup) -> Json:
        """BasicGroupSerializer."""
        return {
            "id": group.id,
            "automatic": False,
            "name": group.name,
            "display_name": group.name,
            "user_count": len(group.members),
            "mentionable_level": group.mentionable_level,
            "messageable_level": group.messageable_level,
            "visibility_level": 0,
            "primary_group": False,
            "title": None,
            "grant_trust_level": None,
            "has_messages": True,
            "flair_url": None,
            "flair_bg_color": None,
            "flair_color": None,
            "bio_cooked": None,
            "public_admission": False,
            "public_exit": False,
            "allow_membership_requests": False,
            "full_name": None,
            "default_notification_level": NotificationLevel.WATCHING,
            "membership_request_template": None,
        }

    def member(self, user: FakeUser) -> Json:
        """GroupUserSerializer, in GET /groups/{name}/members.json."""
        return {
            "id": user.id,
            "username": user.username,
            "name": user.name,
            "avatar_template": self.avatar(user),
            "title": None,
            "last_posted_at": None,
            "last_seen_at": iso(self.site.utcnow()),
            "added_at": iso(user.created_at),
            "timezone": "Europe/Paris",
        }
