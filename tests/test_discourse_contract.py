"""Contract: our fixtures, Discourse's recorded responses and the fake's answers fit our models."""

# Our fixtures (tests/fixtures/discourse/) are small hand-written answers with our own content;
# their shapes follow responses recorded from real Discourse instances, which live in
# ../shared/discourse-fixtures (outside the repository). When that folder is present, its files
# for the endpoints Tremplin reads are parsed too, and the fields our models require are
# checked against Discourse's own OpenAPI description.

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from pydantic import BaseModel, ValidationError

from bot.connectors.discourse.api import (
    ARCHETYPE_PRIVATE_MESSAGE,
    Account,
    AccountResponse,
    CreatedPost,
    ErrorBody,
    GroupMember,
    GroupMembers,
    GroupMessageable,
    Notification,
    NotificationsList,
    NotificationType,
    Post,
    QueuedPost,
    TopicListItem,
    TopicListResponse,
    TopicPosts,
    WebhookPayload,
)
from tests.discourse.shapes import (
    PostsList,
    SessionCurrent,
    SuccessBody,
    TopicView,
    UpdatedPost,
    User,
    UserResponse,
)
from tests.fakes.discourse import FakeDiscourse, GroupLevel

FIXTURES = Path(__file__).parent / "fixtures" / "discourse"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "discourse-fixtures"
RECORDED = "discourse_api/spec/fixtures"
DOCS = "discourse_api_docs/responses"
OPENAPI = SHARED / "discourse_api_docs" / "openapi.json"

OUR_FIXTURES: dict[str, type[BaseModel]] = {
    "post.json": Post,  # GET /posts/{id}.json
    "created_post.json": CreatedPost,  # POST /posts.json (new topic)
    "created_pm.json": CreatedPost,  # POST /posts.json (archetype=private_message)
    "enqueued_post.json": QueuedPost,  # POST /posts.json, held for approval
    "updated_post.json": UpdatedPost,  # PUT /posts/{id}.json
    "topic_view.json": TopicView,  # GET /t/{id}.json
    "topic_posts.json": TopicPosts,  # GET /t/{id}/posts.json?post_ids[]=…&include_raw=1
    "latest_posts.json": PostsList,  # GET /posts.json
    "notifications.json": NotificationsList,  # GET /notifications.json
    "mark_read.json": SuccessBody,  # PUT /notifications/mark-read.json
    "session_current.json": SessionCurrent,  # GET /session/current.json
    "user.json": UserResponse,  # GET /u/{username}.json
    "group_members.json": GroupMembers,  # GET /groups/{name}/members.json
    "group_messageable.json": GroupMessageable,  # GET /groups/{name}/messageable.json
    "latest_topics.json": TopicListResponse,  # GET /latest.json, /c/{slug}/{id}.json
    "error_rate_limit.json": ErrorBody,  # 429
    "error_post_too_short.json": ErrorBody,  # 422 from POST /posts.json
    "error_pm_unknown_recipient.json": ErrorBody,  # 422 from POST /posts.json
    "error_invalid_api_key.json": ErrorBody,  # 403
    "webhook_post_created.json": WebhookPayload,  # webhook body, event post_created
}

SHARED_FIXTURES: dict[str, type[BaseModel]] = {
    f"{RECORDED}/post.json": Post,
    f"{RECORDED}/topic.json": TopicView,
    f"{RECORDED}/posts_latest.json": PostsList,
    f"{RECORDED}/posts_before.json": PostsList,
    f"{RECORDED}/create_topic_with_tags.json": CreatedPost,
    f"{RECORDED}/user.json": UserResponse,
    f"{RECORDED}/members_0.json": GroupMembers,
    f"{RECORDED}/members_1.json": GroupMembers,
    f"{RECORDED}/members_2.json": GroupMembers,
    f"{RECORDED}/latest.json": TopicListResponse,
    f"{RECORDED}/new.json": TopicListResponse,
    f"{RECORDED}/top.json": TopicListResponse,
    f"{RECORDED}/category_topics.json": TopicListResponse,
    f"{RECORDED}/category_latest_topics.json": TopicListResponse,
    f"{RECORDED}/private_messages.json": TopicListResponse,
    f"{RECORDED}/topics_created_by.json": TopicListResponse,
    f"{RECORDED}/notification_success.json": SuccessBody,
    f"{DOCS}/posts/get_post_response.json": Post,
    f"{DOCS}/posts/update_post_response.json": UpdatedPost,
    f"{DOCS}/topics/topic_response.json": TopicView,
    f"{DOCS}/topics/new_topic_response.json": CreatedPost,
    f"{DOCS}/topics/latest_topics_response.json": TopicListResponse,
    f"{DOCS}/topics/top.json": TopicListResponse,
    f"{DOCS}/topics/private-messages.json": TopicListResponse,
    f"{DOCS}/topics/private-messages-sent.json": TopicListResponse,
    f"{DOCS}/notifications/get.json": NotificationsList,
    f"{DOCS}/users/get_user_response.json": UserResponse,
    f"{DOCS}/groups/group_members_response.json": GroupMembers,
}

