"""A fake Discourse: an aiohttp server on 127.0.0.1 speaking the real Discourse HTTP API."""

from __future__ import annotations

import asyncio
import html
import json
import math
import re
import time
import unicodedata
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from types import TracebackType
from typing import Any

import aiohttp
from aiohttp import web

from bot.connectors.discourse.api import (
    ARCHETYPE_PRIVATE_MESSAGE,
    ARCHETYPE_REGULAR,
    HEADER_EVENT,
    HEADER_EVENT_ID,
    HEADER_EVENT_SIGNATURE,
    NotificationType,
    sign_webhook,
)
from tests.discourse.shapes import HEADER_EVENT_TYPE, HEADER_INSTANCE, HEADER_RATE_LIMIT_CODE

__all__ = [
    "ApiError",
    "FakeCategory",
    "FakeDiscourse",
    "FakeGroup",
    "FakeNotification",
    "FakePost",
    "FakeTopic",
    "FakeUser",
    "FakeWebhook",
    "PostRejected",
    "RecordedRequest",
    "WebhookDelivery",
    "cook",
    "extract_mentions",
    "extract_quotes",
]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Json = dict[str, Any]

MSG_NOT_FOUND = "The requested URL or resource could not be found."
MSG_INVALID_ACCESS = "You are not permitted to view the requested resource."
MSG_INVALID_API = (
    "You are not permitted to view the requested resource. The API username or key is invalid."
)
MSG_NOT_LOGGED_IN = "You need to be logged in to do that."
MSG_RATE_LIMIT = (
    "You’ve performed this action too many times."
    " Please wait {seconds} seconds before trying again."
)
MSG_TOPIC_NOT_FOUND = (
    "Something has gone wrong."
    " Perhaps this topic was closed or deleted while you were looking at it?"
)
MSG_USER_NOT_FOUND = "One of the users you are sending this message to could not be found."
MSG_NO_USER_SELECTED = "You must select a valid user."
MSG_NO_EMAIL_PM = "Sorry, you cannot send personal messages to email."
MSG_TOO_SIMILAR = "Body is too similar to what you recently posted"
MSG_TITLE_USED = "Title has already been used"

NGINX_PAGE = (
    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)

CHUNK_SIZE = 20
LATEST_POSTS_LIMIT = 50
TOPIC_LIST_PER_PAGE = 30
MAX_POST_LENGTH = 32000
MAX_TITLE_LENGTH = 255
WATCHING = 3
REGULAR_LEVEL = 1

_MENTION_RE = re.compile(r"(?<![\w@/.`])@([\w][\w.-]*[\w]|[\w])")
_QUOTE_BLOCK_RE = re.compile(r"\[quote=?([^\]]*)\](.*?)\[/quote\]", re.DOTALL | re.IGNORECASE)
_QUOTE_ATTR_RE = re.compile(r'"?\s*([^,"]+?)\s*,\s*post:\s*(\d+)\s*,\s*topic:\s*(\d+)')
_CODE_RE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)
_NESTED_KEY_RE = re.compile(r"^(\w+)\[(\w+)\]$")


