"""Who is notified of a new post, as Discourse's PostAlerter decides it — collapsing included.

Modelled on `app/services/post_alerter.rb` (`after_save_post`, `create_notification`,
`destroy_notifications`, `first_unread_post`, `notify_pm_users`, `notify_post_users`).
"""

from __future__ import annotations

import html
from enum import IntEnum

from tests.fakes.discourse.settings import NotificationLevel
from tests.fakes.discourse.site import FakeNotification, FakePost, FakeTopic, FakeUser, Site
from tests.fakes.discourse.text import extract_mentions, extract_quotes

__all__ = ["COLLAPSED", "Kind", "notify_new_post"]


class Kind(IntEnum):
    """`Notification.types` (app/models/notification.rb), the ones a post creates."""

    MENTIONED = 1
    REPLIED = 2
    QUOTED = 3
    PRIVATE_MESSAGE = 6
    POSTED = 9
    GROUP_MENTIONED = 15


# PostAlerter::COLLAPSED_NOTIFICATION_TYPES: a new one of these destroys the user's earlier
# ones (of any of these kinds) in the same topic.
COLLAPSED = {Kind.REPLIED, Kind.POSTED, Kind.PRIVATE_MESSAGE}
# Suppressed when the user already has a `replied` notification for the same post.
SUPPRESSED_BY_REPLY = {Kind.MENTIONED, Kind.QUOTED}


def notify_new_post(site: Site, post: FakePost, topic: FakeTopic, author: FakeUser) -> None:
    """`PostAlerter#after_save_post(post, new_record: true)`, in its order: mentions, group
    mentions, replies (and the topic's author if watching), quotes, then PM participants or
    the topic's watchers."""
    notified: set[int] = {author.id}

    def send(users: list[FakeUser], kind: Kind, extra: dict[str, object] | None = None) -> None:
        for user in users:
            if user.id in notified:
                continue
            notified.add(user.id)
            _create_notification(site, user, kind, post, topic, extra)

    mentioned = extract_mentions(post.raw)
    users = [site.users[name] for name in mentioned if name in site.users]
    if topic.is_private_message:  # only_allowed_users, minus those watching the PM
        allowed = site.participant_ids(topic)
        users = [u for u in users if u.id in allowed and not _watching(site, u, topic)]
    send(users, Kind.MENTIONED)
    for name in mentioned:  # expand_group_mentions: groups the author may mention
        group = site.groups.get(name)
        if group is None or not site.mentionable_by(group, author):
            continue
        members = [site.user(member) for member in group.members]
        if topic.is_private_message:
            members = [u for u in members if u.id in site.participant_ids(topic)]
        send(members, Kind.GROUP_MENTIONED, {"group_id": group.id, "group_name": group.name})

    reply_to = site.user_by_id(post.reply_to_user_id) if post.reply_to_user_id else None
    if not topic.is_private_message:  # notify_non_pm_users
        if reply_to is not None:
            send([reply_to], Kind.REPLIED)
        creator = site.user_by_id(topic.user_id)
        if _watching(site, creator, topic):
            send([creator], Kind.REPLIED)
        send(_quoted_users(site, post, author), Kind.QUOTED)

    if topic.is_private_message:  # notify_pm_users: the PM's people who watch it
        quoted = _quoted_users(site, post, author)
        for user_id in sorted(site.participant_ids(topic)):
            user = site.user_by_id(user_id)
            replying = user is reply_to or user.id in {q.id for q in quoted}
            if replying or _watching(site, user, topic):
                send([user], Kind.PRIVATE_MESSAGE)
    elif post.post_number > 1:  # notify_post_users: those watching the topic
        watchers = [
            site.user_by_id(user_id)
            for (user_id, topic_id), state in sorted(site.topic_users.items())
            if topic_id == topic.id and state.notification_level == NotificationLevel.WATCHING
        ]
        send(watchers, Kind.POSTED)


def _watching(site: Site, user: FakeUser, topic: FakeTopic) -> bool:
    return site.topic_user(user.id, topic.id).notification_level == NotificationLevel.WATCHING


def _quoted_users(site: Site, post: FakePost, author: FakeUser) -> list[FakeUser]:
    """`PostAlerter#extract_quoted_users`: the usernames named in [quote="name, …"]."""
    users = []
    for username, _number, _topic in extract_quotes(post.raw):
        user = site.users.get(username)
        if user is not None and user.id != author.id and user not in users:
            users.append(user)
    return users


def _unread_posts(site: Site, user: FakeUser, topic: FakeTopic) -> list[FakePost]:
    """`PostAlerter#unread_posts`: after the user's last read post, replying to them or in a
    topic they watch."""
    state = site.topic_user(user.id, topic.id)
    watching = state.notification_level == NotificationLevel.WATCHING
    return [
        post
        for post in site.posts_in(topic.id)
        if post.post_number > state.last_read_post_number
        and (post.reply_to_user_id == user.id or watching)
    ]


def _create_notification(
    site: Site,
    user: FakeUser,
    kind: Kind,
    post: FakePost,
    topic: FakeTopic,
    extra: dict[str, object] | None,
) -> None:
    """`PostAlerter#create_notification`."""
    if user.bot or not site.can_see(user, topic):
        return
    if site.topic_user(user.id, topic.id).notification_level == NotificationLevel.MUTED:
        return
    existing = [
        n
        for n in site.notifications
        if n.user_id == user.id and n.topic_id == topic.id and n.post_number == post.post_number
    ]
    if any(n.notification_type == kind for n in existing):
        return
    if kind in SUPPRESSED_BY_REPLY and any(n.notification_type == Kind.REPLIED for n in existing):
        return
    original = post
    display_username = site.user_by_id(post.user_id).username
    if kind in COLLAPSED:  # destroy_notifications, then point at the first unread post
        site.notifications = [
            n
            for n in site.notifications
            if not (
                n.user_id == user.id and n.topic_id == topic.id and n.notification_type in COLLAPSED
            )
        ]
        unread = _unread_posts(site, user, topic)
        if unread:
            post = unread[0]
        if len(unread) > 1:
            display_username = f"{len(unread)} replies"  # I18n "embed.replies"
    data: dict[str, object] = {
        "topic_title": topic.title,
        "original_post_id": original.id,
        "original_post_type": original.post_type,
        "original_username": original.username,
        "revision_number": None,
        "display_username": display_username,
    }
    data.update(extra or {})
    site.notifications.append(
        FakeNotification(
            id=site.next_id("notification"),
            user_id=user.id,
            notification_type=int(kind),
            created_at=site.utcnow(),
            topic_id=topic.id,
            post_number=post.post_number,
            slug=topic.slug,
            fancy_title=html.escape(topic.title, quote=False),
            data=data,
            high_priority=kind == Kind.PRIVATE_MESSAGE,
        )
    )