# Recorded files for endpoints we read, in shapes real forums no longer send.
SHARED_SKIPPED: dict[str, str] = {
    f"{RECORDED}/topic_posts.json": "its `raw` is a rich-text array from an editor plugin, "
    "not Discourse's markdown string",
    f"{RECORDED}/notifications.json": "pre-2015 shape: a bare array of notifications "
    "without ids (today: {notifications: [...]} with ids)",
}

# (model, path, method, where the model's object sits in the 200 response schema)
OPENAPI_OBJECTS: list[tuple[type[BaseModel], str, str, tuple[str, ...]]] = [
    (Post, "/posts/{id}.json", "get", ()),
    (CreatedPost, "/posts.json", "post", ()),
    (PostsList, "/posts.json", "get", ()),
    (Post, "/posts.json", "get", ("latest_posts", "[]")),
    (TopicView, "/t/{id}.json", "get", ()),
    (Post, "/t/{id}.json", "get", ("post_stream", "posts", "[]")),
    (TopicPosts, "/t/{id}/posts.json", "get", ()),
    (Post, "/t/{id}/posts.json", "get", ("post_stream", "posts", "[]")),
    (NotificationsList, "/notifications.json", "get", ()),
    (Notification, "/notifications.json", "get", ("notifications", "[]")),
    (SuccessBody, "/notifications/mark-read.json", "put", ()),
    (UserResponse, "/u/{username}.json", "get", ()),
    (User, "/u/{username}.json", "get", ("user",)),
    (AccountResponse, "/u/{username}.json", "get", ()),
    (Account, "/u/{username}.json", "get", ("user",)),
    (GroupMembers, "/groups/{name}/members.json", "get", ()),
    (GroupMember, "/groups/{name}/members.json", "get", ("members", "[]")),
    (TopicListResponse, "/latest.json", "get", ()),
    (TopicListItem, "/latest.json", "get", ("topic_list", "topics", "[]")),
]


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def shared_file(relative: str) -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"shared Discourse fixtures not found at {SHARED}")
    path = SHARED / relative
    if not path.is_file():
        pytest.skip(f"{relative} is missing from {SHARED}")
    return path


def test_every_fixture_has_a_model() -> None:
    assert sorted(p.name for p in FIXTURES.glob("*.json")) == sorted(OUR_FIXTURES)


@pytest.mark.parametrize(("name", "model"), sorted(OUR_FIXTURES.items()))
def test_our_fixture_parses(name: str, model: type[BaseModel]) -> None:
    model.model_validate(load(FIXTURES / name))


def test_our_fixtures_say_what_tremplin_relies_on() -> None:
    view = TopicView.model_validate(load(FIXTURES / "topic_view.json"))
    assert all(post.raw is None for post in view.post_stream.posts), "topic reads omit raw"
    assert Post.model_validate(load(FIXTURES / "post.json")).raw
    created = CreatedPost.model_validate(load(FIXTURES / "created_post.json"))
    assert created.raw is None and created.yours
    notifications = NotificationsList.model_validate(load(FIXTURES / "notifications.json"))
    kinds = {n.notification_type for n in notifications.notifications}
    assert NotificationType.MENTIONED in kinds and NotificationType.PRIVATE_MESSAGE in kinds
    assert ErrorBody.model_validate(load(FIXTURES / "error_rate_limit.json")).wait_seconds == 37
    queued = QueuedPost.model_validate(load(FIXTURES / "enqueued_post.json"))
    assert queued.action == "enqueued" and queued.pending_post is not None
    account = AccountResponse.model_validate(load(FIXTURES / "user.json")).user
    assert account.trust_level == 3 and account.can_send_private_messages is True
    hook = WebhookPayload.model_validate(load(FIXTURES / "webhook_post_created.json"))
    assert hook.post is not None and hook.post.raw and hook.post.topic_archetype == "regular"


