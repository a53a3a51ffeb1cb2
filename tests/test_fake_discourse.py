"""The fake Discourse answers as Discourse's source says it does, over real HTTP.

Each test names the behaviour of Discourse it checks (the fake's modules name the file and
method they model). These are the facts the forum connector depends on.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest_asyncio
from aiohttp import web

from bot.connectors.discourse.api import (
    HEADER_EVENT,
    HEADER_EVENT_ID,
    HEADER_EVENT_SIGNATURE,
    ErrorBody,
    NotificationsList,
    NotificationType,
    QueuedPost,
    TopicPosts,
    WebhookPayload,
    verify_webhook_signature,
)
from tests.discourse.shapes import HEADER_EVENT_TYPE, HEADER_INSTANCE, HEADER_RATE_LIMIT_CODE
from tests.fakes.discourse import FakeDiscourse, GroupLevel, SiteSettings, TrustLevel

ADMIN_KEY = "cle-admin-de-test-0123456789abcdef"
BOT_KEY = "cle-utilisateur-bot-fedcba9876543210"
CATEGORY = 17
CALL_RAW = (
    "Bonjour à toutes et à tous,\n\n"
    "La Maison des Lanceurs d'Alerte cherche une personne bénévole pour maintenir son Nextcloud."
)
CALL_TITLE = "Appel à bénévoles : maintenance du Nextcloud"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any


class Client:
    """HTTP as the bot sends it: with its user API key (or an admin key, acting as `as_user`)."""

    def __init__(self, forum: FakeDiscourse, session: aiohttp.ClientSession) -> None:
        self.forum = forum
        self.session = session

    async def call(
        self, method: str, path: str, *, admin_as: str | None = None, **kwargs: Any
    ) -> Answer:
        headers = (
            {"Api-Key": ADMIN_KEY, "Api-Username": admin_as}
            if admin_as
            else {"User-Api-Key": BOT_KEY}
        )
        async with self.session.request(
            method, self.forum.url + path, headers=headers, allow_redirects=False, **kwargs
        ) as response:
            text = await response.text()
            body: Any = text
            if response.content_type == "application/json":
                body = await response.json()
            return Answer(response.status, dict(response.headers), body)

    async def post(self, **fields: Any) -> Answer:
        return await self.call("POST", "/posts.json", data=fields)


def populate(forum: FakeDiscourse, *, bot_trust_level: int = 1, bot_is_new: bool = False) -> None:
    forum.add_user("tremplin", trust_level=bot_trust_level, new=bot_is_new)
    for name in ("alice", "bob", "yann_k", "audrey.l"):
        forum.add_user(name)
    forum.add_group("mla-coordination", ["yann_k", "audrey.l"], owners=["yann_k"])
    forum.add_category(5, "Associations")
    forum.add_category(CATEGORY, "Appels à bénévoles", parent=5)
    forum.add_admin_key(ADMIN_KEY)
    forum.add_user_api_key(BOT_KEY, "tremplin")


@pytest_asyncio.fixture
async def forum() -> AsyncIterator[FakeDiscourse]:
    fake = FakeDiscourse()
    populate(fake)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest_asyncio.fixture
async def bot(forum: FakeDiscourse) -> AsyncIterator[Client]:
    async with aiohttp.ClientSession() as session:
        yield Client(forum, session)


async def call_topic(bot: Client) -> int:
    answer = await bot.post(title=CALL_TITLE, raw=CALL_RAW, category=CATEGORY)
    assert answer.status == 200, answer.body
    return int(answer.body["topic_id"])


def numbers(answer: Answer) -> list[int]:
    return [p.post_number for p in TopicPosts.model_validate(answer.body).post_stream.posts]


# ----------------------------------------------------------------- lib/topic_view.rb


async def test_posts_after_a_number_are_strictly_after_it(
    forum: FakeDiscourse, bot: Client
) -> None:
    topic_id = await call_topic(bot)
    for turn in range(4):
        forum.member_posts("alice" if turn % 2 else "bob", topic_id, f"Réponse numéro {turn} !!!")
        forum.advance(10)
    path = f"/t/{topic_id}/posts.json"

    after = await bot.call("GET", path, params={"post_number": "2", "asc": "true"})
    before = await bot.call("GET", path, params={"post_number": "4"})
    missing = await bot.call("GET", path, params={"post_number": "0", "asc": "true"})
    first_page = await bot.call("GET", path)
    some = await bot.call("GET", path, params=[("post_ids[]", str(forum.posts[2].id))])

    assert numbers(after) == [3, 4, 5], "TopicView#filter_posts_by_post_number: sort_order > N"
    assert numbers(before) == [3, 2, 1], "without asc: smaller, newest first"
    assert numbers(missing) == [2, 3, 4, 5], "no post 0: the nearest (1) stands in, and is out"
    assert numbers(first_page) == [1, 2, 3, 4, 5]
    assert numbers(some) == [3], "filter_posts_by_ids"
    assert all(p.raw is None for p in TopicPosts.model_validate(after.body).post_stream.posts)
    with_raw = await bot.call(
        "GET", path, params={"post_number": "4", "asc": "true", "include_raw": "1"}
    )
    assert (
        TopicPosts.model_validate(with_raw.body).post_stream.posts[0].raw == "Réponse numéro 3 !!!"
    )


# ----------------------------------------------------------------- app/services/post_alerter.rb


async def test_replies_between_two_reads_collapse_into_one_notification(
    forum: FakeDiscourse, bot: Client
) -> None:
    topic_id = await call_topic(bot)
    first = forum.member_posts("alice", topic_id, "Je peux aider sur les sauvegardes.")
    forum.member_posts("bob", topic_id, "Moi aussi, je connais bien Nextcloud.")
    forum.member_posts("yann_k", topic_id, "@tremplin merci, je regarde ça avec toi.")

    listed = NotificationsList.model_validate((await bot.call("GET", "/notifications.json")).body)

    kinds = [(n.notification_type, n.post_number) for n in listed.notifications]
    assert kinds == [
        (NotificationType.MENTIONED, 4),
        (NotificationType.REPLIED, first.post_number),
    ], "destroy_notifications: one `replied` left, at the first unread post; newest first"
    collapsed = listed.notifications[1]
    assert collapsed.data.display_username == "2 replies"
    assert collapsed.data.original_username == "bob", "the newest of the collapsed posts"


async def test_private_message_notifications_collapse_too(
    forum: FakeDiscourse, bot: Client
) -> None:
    pm = forum.create_pm_as(
        "alice", "Une question", "Comment est-ce que je participe ?", ["tremplin"]
    )
    forum.advance(10)
    forum.member_posts("alice", pm.id, "Et aussi, combien de temps cela prend-il ?")

    listed = NotificationsList.model_validate((await bot.call("GET", "/notifications.json")).body)

    assert [(n.notification_type, n.post_number) for n in listed.notifications] == [
        (NotificationType.PRIVATE_MESSAGE, 1)
    ]


# ----------------------------------------------------------------- budgets and limits


async def test_a_user_api_key_has_twenty_requests_a_minute(
    forum: FakeDiscourse, bot: Client
) -> None:
    statuses = [(await bot.call("GET", "/notifications.json")).status for _ in range(21)]
    refused = await bot.call("GET", "/notifications.json")

    assert statuses[:20] == [200] * 20 and statuses[20] == 429
    assert refused.headers[HEADER_RATE_LIMIT_CODE] == "user_api_key_limiter_60_secs"
    assert ErrorBody.model_validate(refused.body).wait_seconds is not None
    forum.advance(60)
    assert (await bot.call("GET", "/notifications.json")).status == 200


async def test_and_two_thousand_eight_hundred_and_eighty_a_day() -> None:
    forum = FakeDiscourse(SiteSettings().but(max_user_api_reqs_per_day=30))
    populate(forum)
    await forum.start()
    try:
        async with aiohttp.ClientSession() as session:
            bot = Client(forum, session)
            for _ in range(3):
                for _ in range(10):
                    assert (await bot.call("GET", "/notifications.json")).status == 200
                forum.advance(61)
            refused = await bot.call("GET", "/notifications.json")
        assert refused.status == 429
        assert refused.headers[HEADER_RATE_LIMIT_CODE] == "user_api_key_limiter_1_day"
        assert 86000 < int(refused.headers["Retry-After"]) <= 86400
    finally:
        await forum.stop()


async def test_the_forums_pace_between_posts_is_per_action_without_a_code(
    forum: FakeDiscourse, bot: Client
) -> None:
    topic_id = await call_topic(bot)
    reply = "Merci pour vos réponses, la coordination vous contacte bientôt !"

    too_soon = await bot.post(topic_id=topic_id, raw=reply)
    forum.advance(5)
    later = await bot.post(topic_id=topic_id, raw=reply)

    assert too_soon.status == 429, "rate_limit_create_post: 5 s between two posts"
    assert HEADER_RATE_LIMIT_CODE not in too_soon.headers, "a member's action, not the key"
    body = ErrorBody.model_validate(too_soon.body)
    assert body.error_type == "rate_limit" and body.wait_seconds == 5
    assert later.status == 200


async def test_a_new_account_replies_ten_times_on_its_first_day() -> None:
    forum = FakeDiscourse()
    populate(forum, bot_is_new=True)
    await forum.start()
    try:
        async with aiohttp.ClientSession() as session:
            bot = Client(forum, session)
            topic_id = await call_topic(bot)
            statuses = []
            for turn in range(11):
                forum.advance(30)  # rate_limit_new_user_create_post
                answer = await bot.post(topic_id=topic_id, raw=f"Réponse de bienvenue n° {turn}.")
                statuses.append(answer.status)
            forum.advance(30)  # the refused reply still counted for the pace between posts
            pm = await bot.post(
                title="Accueil",
                raw="Bienvenue dans cet espace d'accueil !",
                archetype="private_message",
                target_recipients="alice",
            )
        assert statuses == [200] * 10 + [429], "Post#limit_posts_per_day: max_replies_in_first_day"
        assert ErrorBody.model_validate(answer.body).wait_seconds > 80000
        assert pm.status == 200, "a new private message is not a reply"
    finally:
        await forum.stop()


async def test_per_address_limits_answer_in_plain_text(forum: FakeDiscourse, bot: Client) -> None:
    forum.inject(429, retry_after=7)

    refused = await bot.call("GET", "/notifications.json")

    assert refused.status == 429 and refused.headers["Content-Type"].startswith("text/plain")
    assert refused.headers["Retry-After"] == "7"
    assert refused.headers[HEADER_RATE_LIMIT_CODE] == "ip_10_secs_limit"
    assert "Slow down, too many requests from this IP address." in refused.body


# ----------------------------------------------------------------- private messages and groups


async def test_trust_level_0_may_not_send_private_messages() -> None:
    forum = FakeDiscourse()
    populate(forum, bot_trust_level=TrustLevel.NEW)
    await forum.start()
    try:
        async with aiohttp.ClientSession() as session:
            bot = Client(forum, session)
            refused = await bot.post(
                title="Accueil",
                raw="Bienvenue dans cet espace d'accueil !",
                archetype="private_message",
                target_recipients="alice",
            )
            account = await bot.call("GET", "/u/tremplin.json")
        assert refused.status == 422
        assert refused.body["errors"] == ["Sorry, you cannot send a personal message to that user."]
        assert account.body["user"]["can_send_private_messages"] is False
    finally:
        await forum.stop()


async def test_a_group_is_a_recipient_only_if_the_bot_may_message_it(
    forum: FakeDiscourse, bot: Client
) -> None:
    pm = {
        "title": "Accueil",
        "raw": "Bienvenue dans cet espace d'accueil !",
        "archetype": "private_message",
    }
    asked = await bot.call("GET", "/groups/mla-coordination/messageable.json")
    refused = await bot.post(**pm, target_recipients="alice,mla-coordination")
    forum.group("mla-coordination").messageable_level = GroupLevel.EVERYONE
    forum.advance(20)
    accepted = await bot.post(**pm, target_recipients="alice,mla-coordination")
    spaced = await bot.post(**pm, target_recipients="alice, mla-coordination")

    assert asked.body == {"messageable": False}, "a new group: nobody but admins"
    assert refused.body["errors"] == [
        "One of the users you are sending this message to could not be found."
    ], "PostsController#create_params took it for a username"
    assert accepted.status == 200
    members = forum.topic(accepted.body["topic_id"]).allowed_group_ids
    assert members == {forum.group("mla-coordination").id}
    assert spaced.status in (422, 429), "split on commas without trimming"


# ----------------------------------------------------------------- approval queue


async def test_a_post_held_for_approval_answers_200_enqueued(
    forum: FakeDiscourse, bot: Client
) -> None:
    forum.add_category(30, "Entraide modérée", require_reply_approval=True)
    topic = forum.create_topic_as(
        "alice", "Qui connaît la MLA ici ?", "Bonjour à toutes et tous !", 30
    )

    held = await bot.post(topic_id=topic.id, raw="La MLA aide les lanceurs d'alerte, bonjour !")

    assert held.status == 200
    queued = QueuedPost.model_validate(held.body)
    assert queued.action == "enqueued" and queued.pending_post is not None
    assert len(forum.posts_in(topic.id)) == 1, "nothing visible until approved"
    forum.approve(queued.pending_post.id)
    assert forum.posts_in(topic.id)[-1].raw.startswith("La MLA aide")


async def test_a_trust_level_0_first_post_by_user_api_key_is_held_and_silenced() -> None:
    forum = FakeDiscourse()
    populate(forum, bot_trust_level=TrustLevel.NEW, bot_is_new=True)
    await forum.start()
    try:
        async with aiohttp.ClientSession() as session:
            bot = Client(forum, session)
            held = await bot.post(title=CALL_TITLE, raw=CALL_RAW, category=CATEGORY)
            forum.advance(600)
            again = await bot.post(title=CALL_TITLE + " (2)", raw=CALL_RAW, category=CATEGORY)
        assert held.body["action"] == "enqueued", "NewPostManager.is_fast_typer?"
        assert forum.user("tremplin").silenced and again.status == 403
    finally:
        await forum.stop()


# ----------------------------------------------------------------- categories


async def test_a_subcategory_by_its_id_alone_is_a_redirection(
    forum: FakeDiscourse, bot: Client
) -> None:
    await call_topic(bot)

    moved = await bot.call("GET", f"/c/{CATEGORY}/l/latest.json")
    listed = await bot.call("GET", moved.headers["Location"])

    assert moved.status == 301, "ListController#set_category"
    assert moved.headers["Location"] == "/c/associations/appels-a-benevoles/17/l/latest.json"
    assert [t["title"] for t in listed.body["topic_list"]["topics"]] == [CALL_TITLE]


# ----------------------------------------------------------------- posts


async def test_short_posts_and_repeats_are_refused(forum: FakeDiscourse, bot: Client) -> None:
    topic_id = await call_topic(bot)
    reply = "Merci Alice, la coordination va te contacter très vite !"
    forum.advance(10)

    short = await bot.post(topic_id=topic_id, raw="!participer 3")
    forum.advance(10)
    first = await bot.post(topic_id=topic_id, raw=reply)
    forum.advance(10)
    similar = await bot.post(topic_id=topic_id, raw=reply)

    assert short.body["errors"] == ["Body is too short (minimum is 20 characters)"]
    assert first.status == 200
    assert similar.body["errors"] == ["Body is too similar to what you recently posted"]


async def test_with_an_admin_key_the_same_post_within_two_minutes_returns_the_first(
    forum: FakeDiscourse, bot: Client
) -> None:
    topic_id = await call_topic(bot)
    forum.advance(10)
    reply = {"topic_id": topic_id, "raw": "Merci, la coordination va vous contacter !"}

    first = await bot.call("POST", "/posts.json", admin_as="tremplin", data=reply)
    again = await bot.call("POST", "/posts.json", admin_as="tremplin", data=reply)

    assert again.body["id"] == first.body["id"]
    assert len(forum.posts_in(topic_id)) == 2


# ----------------------------------------------------------------- webhooks


class HookReceiver:
    """A tiny HTTP endpoint recording webhook deliveries; answers `statuses` in turn."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.statuses = list(statuses or [])
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((dict(request.headers), await request.read()))
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)

    async def __aenter__(self) -> HookReceiver:
        app = web.Application()
        app.router.add_post("/discourse", self.handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}/discourse"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self.runner is not None
        await self.runner.cleanup()


