"""The fake Discourse, driven through pydiscourse (in worker threads) as Tremplin will drive it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from types import SimpleNamespace
from typing import Any, TypeVar

import aiohttp
import pydiscourse.client
import pytest
import pytest_asyncio
import requests
from aiohttp import web
from pydiscourse import DiscourseClient
from pydiscourse.exceptions import (
    DiscourseClientError,
    DiscourseRateLimitedError,
    DiscourseServerError,
)

from bot.connectors.discourse.api import (
    HEADER_EVENT,
    HEADER_EVENT_ID,
    HEADER_EVENT_SIGNATURE,
    CreatedPost,
    ErrorBody,
    GroupMember,
    NotificationsList,
    NotificationType,
    Post,
    TopicListResponse,
    TopicPosts,
    WebhookPayload,
    verify_webhook_signature,
)
from tests.discourse.shapes import (
    HEADER_EVENT_TYPE,
    HEADER_INSTANCE,
    HEADER_RATE_LIMIT_CODE,
    PostsList,
    SessionCurrent,
    SuccessBody,
    TopicView,
    UpdatedPost,
    User,
)
from tests.fakes.discourse import ApiError, FakeDiscourse, PostRejected

ADMIN_KEY = "cle-admin-de-test-0123456789abcdef"
ALICE_USER_KEY = "cle-utilisateur-alice-fedcba9876543210"
CATEGORY_ID = 17
CALL_TIMEOUT = 30.0
HTTP_TIMEOUT = 5.0

CALL_RAW = (
    "Bonjour à toutes et à tous,\n\n"
    "La Maison des Lanceurs d'Alerte cherche une personne bénévole pour maintenir son Nextcloud.\n"
    "Pour vous proposer, répondez ici avec `!participer 3`."
)
CALL_TITLE = "Appel à bénévoles : maintenance du Nextcloud"

T = TypeVar("T")


async def call(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a synchronous pydiscourse call in a worker thread, never on the event loop."""
    return await asyncio.wait_for(asyncio.to_thread(func, *args, **kwargs), CALL_TIMEOUT)


def bot_client(forum: FakeDiscourse, username: str = "tremplin", key: str = ADMIN_KEY) -> Any:
    """pydiscourse with an all-users admin key, acting as `username`."""
    return DiscourseClient(forum.url, api_username=username, api_key=key, timeout=HTTP_TIMEOUT)


class UserApiKeyClient(DiscourseClient):  # type: ignore[misc]
    """pydiscourse sending `User-Api-Key` instead of `Api-Key` + `Api-Username`."""

    def __init__(self, host: str, user_api_key: str, timeout: float) -> None:
        super().__init__(host, api_username=None, api_key=None, timeout=timeout)
        self.user_api_key = user_api_key

    def _request(
        self,
        verb: str,
        path: str,
        params: Any = None,
        files: Any = None,
        data: Any = None,
        json: Any = None,
        override_request_kwargs: dict[str, Any] | None = None,
    ) -> Any:
        headers = {"Accept": "application/json; charset=utf-8", "User-Api-Key": self.user_api_key}
        override = {**(override_request_kwargs or {}), "headers": headers}
        return super()._request(
            verb,
            path,
            params=params,
            files=files,
            data=data,
            json=json,
            override_request_kwargs=override,
        )


def populate(forum: FakeDiscourse) -> None:
    """The CHATONS forum as Tremplin meets it: a bot, members, a coordination group."""
    forum.add_user("tremplin", name="Tremplin (bot de la MLA)")
    forum.add_user("alice", name="Alice Dupont")
    forum.add_user("bob", name="Bob Martin")
    forum.add_user("yann_k", name="Yann Kerbrat", moderator=True)
    forum.add_user("audrey.l", name="Audrey Lemoine")
    forum.add_group("mla-coordination", ["yann_k", "audrey.l"], owners=["yann_k"])
    forum.add_category(CATEGORY_ID, "Entraide")
    forum.add_admin_key(ADMIN_KEY)
    forum.add_user_api_key(ALICE_USER_KEY, "alice")


async def started(**settings: Any) -> FakeDiscourse:
    """A populated fake forum, serving."""
    fake = FakeDiscourse(**settings)
    populate(fake)
    await fake.start()
    return fake


@pytest_asyncio.fixture
async def forum() -> AsyncIterator[FakeDiscourse]:
    fake = await started()
    try:
        yield fake
    finally:
        await fake.stop()