@pytest.mark.parametrize(("relative", "model"), sorted(SHARED_FIXTURES.items()))
def test_recorded_response_parses(relative: str, model: type[BaseModel]) -> None:
    model.model_validate(load(shared_file(relative)))


@pytest.mark.parametrize("relative", sorted(SHARED_SKIPPED))
def test_outdated_recorded_shapes_are_really_refused(relative: str) -> None:
    """Kept out of the list above on purpose; this fails if the models start accepting them."""
    data = load(shared_file(relative))
    model = TopicPosts if relative.endswith("topic_posts.json") else NotificationsList
    with pytest.raises(ValidationError):
        model.model_validate(data)


def _required_fields(model: type[BaseModel]) -> set[str]:
    return {name for name, info in model.model_fields.items() if info.is_required()}


def _schema_at(spec: dict[str, Any], path: str, method: str, where: tuple[str, ...]) -> Any:
    schema = spec["paths"][path][method]["responses"]["200"]["content"]["application/json"]
    node = schema["schema"]
    for step in where:
        node = node["items"] if step == "[]" else node["properties"][step]
    return node


@pytest.mark.parametrize(
    ("model", "path", "method", "where"),
    OPENAPI_OBJECTS,
    ids=[f"{m.__name__}@{method}:{path}:{'.'.join(w)}" for m, path, method, w in OPENAPI_OBJECTS],
)
def test_required_fields_are_in_discourse_openapi(
    model: type[BaseModel], path: str, method: str, where: tuple[str, ...]
) -> None:
    spec = load(shared_file("discourse_api_docs/openapi.json"))
    declared = set(_schema_at(spec, path, method, where).get("properties", {}))
    assert _required_fields(model) <= declared


# ---------------------------------------------------------------------------- the fake


@dataclass
class Answer:
    """One answer of the fake forum."""

    status: int
    body: Any


ADMIN_KEY = "cle-admin-contrat"
RAW_CALL = (
    "La Maison des Lanceurs d'Alerte cherche une personne bénévole pour son Nextcloud.\n"
    "Répondez ici avec `!participer 3`."
)
RAW_REPLY = "Bonsoir @tremplin, je peux aider sur les sauvegardes.\n!participer 3"


async def _fetch(
    session: aiohttp.ClientSession,
    forum: FakeDiscourse,
    method: str,
    path: str,
    *,
    as_user: str = "tremplin",
    key: str = ADMIN_KEY,
    **kwargs: Any,
) -> Answer:
    headers = {"Api-Key": key, "Api-Username": as_user, "Accept": "application/json"}
    async with session.request(
        method, forum.url + path, headers=headers, allow_redirects=False, **kwargs
    ) as response:
        body = await response.json() if response.content_type == "application/json" else None
        return Answer(response.status, body)