async def test_a_webhook_answered_404_is_not_retried(forum: FakeDiscourse, bot: Client) -> None:
    topic_id = await call_topic(bot)
    async with HookReceiver(statuses=[404, 200]) as receiver:
        forum.add_webhook(receiver.url, secret="s", retries=2, retry_delay=0.01)
        forum.member_posts("alice", topic_id, "Je me propose pour aider !", 1)
        await forum.wait_webhooks(within=5)
        assert len(receiver.received) == 1  # process_webhook_response: 404 and 410 are final


async def test_webhooks_are_signed_and_retried_with_a_new_event_id(
    forum: FakeDiscourse, bot: Client
) -> None:
    secret = "secret-partage-webhook"
    topic_id = await call_topic(bot)
    async with HookReceiver(statuses=[500]) as receiver:
        forum.add_webhook(receiver.url, secret=secret, retries=2, retry_delay=0.01)
        post = forum.member_posts("alice", topic_id, "Je me propose !\n!participer 3", 1)
        await forum.wait_webhooks(within=5)

        (first, body), (second, _) = receiver.received
        assert first[HEADER_EVENT] == "post_created" and first[HEADER_EVENT_TYPE] == "post"
        assert first[HEADER_INSTANCE] == forum.url
        assert first[HEADER_EVENT_ID] != second[HEADER_EVENT_ID]  # a new WebHookEvent
        assert verify_webhook_signature(secret, body, first[HEADER_EVENT_SIGNATURE])
        payload = WebhookPayload.model_validate_json(body)
        assert payload.post is not None and payload.post.raw == post.raw
        assert payload.post.topic_archetype == "regular"
        assert payload.post.reply_to_user is not None
        assert payload.post.reply_to_user.username == "tremplin"