async def post_call(forum: FakeDiscourse) -> CreatedPost:
    """The bot opens its call for volunteers through pydiscourse."""
    answer = await call(
        bot_client(forum).create_post, CALL_RAW, category_id=CATEGORY_ID, title=CALL_TITLE
    )
    return CreatedPost.model_validate(answer)


async def test_create_topic_then_reply(forum: FakeDiscourse) -> None:
    client = bot_client(forum)
    created = await post_call(forum)
    assert created.post_number == 1
    assert created.username == "tremplin"
    assert created.yours is True

    reply = CreatedPost.model_validate(
        await call(
            client.create_post,
            "Précision : les sauvegardes sont faites avec Borg, chaque nuit.",
            topic_id=created.topic_id,
            reply_to_post_number=1,
        )
    )
    assert (reply.topic_id, reply.post_number, reply.reply_to_post_number) == (
        created.topic_id,
        2,
        1,
    )

    view = TopicView.model_validate(await call(client.topic, "-", created.topic_id))
    assert view.title == CALL_TITLE
    assert view.category_id == CATEGORY_ID
    assert view.post_stream.stream == [created.id, reply.id]
    assert [p.raw for p in view.post_stream.posts] == [None, None], "topic reads omit raw"

    with_raw = TopicView.model_validate(
        await call(client.topic, "-", created.topic_id, include_raw=1)
    )
    assert with_raw.post_stream.posts[0].raw == CALL_RAW

    single = Post.model_validate(await call(client.post_by_id, created.id))
    assert single.raw == CALL_RAW

    some = TopicPosts.model_validate(await call(client.posts, created.topic_id, [reply.id]))
    assert [p.id for p in some.post_stream.posts] == [reply.id]


async def test_edit_and_latest_posts(forum: FakeDiscourse) -> None:
    client = bot_client(forum)
    created = await post_call(forum)
    edited = UpdatedPost.model_validate(
        await call(client.update_post, created.id, CALL_RAW + "\nComptez deux heures par mois.")
    )
    assert edited.post.version == 2 and edited.post.raw is not None
    assert forum.post(created.id).raw.endswith("deux heures par mois.")
    with pytest.raises(DiscourseClientError) as refused:
        await call(client.update_post, created.id, "trop court")
    assert refused.value.response.status_code == 422
    with pytest.raises(DiscourseClientError) as not_mine:
        await call(bot_client(forum, "bob").update_post, created.id, CALL_RAW + " (Bob)")
    assert not_mine.value.response.status_code == 403

    forum.create_pm_as("alice", "Question privée", "Une question pour la coordination.", ["bob"])
    reply = forum.member_posts("bob", created.topic_id, "Je relaie l'appel dans mon collectif.")
    latest = PostsList.model_validate(await call(client.latest_posts))
    assert [p.id for p in latest.latest_posts] == [reply.id, created.id], "no PM, newest first"
    assert latest.latest_posts[0].topic_title == CALL_TITLE
    assert latest.latest_posts[0].raw == reply.raw
    older = PostsList.model_validate(await call(client.latest_posts, before=reply.id))
    assert [p.id for p in older.latest_posts] == [created.id]


async def test_private_message_to_user_and_group(forum: FakeDiscourse) -> None:
    answer = await call(
        bot_client(forum).create_post,
        "Alice se propose pour la maintenance du Nextcloud : pouvez-vous la contacter ?",
        title="Candidature d'Alice (Nextcloud)",
        archetype="private_message",
        target_recipients="alice,mla-coordination",
    )
    created = CreatedPost.model_validate(answer)
    topic = forum.topic(created.topic_id)
    assert topic.is_private_message

    for username in ("alice", "yann_k", "audrey.l"):
        kinds = [n.notification_type for n in forum.notifications_for(username)]
        assert kinds == [NotificationType.PRIVATE_MESSAGE], username
    assert forum.notifications_for("bob") == []

    view = TopicView.model_validate(await call(bot_client(forum, "alice").topic, "-", topic.id))
    assert view.is_private_message and view.details is not None
    assert {u.username for u in view.details.allowed_users} == {"tremplin", "alice"}
    assert [g.name for g in view.details.allowed_groups] == ["mla-coordination"]

    with pytest.raises(DiscourseClientError) as refused:
        await call(bot_client(forum, "bob").topic, "-", topic.id)
    assert refused.value.response.status_code == 403