async def _exercise(
    forum: FakeDiscourse, session: aiohttp.ClientSession, moderated_topic: int
) -> dict[str, Answer]:
    """Drive every endpoint Tremplin calls; the answers by fixture-like name. The forum keeps
    its limits: time passes between two posts of one account, as it does for people."""
    answers: dict[str, Answer] = {}
    title = "Appel à bénévoles : maintenance du Nextcloud"
    answers["created_post"] = created = await _fetch(
        session,
        forum,
        "POST",
        "/posts.json",
        data={"title": title, "raw": RAW_CALL, "category": 17},
    )
    topic_id = created.body["topic_id"]
    answers["reply"] = replied = await _fetch(
        session,
        forum,
        "POST",
        "/posts.json",
        as_user="camille",
        json={"topic_id": topic_id, "raw": RAW_REPLY, "reply_to_post_number": 1},
    )
    forum.advance(30)
    pm = {
        "title": "Candidature de Camille",
        "raw": "Camille se propose pour le Nextcloud : pouvez-vous la contacter ?",
        "archetype": ARCHETYPE_PRIVATE_MESSAGE,
        "target_recipients": "camille,mla-coordination",
    }
    answers["created_pm"] = await _fetch(session, forum, "POST", "/posts.json", data=pm)
    answers["rate_limited"] = await _fetch(  # too soon after the PM: the pace between posts
        session,
        forum,
        "POST",
        "/posts.json",
        data={"topic_id": topic_id, "raw": "Merci Camille, la coordination vous écrit."},
    )
    answers["enqueued"] = await _fetch(
        session,
        forum,
        "POST",
        "/posts.json",
        as_user="camille",
        data={"topic_id": moderated_topic, "raw": "Je peux aider pour les sauvegardes."},
    )
    reply_id = replied.body["id"]
    answers["post"] = await _fetch(session, forum, "GET", f"/posts/{reply_id}.json")
    query = {"post_number": "1", "asc": "true", "include_raw": "true"}
    answers["topic_posts"] = await _fetch(
        session, forum, "GET", f"/t/{topic_id}/posts.json", params=query
    )
    answers["notifications"] = await _fetch(session, forum, "GET", "/notifications.json")
    answers["user"] = await _fetch(session, forum, "GET", "/u/tremplin.json")
    members_path = "/groups/mla-coordination/members.json"
    answers["group_members"] = await _fetch(session, forum, "GET", members_path)
    messageable_path = "/groups/mla-coordination/messageable.json"
    answers["group_messageable"] = await _fetch(session, forum, "GET", messageable_path)
    answers["category_moved"] = await _fetch(session, forum, "GET", "/c/17/l/latest.json")
    answers["category_topics"] = await _fetch(
        session, forum, "GET", "/c/associations/entraide/17/l/latest.json"
    )
    pm_path = "/topics/private-messages/tremplin.json"
    answers["private_messages"] = await _fetch(session, forum, "GET", pm_path)
    forum.advance(30)
    answers["error_post_too_short"] = await _fetch(
        session, forum, "POST", "/posts.json", data={"topic_id": topic_id, "raw": "!participer 3"}
    )
    unknown = {**pm, "target_recipients": "mla-coordination, camille"}
    answers["error_pm_unknown_recipient"] = await _fetch(
        session, forum, "POST", "/posts.json", data=unknown
    )
    answers["error_invalid_api_key"] = await _fetch(
        session, forum, "GET", "/u/tremplin.json", key="mauvaise-cle"
    )
    answers["error_not_found"] = await _fetch(session, forum, "GET", "/t/999999/posts.json")
    await forum.wait_webhooks(within=5)
    bodies = [json.loads(d.body) for d in forum.webhook_deliveries if d.event == "post_created"]
    [reply_hook] = [b for b in bodies if b["post"]["id"] == reply_id]
    answers["webhook_post_created"] = Answer(200, reply_hook)
    return answers


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def fake_answers() -> AsyncIterator[dict[str, Answer]]:
    forum = FakeDiscourse()
    forum.add_user("tremplin", name="Tremplin (bot de la MLA)")
    forum.add_user("camille", name="Camille Martin")
    forum.add_user("yann_k", name="Yann Kerbrat", moderator=True)
    forum.add_group(
        "mla-coordination",
        ["yann_k"],
        owners=["yann_k"],
        messageable_level=GroupLevel.EVERYONE,
    )
    forum.add_category(5, "Associations")
    forum.add_category(17, "Entraide", parent=5)
    forum.add_category(30, "Entraide modérée", require_reply_approval=True)
    forum.add_admin_key(ADMIN_KEY)
    await forum.start()
    try:
        # Deliveries go to the fake itself (a 404): the fake records what it sent.
        forum.add_webhook(forum.url + "/webhook-sink", secret="contrat", events=("post",))
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            moderated = forum.create_topic_as(
                "yann_k", "Entraide modérée : vos questions", "Posez vos questions ici.", 30
            )
            yield await _exercise(forum, session, moderated.id)
    finally:
        await forum.stop()