class PostRejected(Exception):
    """A post refused by validation (the body of Discourse's 422)."""

    def __init__(self, errors: Sequence[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = list(errors)


class ApiError(Exception):
    """An error the forum answers with Discourse's JSON error body (`status`, `body`).

    Member helpers (`member_posts`, …) raise it too, e.g. a 403 for a PM they are not in.
    """

    def __init__(
        self,
        status: int,
        errors: Sequence[str],
        error_type: str | None,
        *,
        headers: Mapping[str, str] | None = None,
        extras: Json | None = None,
    ) -> None:
        super().__init__(f"{status}: {'; '.join(errors)}")
        self.status = status
        self.body: Json = {"errors": list(errors)}
        if error_type:
            self.body["error_type"] = error_type
        if extras is not None:
            self.body["extras"] = extras
        self.headers = dict(headers or {})

    def response(self) -> web.Response:
        """The aiohttp response for this error."""
        return web.json_response(self.body, status=self.status, headers=self.headers)


def _not_found() -> ApiError:
    return ApiError(404, [MSG_NOT_FOUND], "not_found")


def _invalid_access(message: str = MSG_INVALID_ACCESS) -> ApiError:
    return ApiError(403, [message], "invalid_access")


def _invalid_parameters(name: str) -> ApiError:
    message = f"You supplied invalid parameters to the request: {name}"
    return ApiError(400, [message], "invalid_parameters")


def _param_missing(name: str) -> ApiError:
    return ApiError(400, [f"param is missing or the value is empty: {name}"], "invalid_parameters")


@dataclass
class FakeUser:
    """A forum account."""

    id: int
    username: str
    name: str
    created_at: datetime
    admin: bool = False
    moderator: bool = False
    trust_level: int = 1
    groups: list[str] = field(default_factory=list)

    @property
    def staff(self) -> bool:
        """Admins and moderators are staff."""
        return self.admin or self.moderator


@dataclass
class FakeGroup:
    """A group: PM recipient, possibly mentionable."""

    id: int
    name: str
    members: list[str] = field(default_factory=list)
    owners: list[str] = field(default_factory=list)
    mentionable: bool = False
    messageable: bool = True


@dataclass
class FakeCategory:
    """A category of topics."""

    id: int
    name: str
    slug: str


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
    watcher_ids: set[int] = field(default_factory=set)
    closed: bool = False

    @property
    def is_private_message(self) -> bool:
        """True for a private message."""
        return self.archetype == ARCHETYPE_PRIVATE_MESSAGE

    @property
    def posts_count(self) -> int:
        """How many posts the topic has."""
        return len(self.post_ids)


@dataclass
class FakePost:
    """A post in a topic."""

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
    post_type: int = 1
    version: int = 1


@dataclass
class FakeNotification:
    """A notification of one user."""

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
class RecordedRequest:
    """One request received by the fake, for assertions."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    time: float
    body: bytes = b""
    status: int | None = None
    auth: str = "none"
    username: str | None = None


@dataclass
class FakeWebhook:
    """A webhook registered on the forum."""

    id: int
    url: str
    secret: str | None
    events: tuple[str, ...]
    retries: int = 0
    retry_delay: float = 0.05

    def wants(self, event: str, event_type: str) -> bool:
        """True when the hook subscribes to this event (or to its whole type)."""
        return event in self.events or event_type in self.events


@dataclass
class WebhookDelivery:
    """One delivery attempt of a webhook event."""

    url: str
    event: str
    event_id: int
    headers: dict[str, str]
    body: bytes
    attempt: int
    status: int | None = None
    error: str | None = None


@dataclass
class _Injection:
    count: int
    status: int | None = None
    delay: float | None = None
    path_prefix: str | None = None
    method: str | None = None
    retry_after: float | None = None
    body: str | None = None

    def matches(self, request: web.Request) -> bool:
        if self.count <= 0:
            return False
        if self.method and request.method != self.method.upper():
            return False
        return self.path_prefix is None or request.path.startswith(self.path_prefix)


@dataclass
class _Context:
    user: FakeUser | None
    auth: str
    key: str | None = None


# aiohttp >= 3.12 wants typed request keys; older versions take plain strings.
_CONTEXT_KEY: Any = (
    web.RequestKey("fake_discourse_context", _Context)
    if hasattr(web, "RequestKey")
    else "fake_discourse_context"
)


class _RollingLimiter:
    """At most `limit` hits in any rolling window of `period` seconds."""

    def __init__(self, limit: int | None, period: float) -> None:
        self.limit = limit
        self.period = period
        self.hits: deque[float] = deque()

    def hit(self, now: float) -> float | None:
        """Record a hit and return None, or return how long to wait (hit not recorded)."""
        if not self.limit:
            return None
        while self.hits and self.hits[0] <= now - self.period:
            self.hits.popleft()
        if len(self.hits) >= self.limit:
            return self.hits[0] + self.period - now
        self.hits.append(now)
        return None


def _iso(moment: datetime) -> str:
    """Discourse's timestamp format: 2024-03-05T14:07:09.123Z."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _slugify(text: str) -> str:
    """An ASCII slug, as Discourse's default slug generation makes."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug or "topic"


def _collapse(text: str) -> str:
    """Text stripped and with runs of whitespace collapsed, as length validators see it."""
    return " ".join(text.split())


def _ruby_split(value: str) -> list[str]:
    """Ruby's `String#split(",")`: no trimming, trailing empty fields dropped."""
    parts = value.split(",")
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def _strip_quotes_and_code(raw: str) -> str:
    return _CODE_RE.sub(" ", _QUOTE_BLOCK_RE.sub(" ", raw))


def extract_mentions(raw: str) -> list[str]:
    """Lower-cased @names mentioned in a post, outside quotes and code."""
    seen: dict[str, None] = {}
    for match in _MENTION_RE.finditer(_strip_quotes_and_code(raw)):
        seen.setdefault(match.group(1).lower(), None)
    return list(seen)


def extract_quotes(raw: str) -> list[tuple[str, int, int]]:
    """(username, post_number, topic_id) of each [quote="user, post:N, topic:T"]."""
    quotes = []
    for match in _QUOTE_BLOCK_RE.finditer(raw):
        attrs = _QUOTE_ATTR_RE.search(match.group(1))
        if attrs:
            quotes.append((attrs.group(1).lower(), int(attrs.group(2)), int(attrs.group(3))))
    return quotes


def _cook_paragraphs(text: str) -> str:
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    cooked = []
    for paragraph in paragraphs:
        escaped = html.escape(paragraph.strip(), quote=False)
        escaped = _MENTION_RE.sub(r'<a class="mention" href="/u/\1">@\1</a>', escaped)
        cooked.append("<p>" + escaped.replace("\n", "<br>\n") + "</p>")
    return "\n".join(cooked)


def cook(raw: str) -> str:
    """A small stand-in for Discourse's markdown: paragraphs, mentions, quotes as <aside>."""
    parts: list[str] = []
    position = 0
    for match in _QUOTE_BLOCK_RE.finditer(raw):
        parts.append(_cook_paragraphs(raw[position : match.start()]))
        attrs = _QUOTE_ATTR_RE.search(match.group(1))
        data = ""
        if attrs:
            data = (
                f' data-username="{html.escape(attrs.group(1))}"'
                f' data-post="{attrs.group(2)}" data-topic="{attrs.group(3)}"'
            )
        inner = _cook_paragraphs(match.group(2))
        parts.append(f'<aside class="quote"{data}>\n<blockquote>\n{inner}\n</blockquote>\n</aside>')
        position = match.end()
    parts.append(_cook_paragraphs(raw[position:]))
    return "\n".join(part for part in parts if part)


def _nest(items: Iterable[tuple[str, Any]]) -> Json:
    """Rails-style params: `a[]` keys become lists, `a[b]` keys nested dicts."""
    params: Json = {}
    for key, value in items:
        if key.endswith("[]"):
            params.setdefault(key[:-2], []).append(value)
            continue
        nested = _NESTED_KEY_RE.match(key)
        if nested:
            params.setdefault(nested.group(1), {})[nested.group(2)] = value
        else:
            params[key] = value
    return params


async def _read_params(request: web.Request) -> Json:
    """Query string, then form-encoded or JSON body, merged as Rails params."""
    params = _nest(request.query.items())
    if not request.body_exists:
        return params
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError as exc:
            raise ApiError(400, ["Invalid JSON body"], "invalid_parameters") from exc
        if isinstance(body, dict):
            params.update(body)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        params.update(_nest((key, value) for key, value in form.items() if isinstance(value, str)))
    return params


def _optional_int(params: Mapping[str, Any], name: str) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise _invalid_parameters(name) from exc


def _truthy_param(params: Mapping[str, Any], name: str) -> bool:
    """Rails' `!!params[:x]`: present means true, whatever the value."""
    return params.get(name) is not None


class FakeDiscourse:
    """An in-memory Discourse forum served over real HTTP on 127.0.0.1.

    Behaviour copied from Discourse itself (see the notes in ``/work/shared/notes``):

    * auth: ``Api-Key`` + ``Api-Username`` (admin keys; an unbound key acts as any user) or
      ``User-Api-Key`` (bound to one user); a bad key is a 403 ``invalid_access``;
    * rate limits: one rolling-minute bucket shared by every admin key of the site, one per
      user API key (and a daily one); over the limit a 429 with ``Retry-After``,
      ``Discourse-Rate-Limit-Error-Code`` and ``extras.wait_seconds``;
    * ``POST /posts.json`` validations (body/title lengths, duplicate titles, unknown PM
      recipients split on "," without trimming), the 120 s memo of identical admin-key POSTs,
      the 5-minute "too similar" check for non-staff users;
    * notifications (mentioned, replied, quoted, private_message, posted, group_mentioned) as
      Discourse's PostAlerter creates them, and webhooks signed with HMAC-SHA256.

    Fault injection (``inject``, ``inject_delay``) acts before authentication and before any
    state change, like a proxy in front of the forum.

    Ids are offset (topics from 11, posts from 101, groups from 41) so that a post id is never
    mistaken for a post number. Call the helpers from the event loop's thread (async tests):
    they schedule webhook deliveries on the running loop. ``advance`` moves the forum's clock.
    """

    def __init__(
        self,
        *,
        rate_limit_admin: int | None = 60,
        rate_limit_user: int | None = 20,
        rate_limit_user_day: int | None = 2880,
        min_post_length: int = 20,
        min_first_post_length: int = 20,
        min_pm_post_length: int = 10,
        min_topic_title_length: int = 15,
        min_pm_title_length: int = 2,
        unique_posts_mins: float = 5,
        duplicate_window: float = 120.0,
        login_required: bool = False,
        webhook_timeout: float = 5.0,
    ) -> None:
        self.rate_limit_admin = rate_limit_admin
        self.rate_limit_user = rate_limit_user
        self.rate_limit_user_day = rate_limit_user_day
        self.min_post_length = min_post_length
        self.min_first_post_length = min_first_post_length
        self.min_pm_post_length = min_pm_post_length
        self.min_topic_title_length = min_topic_title_length
        self.min_pm_title_length = min_pm_title_length
        self.unique_posts_mins = unique_posts_mins
        self.duplicate_window = duplicate_window
        self.login_required = login_required
        self.webhook_timeout = webhook_timeout

        self.requests: list[RecordedRequest] = []
        self.webhook_deliveries: list[WebhookDelivery] = []
        self.webhooks: list[FakeWebhook] = []

        self._users: dict[str, FakeUser] = {}
        self._groups: dict[str, FakeGroup] = {}
        self._categories: dict[int, FakeCategory] = {}
        self._topics: dict[int, FakeTopic] = {}
        self._posts: dict[int, FakePost] = {}
        self._notifications: list[FakeNotification] = []
        self._admin_keys: dict[str, str | None] = {}
        self._user_keys: dict[str, str] = {}
        self._injections: list[_Injection] = []
        self._admin_limiter = _RollingLimiter(rate_limit_admin, 60.0)
        self._user_limiters: dict[str, tuple[_RollingLimiter, _RollingLimiter]] = {}
        self._memo: dict[tuple[int, str], tuple[float, int, Json]] = {}
        self._recent_raws: dict[tuple[int, str], float] = {}
        self._seen_notification: dict[int, int] = {}
        self._webhook_tasks: set[asyncio.Task[None]] = set()
        self._ids: dict[str, int] = {}
        self._offset = 0.0
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._port: int | None = None

        self.add_user("system", name="system", admin=True, moderator=True, trust_level=4, id=-1)
        self.add_category(1, "Uncategorized")

    # ----------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Serve on 127.0.0.1, on a free port."""
        app = web.Application(middlewares=[self._middleware])
        self._add_routes(app.router)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        self._session = aiohttp.ClientSession()

    async def stop(self) -> None:
        """Stop serving; pending webhook deliveries are cancelled."""
        for task in list(self._webhook_tasks):
            task.cancel()
        if self._webhook_tasks:
            await asyncio.wait(self._webhook_tasks, timeout=2.0)
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscourse:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """Base URL of the forum, without a trailing slash."""
        if self._port is None:
            raise RuntimeError("FakeDiscourse is not started")
        return f"http://127.0.0.1:{self._port}"

    # ----------------------------------------------------------------- clock

    def advance(self, seconds: float) -> None:
        """Move the forum's clock forward (rate-limit windows, duplicate memo, timestamps)."""
        self._offset += seconds

    def _now(self) -> float:
        return time.monotonic() + self._offset

    def _utcnow(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self._offset)

    def _touch(self) -> None:
        """Wake up `wait_for` callers: something changed (a request, a post, a delivery)."""
        self._changed.set()

    async def wait_for(self, predicate: Callable[[], bool], within: float = 5.0) -> None:
        """Wait until `predicate()` holds, re-checked after every change; TimeoutError after
        `within` seconds."""
        async with asyncio.timeout(within):
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

    def _next_id(self, kind: str) -> int:
        self._ids[kind] = self._ids.get(kind, 0) + 1
        return self._ids[kind]

    # ----------------------------------------------------------------- setup helpers

    def add_user(
        self,
        username: str,
        *,
        name: str | None = None,
        admin: bool = False,
        moderator: bool = False,
        groups: Iterable[str] = (),
        trust_level: int = 1,
        id: int | None = None,
    ) -> FakeUser:
        """Create an account (and put it in `groups`, created when missing)."""
        user = FakeUser(
            id=id if id is not None else self._next_id("user"),
            username=username,
            name=name if name is not None else username.capitalize(),
            created_at=self._utcnow(),
            admin=admin,
            moderator=moderator,
            trust_level=trust_level,
        )
        self._users[username.lower()] = user
        for group_name in groups:
            self._join(group_name, username)
        return user

    def add_group(
        self,
        name: str,
        members: Iterable[str] = (),
        *,
        owners: Iterable[str] = (),
        mentionable: bool = False,
        messageable: bool = True,
    ) -> FakeGroup:
        """Create (or update) a group with these member usernames."""
        group = self._groups.get(name.lower())
        if group is None:
            group = FakeGroup(id=self._next_id("group") + 40, name=name)
            self._groups[name.lower()] = group
        group.mentionable = mentionable
        group.messageable = messageable
        group.owners = list(owners)
        for username in members:
            self._join(name, username)
        return group

    def _join(self, group_name: str, username: str) -> None:
        group = self._groups.get(group_name.lower()) or self.add_group(group_name)
        user = self.user(username)
        if user.username not in group.members:
            group.members.append(user.username)
        if group.name not in user.groups:
            user.groups.append(group.name)

    def add_category(self, id: int, name: str, *, slug: str | None = None) -> FakeCategory:
        """Create (or rename) a category."""
        category = FakeCategory(id=id, name=name, slug=slug or _slugify(name))
        self._categories[id] = category
        return category

    def add_admin_key(self, key: str, username: str | None = None) -> None:
        """An admin API key: bound to `username`, or usable as any user when None."""
        self._admin_keys[key] = username

    def add_user_api_key(self, key: str, username: str) -> None:
        """A user API key (header User-Api-Key), acting as `username` only."""
        self.user(username)
        self._user_keys[key] = username

    def watch_topic(self, username: str, topic_id: int) -> None:
        """`username` watches the topic: every new post notifies them ("posted")."""
        self.topic(topic_id).watcher_ids.add(self.user(username).id)

    def close_topic(self, topic_id: int, closed: bool = True) -> None:
        """Close (or reopen) a topic: only staff can reply to a closed topic."""
        self.topic(topic_id).closed = closed

    # ----------------------------------------------------------------- member actions

    def create_topic_as(
        self, username: str, title: str, raw: str, category_id: int | None = None
    ) -> FakeTopic:
        """`username` opens a topic from the browser (validations apply, no API limits)."""
        params: Json = {"title": title, "raw": raw}
        if category_id is not None:
            params["category"] = category_id
        post = self._submit(self.user(username), params)
        return self._topics[post.topic_id]

    def create_pm_as(
        self, username: str, title: str, raw: str, recipients: Sequence[str]
    ) -> FakeTopic:
        """`username` sends a private message to users and groups."""
        params = {
            "title": title,
            "raw": raw,
            "archetype": ARCHETYPE_PRIVATE_MESSAGE,
            "target_recipients": ",".join(recipients),
        }
        post = self._submit(self.user(username), params)
        return self._topics[post.topic_id]

    def member_posts(
        self,
        username: str,
        topic_id: int,
        raw: str,
        reply_to_post_number: int | None = None,
    ) -> FakePost:
        """`username` replies in a topic from the browser: notifications, webhooks fire."""
        params: Json = {"topic_id": topic_id, "raw": raw}
        if reply_to_post_number is not None:
            params["reply_to_post_number"] = reply_to_post_number
        return self._submit(self.user(username), params)

    def edit_post_as(self, username: str, post_id: int, raw: str) -> FakePost:
        """`username` edits a post from the browser."""
        return self._edit(self.user(username), self.post(post_id), raw)

    # ----------------------------------------------------------------- introspection

    @property
    def posts(self) -> list[FakePost]:
        """Every post, in creation order."""
        return sorted(self._posts.values(), key=lambda post: post.id)

    @property
    def topics(self) -> list[FakeTopic]:
        """Every topic and private message, in creation order."""
        return sorted(self._topics.values(), key=lambda topic: topic.id)

    def user(self, username: str) -> FakeUser:
        """The account named `username` (KeyError when missing)."""
        try:
            return self._users[username.lower()]
        except KeyError:
            raise KeyError(f"no user {username!r} on the fake forum") from None

    def group(self, name: str) -> FakeGroup:
        """The group named `name`."""
        return self._groups[name.lower()]

    def topic(self, topic_id: int) -> FakeTopic:
        """The topic with this id."""
        return self._topics[topic_id]

    def post(self, post_id: int) -> FakePost:
        """The post with this id."""
        return self._posts[post_id]

    def posts_in(self, topic_id: int) -> list[FakePost]:
        """The posts of a topic, by post number."""
        return [self._posts[post_id] for post_id in self.topic(topic_id).post_ids]

    def notifications_for(self, username: str) -> list[FakeNotification]:
        """Notifications of `username`, oldest first."""
        user_id = self.user(username).id
        return [n for n in self._notifications if n.user_id == user_id]

    def requests_to(self, path_prefix: str, method: str | None = None) -> list[RecordedRequest]:
        """Recorded requests whose path starts with `path_prefix` (and of `method`)."""
        return [
            r
            for r in self.requests
            if r.path.startswith(path_prefix) and (method is None or r.method == method.upper())
        ]

    # ----------------------------------------------------------------- fault injection

    def inject(
        self,
        status: int,
        count: int = 1,
        *,
        path_prefix: str | None = None,
        method: str | None = None,
        retry_after: float | None = None,
        body: str | None = None,
    ) -> None:
        """The next `count` matching requests get `status` before reaching the forum.

        5xx answers are nginx's HTML error page; a 429 is Discourse's JSON rate-limit error
        (``Retry-After`` and ``extras.wait_seconds`` from `retry_after`, default 10 s).
        """
        self._injections.append(
            _Injection(
                count=count,
                status=status,
                path_prefix=path_prefix,
                method=method,
                retry_after=retry_after,
                body=body,
            )
        )

    def inject_delay(
        self,
        seconds: float,
        count: int = 1,
        *,
        path_prefix: str | None = None,
        method: str | None = None,
    ) -> None:
        """The next `count` matching requests wait `seconds` first, then proceed normally.

        Like a slow forum: a client that times out still gets its POST applied later.
        """
        self._injections.append(
            _Injection(count=count, delay=seconds, path_prefix=path_prefix, method=method)
        )

    def clear_injections(self) -> None:
        """Forget every pending injection."""
        self._injections.clear()

    async def _apply_injection(self, request: web.Request) -> web.Response | None:
        for injection in self._injections:
            if injection.matches(request):
                injection.count -= 1
                if injection.delay is not None:
                    await asyncio.sleep(injection.delay)
                    return None
                return self._injected_response(injection)
        return None

    def _injected_response(self, injection: _Injection) -> web.Response:
        status = injection.status or 500
        if status == 429:
            wait = math.ceil(injection.retry_after if injection.retry_after is not None else 10)
            return self._rate_limited(wait, "ip_10_secs_limit").response()
        reason = _reason(status)
        if injection.body is not None:
            return web.Response(status=status, text=injection.body, content_type="text/html")
        if status >= 500:
            page = NGINX_PAGE.format(status=status, reason=reason)
            return web.Response(status=status, text=page, content_type="text/html")
        return web.json_response({"errors": [reason], "error_type": "injected"}, status=status)

    # ----------------------------------------------------------------- HTTP plumbing

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        record = RecordedRequest(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers=dict(request.headers),
            time=self._now(),
            body=await request.read() if request.body_exists else b"",
        )
        self.requests.append(record)
        response: web.StreamResponse
        try:
            injected = await self._apply_injection(request)
            if injected is not None:
                response = injected
            else:
                context = self._authenticate(request)
                record.auth = context.auth
                record.username = context.user.username if context.user else None
                request[_CONTEXT_KEY] = context
                response = await handler(request)
        except ApiError as error:
            response = error.response()
        except web.HTTPNotFound:
            response = _not_found().response()
        except web.HTTPMethodNotAllowed:
            response = _not_found().response()
        record.status = response.status
        self._touch()
        return response

    def _authenticate(self, request: web.Request) -> _Context:
        api_key = request.headers.get("Api-Key")
        user_api_key = request.headers.get("User-Api-Key")
        if api_key is not None:
            return self._authenticate_admin_key(api_key, request.headers.get("Api-Username"))
        if user_api_key is not None:
            return self._authenticate_user_key(user_api_key)
        if self.login_required:
            raise ApiError(403, [MSG_NOT_LOGGED_IN], "not_logged_in")
        return _Context(user=None, auth="none")

    def _authenticate_admin_key(self, key: str, username: str | None) -> _Context:
        if key not in self._admin_keys:
            raise _invalid_access(MSG_INVALID_API)
        bound = self._admin_keys[key]
        if bound is not None and username and username.lower() != bound.lower():
            raise _invalid_access(MSG_INVALID_API)
        acting = bound or username
        user = self._users.get(acting.lower()) if acting else None
        if user is None:
            raise _invalid_access(MSG_INVALID_API)
        wait = self._admin_limiter.hit(self._now())
        if wait is not None:
            raise self._rate_limited(wait, "admin_api_key_rate_limit")
        return _Context(user=user, auth="admin", key=key)

    def _authenticate_user_key(self, key: str) -> _Context:
        username = self._user_keys.get(key)
        if username is None:
            raise _invalid_access()
        per_minute, per_day = self._user_limiters.setdefault(
            key,
            (
                _RollingLimiter(self.rate_limit_user, 60.0),
                _RollingLimiter(self.rate_limit_user_day, 86400.0),
            ),
        )
        now = self._now()
        wait = per_minute.hit(now)
        if wait is not None:
            raise self._rate_limited(wait, "user_api_key_limiter_60_secs")
        wait = per_day.hit(now)
        if wait is not None:
            per_minute.hits.pop()
            raise self._rate_limited(wait, "user_api_key_limiter_1_day")
        return _Context(user=self.user(username), auth="user", key=key)

    @staticmethod
    def _rate_limited(wait: float, code: str) -> ApiError:
        seconds = max(0, math.ceil(wait))
        return ApiError(
            429,
            [MSG_RATE_LIMIT.format(seconds=seconds)],
            "rate_limit",
            headers={"Retry-After": str(seconds), HEADER_RATE_LIMIT_CODE: code},
            extras={"wait_seconds": seconds, "time_left": f"{seconds} seconds"},
        )

    @staticmethod
    def _context(request: web.Request) -> _Context:
        context: _Context = request[_CONTEXT_KEY]
        return context

    def _viewer(self, request: web.Request) -> FakeUser | None:
        return self._context(request).user

    def _require_login(self, request: web.Request) -> FakeUser:
        user = self._viewer(request)
        if user is None:
            raise ApiError(403, [MSG_NOT_LOGGED_IN], "not_logged_in")
        return user

    def _add_routes(self, router: web.UrlDispatcher) -> None:
        def both(method: str, path: str, handler: Handler) -> None:
            router.add_route(method, path + ".json", handler)
            router.add_route(method, path, handler)

        both("POST", "/posts", self._handle_create_post)
        router.add_get("/posts.json", self._handle_latest_posts)
        both("GET", r"/posts/{post_id:\d+}", self._handle_get_post)
        both("PUT", r"/posts/{post_id:\d+}", self._handle_update_post)
        both("GET", r"/posts/by_number/{topic_id:\d+}/{post_number:\d+}", self._handle_by_number)
        router.add_get(r"/t/{topic_id:\d+}.json", self._handle_topic)
        router.add_get(r"/t/{topic_id:\d+}/posts.json", self._handle_topic_posts)
        router.add_get(r"/t/{first}/{second:\d+}.json", self._handle_topic_two_parts)
        router.add_get(
            r"/t/{slug}/{topic_id:\d+}/{post_number:\d+}.json", self._handle_topic_at_number
        )
        router.add_get("/notifications.json", self._handle_notifications)
        both("PUT", "/notifications/mark-read", self._handle_mark_read)
        router.add_get("/session/current.json", self._handle_current_session)
        router.add_get("/u/{username}.json", self._handle_user)
        router.add_get("/users/{username}.json", self._handle_user)
        router.add_get("/groups/{name}/members.json", self._handle_group_members)
        router.add_get("/latest.json", self._handle_latest_topics)
        router.add_get("/categories.json", self._handle_categories)
        router.add_get(r"/c/{category_id:\d+}.json", self._handle_category_redirect)
        router.add_get(r"/c/{slug}/{category_id:\d+}.json", self._handle_category_topics)
        router.add_get(r"/c/{category_id:\d+}/l/latest.json", self._handle_category_topics)
        router.add_get(r"/c/{slug}/{category_id:\d+}/l/latest.json", self._handle_category_topics)
        router.add_get("/topics/private-messages/{username}.json", self._handle_private_messages)

    # ----------------------------------------------------------------- handlers: posts

    async def _handle_create_post(self, request: web.Request) -> web.Response:
        user = self._require_login(request)
        params = await _read_params(request)
        memo_key: tuple[int, str] | None = None
        if self._context(request).auth == "admin":
            memo_key = (user.id, json.dumps(params, sort_keys=True, default=str))
            cached = self._memo.get(memo_key)
            if cached and self._now() - cached[0] < self.duplicate_window:
                return web.json_response(cached[2], status=cached[1])
        try:
            post = self._submit(user, params)
            status, body = 200, self._serialize_post(post, user, created=True)
        except PostRejected as rejected:
            status, body = 422, {"action": "create_post", "errors": rejected.errors}
        if memo_key is not None:
            self._memo[memo_key] = (self._now(), status, body)
        return web.json_response(body, status=status)

    async def _handle_latest_posts(self, request: web.Request) -> web.Response:
        viewer = self._viewer(request)
        before = _optional_int(request.query, "before")
        posts = [
            post
            for post in reversed(self.posts)
            if not self._topics[post.topic_id].is_private_message
            and (before is None or before <= 0 or post.id < before)
        ][:LATEST_POSTS_LIMIT]
        body = {
            "latest_posts": [self._serialize_post(p, viewer, raw=True, title=True) for p in posts]
        }
        return web.json_response(body)

    async def _handle_get_post(self, request: web.Request) -> web.Response:
        post = self._visible_post(request, int(request.match_info["post_id"]))
        return web.json_response(self._serialize_post(post, self._viewer(request), raw=True))

    async def _handle_by_number(self, request: web.Request) -> web.Response:
        topic = self._visible_topic(request, int(request.match_info["topic_id"]))
        number = int(request.match_info["post_number"])
        post = self._post_by_number(topic, number)
        if post is None:
            raise _not_found()
        return web.json_response(self._serialize_post(post, self._viewer(request), raw=True))

    async def _handle_update_post(self, request: web.Request) -> web.Response:
        user = self._require_login(request)
        params = await _read_params(request)
        changes = params.get("post")
        if not isinstance(changes, dict) and request.content_type == "application/json":
            changes = params  # Rails wraps JSON params under the controller's name
        if not isinstance(changes, dict) or not changes.get("raw"):
            raise _param_missing("post")
        post = self._visible_post(request, int(request.match_info["post_id"]))
        if not (user.staff or post.user_id == user.id):
            raise _invalid_access()
        try:
            self._edit(user, post, str(changes["raw"]))
        except PostRejected as rejected:
            return web.json_response({"errors": rejected.errors}, status=422)
        body = self._serialize_post(post, user, raw=True, created=True)
        return web.json_response({"post": body})

    # ----------------------------------------------------------------- handlers: topics

    async def _handle_topic(self, request: web.Request) -> web.Response:
        return await self._respond_topic(request, int(request.match_info["topic_id"]), None)

    async def _handle_topic_two_parts(self, request: web.Request) -> web.Response:
        first, second = request.match_info["first"], int(request.match_info["second"])
        if first.isdigit():  # /t/{topic_id}/{post_number}.json
            return await self._respond_topic(request, int(first), second)
        return await self._respond_topic(request, second, None)  # /t/{slug}/{topic_id}.json

    async def _handle_topic_at_number(self, request: web.Request) -> web.Response:
        topic_id = int(request.match_info["topic_id"])
        return await self._respond_topic(request, topic_id, int(request.match_info["post_number"]))

    async def _respond_topic(
        self, request: web.Request, topic_id: int, post_number: int | None
    ) -> web.Response:
        topic = self._visible_topic(request, topic_id)
        include_raw = _truthy_param(request.query, "include_raw")
        body = self._serialize_topic_view(topic, self._viewer(request), include_raw, post_number)
        return web.json_response(body)

    async def _handle_topic_posts(self, request: web.Request) -> web.Response:
        topic = self._visible_topic(request, int(request.match_info["topic_id"]))
        params = _nest(request.query.items())
        wanted = params.get("post_ids")
        posts = self.posts_in(topic.id)
        if isinstance(wanted, list):
            ids = {int(value) for value in wanted if str(value).isdigit()}
            posts = [post for post in posts if post.id in ids]
        else:
            posts = self._chunk(posts, _optional_int(params, "post_number"))
        include_raw = _truthy_param(params, "include_raw")
        viewer = self._viewer(request)
        serialized = [
            self._serialize_post(p, viewer, raw=include_raw, in_topic=True) for p in posts
        ]
        return web.json_response({"post_stream": {"posts": serialized}, "id": topic.id})

    async def _handle_latest_topics(self, request: web.Request) -> web.Response:
        topics = [t for t in self.topics if not t.is_private_message]
        return web.json_response(self._serialize_topic_list(topics, "/latest"))

    async def _handle_categories(self, request: web.Request) -> web.Response:
        categories = [self._serialize_category(c) for c in self._categories.values()]
        return web.json_response(
            {"category_list": {"can_create_category": False, "categories": categories}}
        )

    async def _handle_category_redirect(self, request: web.Request) -> web.Response:
        category = self._category(int(request.match_info["category_id"]))
        location = f"/c/{category.slug}/{category.id}.json"
        return web.Response(status=301, headers={"Location": location})

    async def _handle_category_topics(self, request: web.Request) -> web.Response:
        category = self._category(int(request.match_info["category_id"]))
        topics = [
            t for t in self.topics if t.category_id == category.id and not t.is_private_message
        ]
        path = f"/c/{category.slug}/{category.id}/l/latest"
        return web.json_response(self._serialize_topic_list(topics, path))

    async def _handle_private_messages(self, request: web.Request) -> web.Response:
        viewer = self._require_login(request)
        owner = self._users.get(request.match_info["username"].lower())
        if owner is None:
            raise _not_found()
        if owner.id != viewer.id and not viewer.admin:
            raise _invalid_access()
        topics = [t for t in self.topics if t.is_private_message and self._can_see(owner, t)]
        path = f"/topics/private-messages/{owner.username}"
        return web.json_response(self._serialize_topic_list(topics, path))

    # ----------------------------------------------------------------- handlers: users

    async def _handle_notifications(self, request: web.Request) -> web.Response:
        user = self._require_login(request)
        recent = _truthy_param(request.query, "recent")
        limit = _optional_int(request.query, "limit") or (15 if recent else 60)
        offset = _optional_int(request.query, "offset") or 0
        mine = [n for n in reversed(self._notifications) if n.user_id == user.id]
        wanted = request.query.get("filter")
        if wanted in ("read", "unread"):
            mine = [n for n in mine if n.read == (wanted == "read")]
        page = mine[offset : offset + limit]
        if page:
            latest = max(n.id for n in page)
            self._seen_notification[user.id] = max(self._seen_notification.get(user.id, 0), latest)
        body: Json = {
            "notifications": [self._serialize_notification(n) for n in page],
            "seen_notification_id": self._seen_notification.get(user.id, 0),
        }
        if not recent:
            body["total_rows_notifications"] = len(mine)
            body["load_more_notifications"] = (
                f"/notifications?offset={offset + limit}&username={user.username}"
            )
        return web.json_response(body)

    async def _handle_mark_read(self, request: web.Request) -> web.Response:
        user = self._require_login(request)
        params = await _read_params(request)
        only = _optional_int(params, "id")
        for notification in self._notifications:
            if notification.user_id == user.id and (only is None or notification.id == only):
                notification.read = True
        return web.json_response({"success": "OK"})

    async def _handle_current_session(self, request: web.Request) -> web.Response:
        user = self._viewer(request)
        if user is None:
            return web.Response(status=404)
        return web.json_response({"current_user": self._serialize_current_user(user)})

    async def _handle_user(self, request: web.Request) -> web.Response:
        username = request.match_info["username"]
        user = self._users.get(username.lower())
        if user is None:
            raise _not_found()
        return web.json_response({"user_badges": [], "user": self._serialize_user(user)})

    async def _handle_group_members(self, request: web.Request) -> web.Response:
        group = self._groups.get(request.match_info["name"].lower())
        if group is None:
            raise _not_found()
        limit = _optional_int(request.query, "limit") or 50
        offset = _optional_int(request.query, "offset") or 0
        members = [self.user(name) for name in group.members]
        owners = [self.user(name) for name in group.owners]
        return web.json_response(
            {
                "members": [self._serialize_member(u) for u in members[offset : offset + limit]],
                "owners": [self._serialize_member(u) for u in owners],
                "meta": {"total": len(members), "limit": limit, "offset": offset},
            }
        )

    # ----------------------------------------------------------------- visibility

    def _can_see(self, user: FakeUser | None, topic: FakeTopic) -> bool:
        if not topic.is_private_message:
            return True
        if user is None:
            return False
        return user.admin or user.id in self._participant_ids(topic)

    def _participant_ids(self, topic: FakeTopic) -> set[int]:
        ids = set(topic.allowed_user_ids)
        for group in self._groups.values():
            if group.id in topic.allowed_group_ids:
                ids.update(self.user(name).id for name in group.members)
        return ids

    def _visible_topic(self, request: web.Request, topic_id: int) -> FakeTopic:
        topic = self._topics.get(topic_id)
        if topic is None:
            raise _not_found()
        if not self._can_see(self._viewer(request), topic):
            raise _invalid_access()
        return topic

    def _visible_post(self, request: web.Request, post_id: int) -> FakePost:
        post = self._posts.get(post_id)
        if post is None:
            raise _not_found()
        self._visible_topic(request, post.topic_id)
        return post

    def _category(self, category_id: int) -> FakeCategory:
        category = self._categories.get(category_id)
        if category is None:
            raise _not_found()
        return category

    def _post_by_number(self, topic: FakeTopic, number: int) -> FakePost | None:
        for post_id in topic.post_ids:
            if self._posts[post_id].post_number == number:
                return self._posts[post_id]
        return None

    @staticmethod
    def _chunk(posts: list[FakePost], near: int | None) -> list[FakePost]:
        if near is None:
            return posts[:CHUNK_SIZE]
        index = next((i for i, p in enumerate(posts) if p.post_number >= near), len(posts))
        start = max(0, index - CHUNK_SIZE // 4)
        return posts[start : start + CHUNK_SIZE]

    # ----------------------------------------------------------------- creating posts

    def _submit(self, user: FakeUser, params: Mapping[str, Any]) -> FakePost:
        """Create a topic, a reply or a private message from POST /posts params."""
        raw = str(params.get("raw") or "")
        topic_id = _optional_int(params, "topic_id")
        if topic_id is not None:
            reply_to = _optional_int(params, "reply_to_post_number")
            return self._reply(user, topic_id, raw, reply_to)
        if params.get("archetype") == ARCHETYPE_PRIVATE_MESSAGE:
            return self._new_private_message(user, params, raw)
        return self._new_topic(user, params, raw)

    def _raw_errors(self, user: FakeUser, raw: str, minimum: int) -> list[str]:
        length = len(_collapse(raw))
        if length < minimum:
            return [f"Body is too short (minimum is {minimum} characters)"]
        if length > MAX_POST_LENGTH:
            return [f"Body is too long (maximum is {MAX_POST_LENGTH} characters)"]
        if self._too_similar(user, raw):
            return [MSG_TOO_SIMILAR]
        return []

    def _too_similar(self, user: FakeUser, raw: str) -> bool:
        if user.staff or not self.unique_posts_mins:
            return False
        posted_at = self._recent_raws.get((user.id, _collapse(raw)))
        return posted_at is not None and self._now() - posted_at < self.unique_posts_mins * 60

    def _title_errors(self, title: str, minimum: int, *, regular: bool) -> list[str]:
        clean = _collapse(title)
        if not clean:
            return ["Title can't be blank"]
        if len(clean) < minimum:
            return [f"Title is too short (minimum is {minimum} characters)"]
        if len(clean) > MAX_TITLE_LENGTH:
            return [f"Title is too long (maximum is {MAX_TITLE_LENGTH} characters)"]
        if regular and any(
            not t.is_private_message and t.title.lower() == clean.lower()
            for t in self._topics.values()
        ):
            return [MSG_TITLE_USED]
        return []

    def _new_topic(self, user: FakeUser, params: Mapping[str, Any], raw: str) -> FakePost:
        title = str(params.get("title") or "")
        category_id = self._category_param(params.get("category"))
        errors = self._title_errors(title, self.min_topic_title_length, regular=True)
        errors += self._raw_errors(user, raw, self.min_first_post_length)
        if errors:
            raise PostRejected(errors)
        topic = self._open_topic(user, title, ARCHETYPE_REGULAR, category_id)
        return self._add_post(topic, user, raw, None)

    def _category_param(self, value: Any) -> int:
        if value is None or value == "":
            return 1
        if not str(value).isdigit() or int(value) not in self._categories:
            raise _invalid_parameters("category")
        return int(value)

    def _new_private_message(self, user: FakeUser, params: Mapping[str, Any], raw: str) -> FakePost:
        title = str(params.get("title") or "")
        errors = self._title_errors(title, self.min_pm_title_length, regular=False)
        errors += self._raw_errors(user, raw, self.min_pm_post_length)
        recipients = params.get("target_recipients") or params.get("target_usernames") or ""
        users, groups, recipient_errors = self._resolve_recipients(str(recipients))
        errors += recipient_errors
        if errors:
            raise PostRejected(errors)
        topic = self._open_topic(user, title, ARCHETYPE_PRIVATE_MESSAGE, None)
        topic.allowed_user_ids.update({user.id, *(u.id for u in users)})
        topic.allowed_group_ids.update(g.id for g in groups)
        topic.watcher_ids.update(self._participant_ids(topic))
        return self._add_post(topic, user, raw, None)

    def _resolve_recipients(
        self, recipients: str
    ) -> tuple[list[FakeUser], list[FakeGroup], list[str]]:
        """Discourse's split: on ",", lower-cased, groups first, the rest must be usernames."""
        names = [name.lower() for name in _ruby_split(recipients)]
        groups = [
            self._groups[name]
            for name in dict.fromkeys(names)
            if name in self._groups and self._groups[name].messageable
        ]
        group_names = {group.name.lower() for group in groups}
        usernames = [name for name in names if name not in group_names]
        if any("@" in name for name in usernames):
            return [], [], [MSG_NO_EMAIL_PM]
        if not usernames and not groups:
            return [], [], [MSG_NO_USER_SELECTED]
        users = [self._users[name] for name in usernames if name in self._users]
        if len(users) != len(usernames):
            return [], [], [MSG_USER_NOT_FOUND]
        return users, groups, []

    def _reply(self, user: FakeUser, topic_id: int, raw: str, reply_to: int | None) -> FakePost:
        topic = self._topics.get(topic_id)
        if topic is None:
            raise PostRejected([MSG_TOPIC_NOT_FOUND])
        if not self._can_see(user, topic) or (topic.closed and not user.staff):
            raise _invalid_access()
        minimum = self.min_pm_post_length if topic.is_private_message else self.min_post_length
        errors = self._raw_errors(user, raw, minimum)
        if errors:
            raise PostRejected(errors)
        if reply_to is not None and self._post_by_number(topic, reply_to) is None:
            reply_to = None
        return self._add_post(topic, user, raw, reply_to)

    def _open_topic(
        self, user: FakeUser, title: str, archetype: str, category_id: int | None
    ) -> FakeTopic:
        now = self._utcnow()
        topic = FakeTopic(
            id=self._next_id("topic") + 10,
            title=_collapse(title),
            slug=_slugify(title),
            archetype=archetype,
            category_id=category_id,
            user_id=user.id,
            created_at=now,
            bumped_at=now,
            watcher_ids={user.id},
        )
        self._topics[topic.id] = topic
        return topic

    def _add_post(
        self, topic: FakeTopic, user: FakeUser, raw: str, reply_to: int | None
    ) -> FakePost:
        now = self._utcnow()
        topic.highest_post_number += 1
        post = FakePost(
            id=self._next_id("post") + 100,
            topic_id=topic.id,
            post_number=topic.highest_post_number,
            user_id=user.id,
            username=user.username,
            raw=raw,
            cooked=cook(raw),
            created_at=now,
            updated_at=now,
            reply_to_post_number=reply_to,
        )
        self._posts[post.id] = post
        self._touch()
        topic.post_ids.append(post.id)
        topic.bumped_at = now
        self._recent_raws[(user.id, _collapse(raw))] = self._now()
        self._notify(post, topic, user)
        if post.post_number == 1:
            self._fire("topic_created", "topic", {"topic": self._serialize_webhook_topic(topic)})
        self._fire("post_created", "post", {"post": self._serialize_webhook_post(post)})
        return post

    def _edit(self, user: FakeUser, post: FakePost, raw: str) -> FakePost:
        topic = self._topics[post.topic_id]
        if post.post_number == 1:
            minimum = self.min_first_post_length
        elif topic.is_private_message:
            minimum = self.min_pm_post_length
        else:
            minimum = self.min_post_length
        if len(_collapse(raw)) < minimum:
            raise PostRejected([f"Body is too short (minimum is {minimum} characters)"])
        if raw != post.raw:
            post.raw = raw
            post.cooked = cook(raw)
            post.version += 1
            post.updated_at = self._utcnow()
            self._touch()
            self._fire("post_edited", "post", {"post": self._serialize_webhook_post(post)})
        return post

    # ----------------------------------------------------------------- notifications

    def _notify(self, post: FakePost, topic: FakeTopic, author: FakeUser) -> None:
        """PostAlerter's order: mentions, group mentions, reply, quotes, then watchers."""
        notified = {author.id}

        def send(user: FakeUser, kind: NotificationType, extra: Json | None = None) -> None:
            if user.id in notified or not self._can_see(user, topic):
                return
            notified.add(user.id)
            self._add_notification(user, kind, post, topic, author, extra)

        for name in extract_mentions(post.raw):
            if name in self._users:
                send(self._users[name], NotificationType.MENTIONED)
            elif name in self._groups and self._groups[name].mentionable:
                group = self._groups[name]
                extra = {"group_id": group.id, "group_name": group.name}
                for member in group.members:
                    send(self.user(member), NotificationType.GROUP_MENTIONED, extra)
        if post.reply_to_post_number and not topic.is_private_message:
            target = self._post_by_number(topic, post.reply_to_post_number)
            if target is not None:
                send(self._users_by_id()[target.user_id], NotificationType.REPLIED)
        for quoted in self._quoted_users(post.raw):
            send(quoted, NotificationType.QUOTED)
        if topic.is_private_message:
            for user_id in sorted(self._participant_ids(topic)):
                send(self._users_by_id()[user_id], NotificationType.PRIVATE_MESSAGE)
        elif post.post_number > 1:
            for user_id in sorted(topic.watcher_ids):
                send(self._users_by_id()[user_id], NotificationType.POSTED)

    def _quoted_users(self, raw: str) -> list[FakeUser]:
        users = []
        for username, post_number, topic_id in extract_quotes(raw):
            topic = self._topics.get(topic_id)
            quoted = self._post_by_number(topic, post_number) if topic else None
            if quoted is not None:
                users.append(self._users_by_id()[quoted.user_id])
            elif username in self._users:
                users.append(self._users[username])
        return users

    def _users_by_id(self) -> dict[int, FakeUser]:
        return {user.id: user for user in self._users.values()}

    def _add_notification(
        self,
        user: FakeUser,
        kind: NotificationType,
        post: FakePost,
        topic: FakeTopic,
        author: FakeUser,
        extra: Json | None,
    ) -> None:
        data: Json = {
            "topic_title": topic.title,
            "original_post_id": post.id,
            "original_post_type": post.post_type,
            "original_username": author.username,
            "revision_number": None,
            "display_username": author.username,
        }
        data.update(extra or {})
        self._notifications.append(
            FakeNotification(
                id=self._next_id("notification"),
                user_id=user.id,
                notification_type=int(kind),
                created_at=self._utcnow(),
                topic_id=topic.id,
                post_number=post.post_number,
                slug=topic.slug,
                fancy_title=html.escape(topic.title, quote=False),
                data=data,
                high_priority=kind == NotificationType.PRIVATE_MESSAGE,
            )
        )

    # ----------------------------------------------------------------- webhooks

    def add_webhook(
        self,
        url: str,
        secret: str | None = None,
        events: Iterable[str] = ("post_created",),
        *,
        retries: int = 0,
        retry_delay: float = 0.05,
    ) -> FakeWebhook:
        """Deliver these events (names like "post_created", or types like "post") to `url`."""
        hook = FakeWebhook(
            id=self._next_id("webhook"),
            url=url,
            secret=secret,
            events=tuple(events),
            retries=retries,
            retry_delay=retry_delay,
        )
        self.webhooks.append(hook)
        return hook

    async def ping_webhook(self, hook: FakeWebhook | None = None) -> list[WebhookDelivery]:
        """Send Discourse's ping event ({"ping": "OK"}) and wait for the answer."""
        hooks = [hook] if hook else list(self.webhooks)
        deliveries: list[WebhookDelivery] = []
        for target in hooks:
            event_id = self._next_id("webhook_event")
            body = json.dumps({"ping": "OK"}).encode()
            deliveries += await self._deliver(target, "ping", "ping", event_id, body)
        return deliveries

    async def wait_webhooks(self, within: float = 5.0) -> None:
        """Wait (at most `within` seconds) until every pending delivery is done."""
        pending = {task for task in self._webhook_tasks if not task.done()}
        if not pending:
            return
        _done, still = await asyncio.wait(pending, timeout=within)
        if still:
            raise TimeoutError(f"{len(still)} webhook deliveries still pending after {within}s")

    def _fire(self, event: str, event_type: str, payload: Json) -> None:
        hooks = [hook for hook in self.webhooks if hook.wants(event, event_type)]
        if not hooks:
            return
        body = json.dumps(payload).encode()
        loop = asyncio.get_running_loop()
        for hook in hooks:
            event_id = self._next_id("webhook_event")
            task = loop.create_task(
                self._deliver_in_background(hook, event, event_type, event_id, body)
            )
            self._webhook_tasks.add(task)
            task.add_done_callback(self._webhook_tasks.discard)

    async def _deliver_in_background(
        self, hook: FakeWebhook, event: str, event_type: str, event_id: int, body: bytes
    ) -> None:
        await self._deliver(hook, event, event_type, event_id, body)

    async def _deliver(
        self, hook: FakeWebhook, event: str, event_type: str, event_id: int, body: bytes
    ) -> list[WebhookDelivery]:
        headers = {
            "Content-Type": "application/json",
            "Accept": "*/*",
            "User-Agent": "Discourse/3.4.0 (fake)",
            HEADER_INSTANCE: self.url,
            HEADER_EVENT_ID: str(event_id),
            HEADER_EVENT_TYPE: event_type,
            HEADER_EVENT: event,
        }
        if hook.secret:
            headers[HEADER_EVENT_SIGNATURE] = sign_webhook(hook.secret, body)
        deliveries = []
        for attempt in range(1, hook.retries + 2):
            delivery = await self._post_once(hook.url, event, event_id, headers, body, attempt)
            deliveries.append(delivery)
            if delivery.status is not None and 200 <= delivery.status < 300:
                break
            if attempt <= hook.retries:
                await asyncio.sleep(hook.retry_delay)
        return deliveries

    async def _post_once(
        self,
        url: str,
        event: str,
        event_id: int,
        headers: dict[str, str],
        body: bytes,
        attempt: int,
    ) -> WebhookDelivery:
        delivery = WebhookDelivery(url, event, event_id, dict(headers), body, attempt)
        self.webhook_deliveries.append(delivery)
        if self._session is None:
            delivery.error = "fake forum not started"
            return delivery
        try:
            return await self._send(delivery, url, headers, body)
        finally:
            self._touch()

    async def _send(
        self, delivery: WebhookDelivery, url: str, headers: dict[str, str], body: bytes
    ) -> WebhookDelivery:
        assert self._session is not None
        timeout = aiohttp.ClientTimeout(total=self.webhook_timeout)
        try:
            async with self._session.post(url, data=body, headers=headers, timeout=timeout) as resp:
                await resp.read()
                delivery.status = resp.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            delivery.error = f"{type(exc).__name__}: {exc}"
        return delivery

    # ----------------------------------------------------------------- serializers

    def _avatar(self, user: FakeUser) -> str:
        return f"/letter_avatar_proxy/v4/letter/{user.username[:1].lower()}/8c91f0/{{size}}.png"

    def _basic_user(self, user: FakeUser) -> Json:
        return {
            "id": user.id,
            "username": user.username,
            "name": user.name,
            "avatar_template": self._avatar(user),
        }

    def _serialize_post(
        self,
        post: FakePost,
        viewer: FakeUser | None,
        *,
        raw: bool = False,
        title: bool = False,
        created: bool = False,
        in_topic: bool = False,
    ) -> Json:
        """PostSerializer: `raw` only when asked (single post, latest posts, include_raw)."""
        author = self._users_by_id()[post.user_id]
        topic = self._topics[post.topic_id]
        owns = viewer is not None and viewer.id == author.id
        staff = viewer is not None and viewer.staff
        replies = [p for p in self.posts_in(topic.id) if p.reply_to_post_number == post.post_number]
        body: Json = {
            "id": post.id,
            "name": author.name,
            "username": author.username,
            "avatar_template": self._avatar(author),
            "created_at": _iso(post.created_at),
            "cooked": post.cooked,
            "post_number": post.post_number,
            "post_type": post.post_type,
            "updated_at": _iso(post.updated_at),
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
        if post.reply_to_post_number:
            target = self._post_by_number(topic, post.reply_to_post_number)
            if target is not None:
                target_author = self._users_by_id()[target.user_id]
                body["reply_to_user"] = {
                    "username": target_author.username,
                    "name": target_author.name,
                    "avatar_template": self._avatar(target_author),
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
            body["excerpt"] = html.escape(_collapse(post.raw)[:300], quote=False)
            body["truncated"] = len(_collapse(post.raw)) > 300
        if created:
            body["draft_sequence"] = 0
        return body

    def _serialize_webhook_post(self, post: FakePost) -> Json:
        """WebHookPostSerializer: the post with raw, topic title, archetype and category."""
        topic = self._topics[post.topic_id]
        body = self._serialize_post(post, None, raw=True, title=True)
        for key in ("yours", "can_edit", "can_delete", "can_recover", "can_wiki", "excerpt"):
            body.pop(key, None)
        category = self._categories.get(topic.category_id) if topic.category_id else None
        body.update(
            {
                "topic_archetype": topic.archetype,
                "topic_posts_count": topic.posts_count,
                "topic_filtered_posts_count": topic.posts_count,
                "category_slug": category.slug if category else None,
            }
        )
        return body

    def _serialize_webhook_topic(self, topic: FakeTopic) -> Json:
        creator = self._users_by_id()[topic.user_id]
        return {
            "id": topic.id,
            "title": topic.title,
            "fancy_title": html.escape(topic.title, quote=False),
            "slug": topic.slug,
            "archetype": topic.archetype,
            "category_id": topic.category_id,
            "user_id": topic.user_id,
            "created_at": _iso(topic.created_at),
            "posts_count": topic.posts_count,
            "visible": True,
            "closed": topic.closed,
            "archived": False,
            "created_by": self._basic_user(creator),
            "tags": [],
        }

    def _serialize_topic_view(
        self,
        topic: FakeTopic,
        viewer: FakeUser | None,
        include_raw: bool,
        post_number: int | None,
    ) -> Json:
        """TopicViewSerializer: first chunk (or the chunk around post_number), all ids."""
        posts = self.posts_in(topic.id)
        chunk = self._chunk(posts, post_number)
        last = posts[-1] if posts else None
        body: Json = {
            "post_stream": {
                "posts": [
                    self._serialize_post(p, viewer, raw=include_raw, in_topic=True) for p in chunk
                ],
                "stream": [p.id for p in posts],
            },
            "timeline_lookup": [[1, 0]],
            "suggested_topics": [],
            "tags": [],
            "tags_descriptions": {},
            "id": topic.id,
            "title": topic.title,
            "fancy_title": html.escape(topic.title, quote=False),
            "posts_count": topic.posts_count,
            "created_at": _iso(topic.created_at),
            "views": 1,
            "reply_count": max(0, topic.posts_count - 1),
            "like_count": 0,
            "last_posted_at": _iso(last.created_at) if last else None,
            "visible": True,
            "closed": topic.closed,
            "archived": False,
            "has_summary": False,
            "archetype": topic.archetype,
            "slug": topic.slug,
            "category_id": topic.category_id,
            "word_count": sum(len(p.raw.split()) for p in posts),
            "deleted_at": None,
            "user_id": topic.user_id,
            "featured_link": None,
            "pinned_globally": False,
            "pinned_at": None,
            "pinned_until": None,
            "image_url": None,
            "slow_mode_seconds": 0,
            "draft": None,
            "draft_key": f"topic_{topic.id}",
            "draft_sequence": 0,
            "unpinned": None,
            "pinned": False,
            "current_post_number": post_number or 1,
            "highest_post_number": topic.highest_post_number,
            "deleted_by": None,
            "has_deleted": False,
            "actions_summary": [],
            "chunk_size": CHUNK_SIZE,
            "bookmarked": False,
            "bookmarks": [],
            "topic_timer": None,
            "message_bus_last_id": 0,
            "participant_count": len({p.user_id for p in posts}),
            "show_read_indicator": False,
            "thumbnails": None,
            "slow_mode_enabled_until": None,
            "details": self._serialize_topic_details(topic, viewer, posts),
        }
        return body

    def _serialize_topic_details(
        self, topic: FakeTopic, viewer: FakeUser | None, posts: list[FakePost]
    ) -> Json:
        by_id = self._users_by_id()
        counts: dict[int, int] = {}
        for post in posts:
            counts[post.user_id] = counts.get(post.user_id, 0) + 1
        participants = [
            {**self._basic_user(by_id[uid]), "post_count": n} for uid, n in counts.items()
        ]
        watching = viewer is not None and viewer.id in topic.watcher_ids
        details: Json = {
            "can_edit": viewer is not None and (viewer.staff or viewer.id == topic.user_id),
            "notification_level": WATCHING if watching else REGULAR_LEVEL,
            "can_create_post": viewer is not None and (not topic.closed or viewer.staff),
            "can_reply_as_new_topic": viewer is not None,
            "can_flag_topic": viewer is not None,
            "participants": participants,
            "created_by": self._basic_user(by_id[topic.user_id]),
            "last_poster": self._basic_user(by_id[posts[-1].user_id]) if posts else None,
        }
        if topic.is_private_message:
            details["allowed_users"] = [
                self._basic_user(by_id[uid]) for uid in sorted(topic.allowed_user_ids)
            ]
            details["allowed_groups"] = [
                {"id": g.id, "name": g.name, "automatic": False, "user_count": len(g.members)}
                for g in self._groups.values()
                if g.id in topic.allowed_group_ids
            ]
        return details

    def _serialize_topic_list(self, topics: list[FakeTopic], path: str) -> Json:
        """TopicListSerializer, bumped first, one page."""
        ordered = sorted(topics, key=lambda t: t.bumped_at, reverse=True)[:TOPIC_LIST_PER_PAGE]
        by_id = self._users_by_id()
        user_ids: dict[int, None] = {}
        items = []
        for topic in ordered:
            posts = self.posts_in(topic.id)
            posters = list(dict.fromkeys(p.user_id for p in posts))
            user_ids.update(dict.fromkeys(posters))
            items.append(self._serialize_topic_list_item(topic, posts, posters))
        return {
            "users": [self._basic_user(by_id[uid]) for uid in user_ids],
            "primary_groups": [],
            "topic_list": {
                "can_create_topic": True,
                "more_topics_url": None if len(topics) <= TOPIC_LIST_PER_PAGE else f"{path}?page=1",
                "per_page": TOPIC_LIST_PER_PAGE,
                "top_tags": [],
                "topics": items,
            },
        }

    def _serialize_topic_list_item(
        self, topic: FakeTopic, posts: list[FakePost], posters: list[int]
    ) -> Json:
        last = posts[-1] if posts else None
        last_user = self._users_by_id()[last.user_id] if last else None
        return {
            "id": topic.id,
            "title": topic.title,
            "fancy_title": html.escape(topic.title, quote=False),
            "slug": topic.slug,
            "posts_count": topic.posts_count,
            "reply_count": max(0, topic.posts_count - 1),
            "highest_post_number": topic.highest_post_number,
            "image_url": None,
            "created_at": _iso(topic.created_at),
            "last_posted_at": _iso(last.created_at) if last else None,
            "bumped": True,
            "bumped_at": _iso(topic.bumped_at),
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

    def _serialize_category(self, category: FakeCategory) -> Json:
        count = sum(1 for t in self._topics.values() if t.category_id == category.id)
        return {
            "id": category.id,
            "name": category.name,
            "slug": category.slug,
            "color": "0088CC",
            "text_color": "FFFFFF",
            "topic_count": count,
            "post_count": count,
            "position": category.id,
            "description": None,
            "read_restricted": False,
            "parent_category_id": None,
        }

    def _serialize_notification(self, notification: FakeNotification) -> Json:
        actor = self._users.get(str(notification.data.get("original_username", "")).lower())
        return {
            "id": notification.id,
            "user_id": notification.user_id,
            "external_id": None,
            "notification_type": notification.notification_type,
            "read": notification.read,
            "high_priority": notification.high_priority,
            "created_at": _iso(notification.created_at),
            "post_number": notification.post_number,
            "topic_id": notification.topic_id,
            "fancy_title": notification.fancy_title,
            "slug": notification.slug,
            "data": dict(notification.data),
            "acting_user_avatar_template": self._avatar(actor) if actor else None,
            "acting_user_name": actor.name if actor else None,
        }

    def _serialize_current_user(self, user: FakeUser) -> Json:
        unread = [n for n in self._notifications if n.user_id == user.id and not n.read]
        return {
            "id": user.id,
            "username": user.username,
            "name": user.name,
            "avatar_template": self._avatar(user),
            "admin": user.admin,
            "moderator": user.moderator,
            "staff": user.staff,
            "trust_level": user.trust_level,
            "unread_notifications": sum(1 for n in unread if not n.high_priority),
            "unread_high_priority_notifications": sum(1 for n in unread if n.high_priority),
            "seen_notification_id": self._seen_notification.get(user.id, 0),
            "can_create_topic": True,
            "groups": [{"id": self.group(g).id, "name": self.group(g).name} for g in user.groups],
        }

    def _serialize_user(self, user: FakeUser) -> Json:
        posts = [p for p in self._posts.values() if p.user_id == user.id]
        return {
            "id": user.id,
            "username": user.username,
            "name": user.name,
            "avatar_template": self._avatar(user),
            "last_posted_at": _iso(posts[-1].created_at) if posts else None,
            "last_seen_at": _iso(self._utcnow()),
            "created_at": _iso(user.created_at),
            "ignored": False,
            "muted": False,
            "can_ignore_user": False,
            "can_mute_user": False,
            "can_send_private_messages": True,
            "can_send_private_message_to_user": True,
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
            "post_count": len(posts),
            "topic_count": sum(1 for t in self._topics.values() if t.user_id == user.id),
            "groups": [self._serialize_group(self.group(name)) for name in user.groups],
            "featured_user_badge_ids": [],
            "invited_by": None,
        }

    @staticmethod
    def _serialize_group(group: FakeGroup) -> Json:
        return {
            "id": group.id,
            "automatic": False,
            "name": group.name,
            "display_name": group.name,
            "user_count": len(group.members),
            "mentionable_level": 99 if group.mentionable else 0,
            "messageable_level": 99 if group.messageable else 0,
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
            "default_notification_level": WATCHING,
            "membership_request_template": None,
        }

    def _serialize_member(self, user: FakeUser) -> Json:
        return {
            "id": user.id,
            "username": user.username,
            "name": user.name,
            "avatar_template": self._avatar(user),
            "title": None,
            "last_posted_at": None,
            "last_seen_at": _iso(self._utcnow()),
            "added_at": _iso(user.created_at),
            "timezone": "Europe/Paris",
        }


def _reason(status: int) -> str:
    """The standard reason phrase of an HTTP status."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