async def test_private_message_recipients_are_not_trimmed(forum: FakeDiscourse) -> None:
    with pytest.raises(DiscourseClientError) as refused:
        await call(
            bot_client(forum).create_post,
            "Alice se propose pour la maintenance du Nextcloud.",
            title="Candidature d'Alice",
            archetype="private_message",
            target_recipients="mla-coordination, alice",
        )
    assert refused.value.response.status_code == 422
    body = ErrorBody.model_validate(refused.value.response.json())
    assert body.errors == ["One of the users you are sending this message to could not be found."]
    assert forum.topics == []


async def test_short_post_is_refused(forum: FakeDiscourse) -> None:
    created = await post_call(forum)
    with pytest.raises(DiscourseClientError) as refused:
        await call(
            bot_client(forum, "alice").create_post, "!participer 3", topic_id=created.topic_id
        )
    assert refused.value.response.status_code == 422
    assert str(refused.value) == "Body is too short (minimum is 20 characters)"
    body = ErrorBody.model_validate(refused.value.response.json())
    assert body.action == "create_post"
    assert len(forum.posts) == 1


async def test_same_post_within_two_minutes_returns_the_first(forum: FakeDiscourse) -> None:
    created = await post_call(forum)
    reply = "Merci Alice, la coordination va te contacter très vite !"
    client = bot_client(forum)
    first = await call(client.create_post, reply, topic_id=created.topic_id)
    again = await call(client.create_post, reply, topic_id=created.topic_id)
    assert again["id"] == first["id"]
    assert len(forum.posts) == 2

    forum.advance(121)  # the memo is gone, but the bot is not staff: "too similar" for 5 min
    with pytest.raises(DiscourseClientError, match="too similar"):
        await call(client.create_post, reply, topic_id=created.topic_id)

    forum.advance(300)
    third = await call(client.create_post, reply, topic_id=created.topic_id)
    assert third["id"] != first["id"]
    assert len(forum.posts) == 3


async def test_rate_limit_answers_429_after_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    forum = await started(rate_limit_admin=3)
    try:
        sleeps: list[float] = []
        monkeypatch.setattr(pydiscourse.client, "time", SimpleNamespace(sleep=sleeps.append))
        client = bot_client(forum)
        for _ in range(3):
            await call(client.user, "alice")
        with pytest.raises(DiscourseRateLimitedError):
            await call(client.user, "alice")
        assert len(sleeps) == 3 and all(58 <= s <= 61 for s in sleeps), sleeps
        assert [r.status for r in forum.requests[-4:]] == [429, 429, 429, 429]

        async with (
            aiohttp.ClientSession() as session,
            session.get(
                f"{forum.url}/session/current.json",
                headers={"Api-Key": ADMIN_KEY, "Api-Username": "tremplin"},
            ) as response,
        ):
            assert response.status == 429
            assert 57 <= int(response.headers["Retry-After"]) <= 60
            assert response.headers[HEADER_RATE_LIMIT_CODE] == "admin_api_key_rate_limit"
            error = ErrorBody.model_validate(await response.json())
        assert error.error_type == "rate_limit"
        assert error.wait_seconds == int(response.headers["Retry-After"])

        forum.advance(60)
        assert User.model_validate(await call(client.user, "alice")).username == "alice"
    finally:
        await forum.stop()


async def test_pydiscourse_retries_an_injected_429(
    forum: FakeDiscourse, monkeypatch: pytest.MonkeyPatch
) -> None:
    sleeps: list[float] = []
    monkeypatch.setattr(pydiscourse.client, "time", SimpleNamespace(sleep=sleeps.append))
    forum.inject(429, 1, path_prefix="/posts", retry_after=2)
    created = await post_call(forum)
    assert sleeps == [3], "pydiscourse waits wait_seconds + 1 then retries"
    assert [r.status for r in forum.requests_to("/posts")] == [429, 200]
    assert forum.post(created.id).raw == CALL_RAW


async def test_injected_502_creates_nothing(forum: FakeDiscourse) -> None:
    forum.inject(502, 1, path_prefix="/posts", method="POST")
    with pytest.raises(DiscourseServerError) as failed:
        await post_call(forum)
    assert failed.value.response.status_code == 502
    assert "nginx" in failed.value.response.text
    assert forum.posts == []
    assert forum.notifications_for("alice") == []

    await post_call(forum)
    assert len(forum.posts) == 1