FAKE_MODELS: dict[str, tuple[int, type[BaseModel], str | None]] = {
    # answer name: (status, model, our fixture with the same shape)
    "created_post": (200, CreatedPost, "created_post.json"),
    "reply": (200, CreatedPost, "created_post.json"),
    "created_pm": (200, CreatedPost, "created_pm.json"),
    "enqueued": (200, QueuedPost, "enqueued_post.json"),
    "post": (200, Post, "post.json"),
    "topic_posts": (200, TopicPosts, "topic_posts.json"),
    "notifications": (200, NotificationsList, "notifications.json"),
    "user": (200, AccountResponse, "user.json"),
    "group_members": (200, GroupMembers, "group_members.json"),
    "group_messageable": (200, GroupMessageable, "group_messageable.json"),
    "category_topics": (200, TopicListResponse, "latest_topics.json"),
    "private_messages": (200, TopicListResponse, None),
    "error_post_too_short": (422, ErrorBody, "error_post_too_short.json"),
    "error_pm_unknown_recipient": (422, ErrorBody, "error_pm_unknown_recipient.json"),
    "error_invalid_api_key": (403, ErrorBody, "error_invalid_api_key.json"),
    "error_not_found": (404, ErrorBody, None),
    "rate_limited": (429, ErrorBody, "error_rate_limit.json"),
    "webhook_post_created": (200, WebhookPayload, "webhook_post_created.json"),
}
# Answers without a body to model: the category asked by its id alone (a 301).
FAKE_REDIRECTS = ("category_moved",)


def missing_keys(expected: Any, actual: Any, where: str = "") -> list[str]:
    """Keys present in `expected` (a fixture) but absent from `actual`, recursively."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        missing = [f"{where}.{key}" for key in expected if key not in actual]
        for key in expected.keys() & actual.keys():
            missing += missing_keys(expected[key], actual[key], f"{where}.{key}")
        return missing
    if isinstance(expected, list) and isinstance(actual, list) and expected and actual:
        return missing_keys(expected[0], actual[0], f"{where}[0]")
    return []


def test_the_fake_serves_every_answer(fake_answers: dict[str, Answer]) -> None:
    assert sorted(fake_answers) == sorted([*FAKE_MODELS, *FAKE_REDIRECTS])


@pytest.mark.parametrize("name", sorted(FAKE_MODELS))
def test_fake_answer_parses(fake_answers: dict[str, Answer], name: str) -> None:
    status, model, _fixture = FAKE_MODELS[name]
    answer = fake_answers[name]
    assert answer.status == status, answer.body
    model.model_validate(answer.body)


@pytest.mark.parametrize("name", sorted(n for n, spec in FAKE_MODELS.items() if spec[2]))
def test_fake_answer_has_the_keys_of_our_fixture(
    fake_answers: dict[str, Answer], name: str
) -> None:
    _status, _model, fixture = FAKE_MODELS[name]
    assert fixture is not None
    assert missing_keys(load(FIXTURES / fixture), fake_answers[name].body) == []


def test_fake_answers_keep_discourse_semantics(fake_answers: dict[str, Answer]) -> None:
    posts = TopicPosts.model_validate(fake_answers["topic_posts"].body)
    assert [p.post_number for p in posts.post_stream.posts] == [2], "strictly after post 1"
    assert all(post.raw for post in posts.post_stream.posts), "include_raw adds raw"
    assert Post.model_validate(fake_answers["post"].body).raw
    notes = NotificationsList.model_validate(fake_answers["notifications"].body)
    assert [n.notification_type for n in notes.notifications] == [NotificationType.MENTIONED]
    limited = ErrorBody.model_validate(fake_answers["rate_limited"].body)
    assert limited.error_type == "rate_limit" and limited.wait_seconds is not None
    held = QueuedPost.model_validate(fake_answers["enqueued"].body)
    assert held.action == "enqueued" and held.pending_post is not None
    assert fake_answers["group_messageable"].body == {"messageable": True}
    assert fake_answers["category_moved"].status == 301
    hook = WebhookPayload.model_validate(fake_answers["webhook_post_created"].body)
    assert hook.post is not None and hook.post.raw == RAW_REPLY