async def test_slow_forum_still_applies_a_timed_out_post(forum: FakeDiscourse) -> None:
    forum.inject_delay(1.0, 1, path_prefix="/posts", method="POST")
    impatient = DiscourseClient(forum.url, "tremplin", ADMIN_KEY, timeout=0.3)
    with pytest.raises(requests.exceptions.ReadTimeout):
        await call(impatient.create_post, CALL_RAW, category_id=CATEGORY_ID, title=CALL_TITLE)
    # The forum applies the POST the client gave up on, once the delay is over.
    await forum.wait_for(lambda: len(forum.posts) == 1, within=5)

    retried = await post_call(forum)
    assert retried.id == forum.posts[0].id, "the identical retry gets the first post back"
    assert len(forum.posts) == 1


async def test_member_activity_notifies_the_bot(forum: FakeDiscourse) -> None:
    created = await post_call(forum)
    topic_id = created.topic_id
    forum.member_posts("alice", topic_id, "Je peux aider sur les sauvegardes.\n!participer 3", 1)
    forum.member_posts("bob", topic_id, "Bonne initiative, je partage autour de moi.")
    other = forum.create_topic_as(
        "yann_k",
        "Point mensuel de la coordination",
        "Ordre du jour de la réunion mensuelle de la coordination.",
    )
    forum.member_posts("yann_k", other.id, "@tremplin peux-tu relayer l'appel Nextcloud ?")

    client = bot_client(forum)
    listed = NotificationsList.model_validate(await call(client._get, "/notifications.json"))
    kinds = [(n.notification_type, n.username, n.topic_id) for n in listed.notifications]
    assert kinds == [
        (NotificationType.MENTIONED, "yann_k", other.id),
        (NotificationType.POSTED, "bob", topic_id),
        (NotificationType.REPLIED, "alice", topic_id),
    ], "newest first"
    replied = listed.notifications[-1]
    assert replied.post_number == 2 and replied.post_id is not None
    assert forum.post(replied.post_id).raw.endswith("!participer 3")

    done = await call(client._put, "/notifications/mark-read.json", id=replied.id)
    assert SuccessBody.model_validate(done).success == "OK"
    unread = NotificationsList.model_validate(
        await call(client._get, "/notifications.json", filter="unread")
    )
    assert replied.id not in {n.id for n in unread.notifications}


async def test_quotes_and_private_replies_notify_the_bot(forum: FakeDiscourse) -> None:
    created = await post_call(forum)
    quote = (
        f'[quote="tremplin, post:1, topic:{created.topic_id}"]\n'
        "Pour vous proposer, répondez ici\n[/quote]\n"
        "C'est noté, je me propose aussi. @bob tu viens ?"
    )
    forum.member_posts("alice", created.topic_id, quote)
    pm = forum.create_pm_as(
        "yann_k", "Suivi des candidatures", "Bonjour, où en sont les candidatures ?", ["tremplin"]
    )
    forum.member_posts("yann_k", pm.id, "Relance : peux-tu me donner la liste ?")
    with pytest.raises(ApiError) as outsider:
        forum.member_posts("bob", pm.id, "Je lis un message qui ne m'est pas adressé.")
    assert outsider.value.status == 403
    with pytest.raises(PostRejected, match="too short"):
        forum.member_posts("alice", created.topic_id, "!participer 3")

    kinds = [(n.notification_type, n.topic_id) for n in forum.notifications_for("tremplin")]
    assert kinds == [
        (NotificationType.QUOTED, created.topic_id),
        (NotificationType.PRIVATE_MESSAGE, pm.id),
        (NotificationType.PRIVATE_MESSAGE, pm.id),
    ]
    assert [n.notification_type for n in forum.notifications_for("bob")] == [
        NotificationType.MENTIONED
    ]
    assert '<aside class="quote"' in forum.posts_in(created.topic_id)[-1].cooked


async def test_user_api_key_acts_as_its_user_only(forum: FakeDiscourse) -> None:
    alice = UserApiKeyClient(forum.url, ALICE_USER_KEY, timeout=HTTP_TIMEOUT)
    session = SessionCurrent.model_validate(await call(alice._get, "/session/current.json"))
    assert session.current_user.username == "alice"
    headers = forum.requests[-1].headers
    assert headers["User-Api-Key"] == ALICE_USER_KEY
    assert "Api-Key" not in headers and "Api-Username" not in headers
    assert forum.requests[-1].auth == "user"

    stranger = UserApiKeyClient(forum.url, "cle-inconnue", timeout=HTTP_TIMEOUT)
    with pytest.raises(DiscourseClientError) as refused:
        await call(stranger._get, "/session/current.json")
    assert refused.value.response.status_code == 403


async def test_user_api_key_budget_is_per_key() -> None:
    forum = await started(rate_limit_user=2)
    try:
        alice = UserApiKeyClient(forum.url, ALICE_USER_KEY, timeout=HTTP_TIMEOUT)
        for _ in range(2):
            await call(alice._get, "/session/current.json")
        async with (
            aiohttp.ClientSession() as session,
            session.get(
                f"{forum.url}/session/current.json", headers={"User-Api-Key": ALICE_USER_KEY}
            ) as response,
        ):
            assert response.status == 429
            assert response.headers[HEADER_RATE_LIMIT_CODE] == "user_api_key_limiter_60_secs"
        await call(bot_client(forum).user, "alice")  # the admin bucket is separate
    finally:
        await forum.stop()


async def test_admin_key_auth_is_checked(forum: FakeDiscourse) -> None:
    await call(bot_client(forum).user, "bob")
    sent = forum.requests[-1]
    assert (sent.headers["Api-Key"], sent.headers["Api-Username"]) == (ADMIN_KEY, "tremplin")
    assert sent.headers["Accept"] == "application/json; charset=utf-8"

    for client in (bot_client(forum, key="mauvaise-cle"), bot_client(forum, "personne")):
        with pytest.raises(DiscourseClientError, match="API username or key is invalid") as err:
            await call(client.user, "bob")
        assert err.value.response.status_code == 403


async def test_bot_lists_topics_and_members(forum: FakeDiscourse) -> None:
    created = await post_call(forum)
    client = bot_client(forum)
    listed = TopicListResponse.model_validate(await call(client.category_topics, CATEGORY_ID))
    assert [t.id for t in listed.topic_list.topics] == [created.topic_id]
    assert forum.requests_to("/c/")[0].status == 301, "pydiscourse follows Discourse's redirect"
    latest = TopicListResponse.model_validate(await call(client.latest_topics))
    assert latest.topic_list.topics[0].title == CALL_TITLE

    members = [
        GroupMember.model_validate(m) for m in await call(client.group_members, "mla-coordination")
    ]
    assert [m.username for m in members] == ["yann_k", "audrey.l"]
    user = User.model_validate(await call(client.user, "yann_k"))
    assert user.moderator and [g.name for g in user.groups] == ["mla-coordination"]


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


async def test_webhook_delivers_signed_post_created(forum: FakeDiscourse) -> None:
    secret = "secret-partage-webhook"
    created = await post_call(forum)
    async with HookReceiver() as receiver:
        forum.add_webhook(receiver.url, secret=secret)
        post = forum.member_posts("alice", created.topic_id, "Je me propose !\n!participer 3", 1)
        await forum.wait_webhooks(within=5)

        [(headers, body)] = receiver.received
        assert headers[HEADER_EVENT] == "post_created"
        assert headers[HEADER_EVENT_TYPE] == "post"
        assert headers[HEADER_INSTANCE] == forum.url
        assert int(headers[HEADER_EVENT_ID]) >= 1
        assert verify_webhook_signature(secret, body, headers[HEADER_EVENT_SIGNATURE])
        assert not verify_webhook_signature("autre-secret", body, headers[HEADER_EVENT_SIGNATURE])
        payload = WebhookPayload.model_validate_json(body)
        assert payload.post is not None
        assert (payload.post.id, payload.post.raw) == (post.id, post.raw)
        assert payload.post.topic_title == CALL_TITLE
        assert payload.post.topic_archetype == "regular"
        assert payload.post.reply_to_post_number == 1

        [ping] = await forum.ping_webhook()
        assert ping.status == 200
        assert WebhookPayload.model_validate_json(receiver.received[-1][1]).ping == "OK"


async def test_webhook_failure_is_retried_with_the_same_event_id(forum: FakeDiscourse) -> None:
    created = await post_call(forum)
    async with HookReceiver(statuses=[500]) as receiver:
        forum.add_webhook(receiver.url, events=("post",), retries=2, retry_delay=0.01)
        forum.member_posts("bob", created.topic_id, "Je relaie l'appel dans mon collectif.")
        await forum.wait_webhooks(within=5)
        event_ids = [headers[HEADER_EVENT_ID] for headers, _body in receiver.received]
        assert len(event_ids) == 2 and event_ids[0] == event_ids[1]
        assert [d.status for d in forum.webhook_deliveries] == [500, 200]
