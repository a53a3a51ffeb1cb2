"""The fake forum over real HTTP on 127.0.0.1: the endpoints Tremplin calls, and no others.

Request handling follows Discourse's layers in order: the per-IP limits of
`lib/middleware/request_tracker.rb` (`Middleware::RequestTracker#call`, text/plain 429s), then
authentication and the API keys' budgets (`Auth::DefaultCurrentUserProvider#current_user`),
then the controller. Fault injection acts before all of it, like a proxy in front of the forum.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from http import HTTPStatus
from types import TracebackType
from typing import Any

from aiohttp import web

from tests.fakes.discourse.errors import (
    HEADER_RATE_LIMIT_CODE,
    MSG_INVALID_API,
    ApiError,
    PostRejected,
    RateLimited,
    int_param,
    invalid_access,
    not_found,
    not_logged_in,
)
from tests.fakes.discourse.limits import RollingLimiter
from tests.fakes.discourse.posting import Posting
from tests.fakes.discourse.serializers import Serializers
from tests.fakes.discourse.settings import GroupLevel, SiteSettings, TrustLevel
from tests.fakes.discourse.site import (
    ARCHETYPE_PRIVATE_MESSAGE,
    FakeCategory,
    FakeGroup,
    FakeNotification,
    FakePost,
    FakeTopic,
    FakeUser,
    PendingPost,
    Site,
)
from tests.fakes.discourse.text import slugify
from tests.fakes.discourse.webhooks import FakeWebhook, WebhookDelivery, Webhooks

__all__ = ["FakeDiscourse", "RecordedRequest"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Json = dict[str, Any]

NGINX_PAGE = (
    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
CHUNK_SIZE = 20  # TopicView::CHUNK_SIZE
NOTIFICATIONS_PER_PAGE = 60
# Members and the bot are established accounts unless a test says otherwise.
ESTABLISHED = timedelta(days=365)


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
class _Viewer:
    user: FakeUser | None
    auth: str


# aiohttp >= 3.12 wants typed request keys; older versions take plain strings.
_VIEWER: Any = (
    web.RequestKey("fake_discourse_viewer", _Viewer)
    if hasattr(web, "RequestKey")
    else ("fake_discourse_viewer")
)


def _nest(items: Iterable[tuple[str, Any]]) -> Json:
    """Rails-style params: `a[]` keys become lists."""
    params: Json = {}
    for key, value in items:
        if key.endswith("[]"):
            params.setdefault(key[:-2], []).append(value)
        else:
            params[key] = value
    return params


async def _read_params(request: web.Request) -> Json:
    """Query string, then a form-encoded or JSON body, merged as Rails params."""
    params = _nest(request.query.items())
    if not request.body_exists:
        return params
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError as error:
            raise ApiError(400, ["Invalid JSON body"], "invalid_parameters") from error
        if isinstance(body, dict):
            params.update(body)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        params.update(_nest((key, value) for key, value in form.items() if isinstance(value, str)))
    return params


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class FakeDiscourse:
    """An in-memory Discourse forum served over real HTTP on 127.0.0.1.

    By default it is a forum with Discourse's default settings, every rate limit on
    (`SiteSettings()`); `SiteSettings.friendly()` switches them off for tests about something
    else. Ids are offset (topics from 11, posts from 101, groups from 41) so that a post id is
    never mistaken for a post number. Call the helpers from the event loop's thread (async
    tests): they schedule webhook deliveries on the running loop. `advance` moves the forum's
    clock; `monotonic` lets a test share one simulated clock with the bot.
    """

    def __init__(
        self,
        settings: SiteSettings | None = None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        start: datetime | None = None,
    ) -> None:
        self.settings = settings or SiteSettings()
        self.site = Site(self.settings, monotonic=monotonic, start=start)
        self.posting = Posting(self.site)
        self.json = Serializers(self.site)
        self.requests: list[RecordedRequest] = []
        self._webhooks = Webhooks(lambda: self.url, self._touch)
        self.posting.created.append(self._fire_post_events)
        self._admin_keys: dict[str, str | None] = {}
        self._user_keys: dict[str, str] = {}
        self._key_limiters: dict[str, RollingLimiter] = {}
        self._memo: dict[tuple[int, str], tuple[float, int, Json]] = {}
        self._seen_notification: dict[int, int] = {}
        self._injections: list[_Injection] = []
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
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
        await self._webhooks.start()

    async def stop(self) -> None:
        """Stop serving; pending webhook deliveries are cancelled."""
        await self._webhooks.stop()
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
        """Move the forum's clock forward (rate-limit windows, timestamps)."""
        self.site.advance(seconds)

    def now(self) -> float:
        return self.site.now()

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

    # ----------------------------------------------------------------- setup

    def add_user(
        self,
        username: str,
        *,
        name: str | None = None,
        admin: bool = False,
        moderator: bool = False,
        groups: Iterable[str] = (),
        trust_level: int = TrustLevel.BASIC,
        id: int | None = None,
        new: bool = False,
        allow_private_messages: bool = True,
    ) -> FakeUser:
        """An account; an established one (a year old, already posting) unless `new`."""
        now = self.site.utcnow()
        user = FakeUser(
            id=id if id is not None else self.site.next_id("user"),
            username=username,
            name=name if name is not None else username.capitalize(),
            created_at=now if new else now - ESTABLISHED,
            admin=admin,
            moderator=moderator,
            trust_level=trust_level,
            allow_private_messages=allow_private_messages,
            first_post_created_at=None if new else now - ESTABLISHED,
            post_count=0 if new else 10,
            topic_count=0 if new else 1,
        )
        self.site.users[username.lower()] = user
        for group_name in groups:
            self._join(group_name, username)
        return user

    def set_trust_level(self, username: str, level: int) -> None:
        """An admin (or the forum's own promotion job) changes an account's trust level."""
        self.site.user(username).trust_level = level

    def add_group(
        self,
        name: str,
        members: Iterable[str] = (),
        *,
        owners: Iterable[str] = (),
        mentionable: bool = False,
        messageable: bool = False,
        messageable_level: int | None = None,
    ) -> FakeGroup:
        """A group with these member usernames. It is messageable by nobody but admins,
        Discourse's default, unless `messageable` (everyone) or another level is given."""
        group = self.site.groups.get(name.lower())
        if group is None:
            group = FakeGroup(id=self.site.next_id("group", 40), name=name)
            self.site.groups[name.lower()] = group
        group.mentionable_level = GroupLevel.EVERYONE if mentionable else GroupLevel.NOBODY
        if messageable_level is not None:
            group.messageable_level = messageable_level
        else:
            group.messageable_level = GroupLevel.EVERYONE if messageable else GroupLevel.NOBODY
        group.owners = [self.site.user(owner).username for owner in owners]
        for username in [*members, *group.owners]:
            self._join(name, username)
        return group

    def _join(self, group_name: str, username: str) -> None:
        group = self.site.groups.get(group_name.lower()) or self.add_group(group_name)
        user = self.site.user(username)
        if user.username not in group.members:
            group.members.append(user.username)
        if group.name not in user.groups:
            user.groups.append(group.name)

    def add_category(
        self,
        id: int,
        name: str,
        *,
        slug: str | None = None,
        parent: int | None = None,
        require_topic_approval: bool = False,
        require_reply_approval: bool = False,
    ) -> FakeCategory:
        """A category, or a subcategory of `parent`."""
        category = FakeCategory(
            id,
            name,
            slug or slugify(name),
            parent,
            require_topic_approval,
            require_reply_approval,
        )
        self.site.categories[id] = category
        return category

    def add_admin_key(self, key: str, username: str | None = None) -> None:
        """An admin API key: bound to `username`, or usable as any user when None."""
        self._admin_keys[key] = username

    def add_user_api_key(self, key: str, username: str) -> None:
        """A user API key (header User-Api-Key), acting as `username` only."""
        self.site.user(username)
        self._user_keys[key] = username

    # ----------------------------------------------------------------- members, as in a browser

    def _as_member(self, username: str, params: Json) -> FakePost | PendingPost:
        """A member posts from the browser: the composer sends its typing time, so a person
        is never taken for a fast-typing spammer."""
        params = {**params, "typing_duration_msecs": 20000}
        return self.posting.create(self.site.user(username), params, first_post_checks=True)

    def create_topic_as(
        self, username: str, title: str, raw: str, category_id: int | None = None
    ) -> FakeTopic:
        params: Json = {"title": title, "raw": raw}
        if category_id is not None:
            params["category"] = category_id
        created = self._as_member(username, params)
        assert isinstance(created, FakePost), "held for approval"
        return self.site.topics[created.topic_id]

    def create_pm_as(
        self, username: str, title: str, raw: str, recipients: Sequence[str]
    ) -> FakeTopic:
        params = {
            "title": title,
            "raw": raw,
            "archetype": ARCHETYPE_PRIVATE_MESSAGE,
            "target_recipients": ",".join(recipients),
        }
        created = self._as_member(username, params)
        assert isinstance(created, FakePost)
        return self.site.topics[created.topic_id]

    def member_posts(
        self,
        username: str,
        topic_id: int,
        raw: str,
        reply_to_post_number: int | None = None,
    ) -> FakePost:
        """`username` replies in a topic: notifications are created, webhooks fire."""
        params: Json = {"topic_id": topic_id, "raw": raw}
        if reply_to_post_number is not None:
            params["reply_to_post_number"] = reply_to_post_number
        created = self._as_member(username, params)
        assert isinstance(created, FakePost), "held for approval"
        return created

    def close_topic(self, topic_id: int, closed: bool = True) -> None:
        self.site.topics[topic_id].closed = closed

    def approve(self, pending_id: int) -> FakePost:
        """A moderator approves a post held in the review queue."""
        return self.posting.approve(self.site.pending[pending_id])

    # ----------------------------------------------------------------- introspection

    @property
    def posts(self) -> list[FakePost]:
        """Every post, in creation order."""
        return sorted(self.site.posts.values(), key=lambda post: post.id)

    @property
    def topics(self) -> list[FakeTopic]:
        """Every topic and private message, in creation order."""
        return sorted(self.site.topics.values(), key=lambda topic: topic.id)

    @property
    def pending_posts(self) -> list[PendingPost]:
        """Posts waiting in the review queue."""
        return [p for p in self.site.pending.values() if p.status == "pending"]

    def user(self, username: str) -> FakeUser:
        return self.site.user(username)

    def group(self, name: str) -> FakeGroup:
        return self.site.groups[name.lower()]

    def topic(self, topic_id: int) -> FakeTopic:
        return self.site.topics[topic_id]

    def post(self, post_id: int) -> FakePost:
        return self.site.posts[post_id]

    def posts_in(self, topic_id: int) -> list[FakePost]:
        """The posts of a topic, by post number."""
        return self.site.posts_in(topic_id)

    def notifications_for(self, username: str) -> list[FakeNotification]:
        """Notifications of `username` that still exist, oldest first."""
        user_id = self.site.user(username).id
        return [n for n in self.site.notifications if n.user_id == user_id]

    def requests_to(self, path_prefix: str, method: str | None = None) -> list[RecordedRequest]:
        return [
            r
            for r in self.requests
            if r.path.startswith(path_prefix) and (method is None or r.method == method.upper())
        ]

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
        return self._webhooks.add(url, secret, events, retries, retry_delay)

    async def ping_webhook(self, hook: FakeWebhook | None = None) -> list[WebhookDelivery]:
        return await self._webhooks.ping(hook)

    async def wait_webhooks(self, within: float = 5.0) -> None:
        await self._webhooks.wait(within)

    @property
    def webhook_deliveries(self) -> list[WebhookDelivery]:
        return self._webhooks.deliveries

    def _fire_post_events(self, post: FakePost, topic: FakeTopic) -> None:
        self._touch()
        if post.post_number == 1:
            self._webhooks.fire("topic_created", "topic", {"topic": self.json.webhook_topic(topic)})
        self._webhooks.fire("post_created", "post", {"post": self.json.webhook_post(post)})

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

        5xx answers are nginx's HTML error page; a 429 is the request tracker's per-IP
        refusal (text/plain, `Retry-After`, default 10 s).
        """
        self._injections.append(
            _Injection(count, status, None, path_prefix, method, retry_after, body)
        )

    def inject_delay(
        self,
        seconds: float,
        count: int = 1,
        *,
        path_prefix: str | None = None,
        method: str | None = None,
    ) -> None:
        """The next `count` matching requests are handled at once, but their answers take
        `seconds` to come back: a client that times out has had its POST applied anyway."""
        self._injections.append(_Injection(count, None, seconds, path_prefix, method))

    def clear_injections(self) -> None:
        self._injections.clear()

    def _injection_for(self, request: web.Request) -> _Injection | None:
        for injection in self._injections:
            if injection.matches(request):
                injection.count -= 1
                return injection
        return None

    @staticmethod
    def _injected_response(injection: _Injection) -> web.Response:
        status = injection.status or 500
        if status == 429:
            wait = math.ceil(injection.retry_after if injection.retry_after is not None else 10)
            return _per_ip_refusal(wait, "ip_10_secs_limit")
        if injection.body is not None:
            return web.Response(status=status, text=injection.body, content_type="text/html")
        if status >= 500:
            page = NGINX_PAGE.format(status=status, reason=_reason(status))
            return web.Response(status=status, text=page, content_type="text/html")
        return web.json_response(
            {"errors": [_reason(status)], "error_type": "injected"}, status=status
        )

    # ----------------------------------------------------------------- HTTP plumbing

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        record = RecordedRequest(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers=dict(request.headers),
            time=self.site.now(),
            body=await request.read() if request.body_exists else b"",
        )
        self.requests.append(record)
        response: web.StreamResponse
        injection = self._injection_for(request)
        try:
            if injection is not None and injection.delay is None:
                response = self._injected_response(injection)
            else:
                refused = self._per_ip_limits()
                if refused is not None:
                    response = refused
                else:
                    viewer = self._authenticate(request)
                    record.auth = viewer.auth
                    record.username = viewer.user.username if viewer.user else None
                    request[_VIEWER] = viewer
                    response = await handler(request)
        except ApiError as error:
            response = error.response()
        except (web.HTTPNotFound, web.HTTPMethodNotAllowed):
            response = not_found().response()
        record.status = response.status
        self._touch()
        if injection is not None and injection.delay is not None:
            await asyncio.sleep(injection.delay)
        return response

    def _key_limiter(
        self, name: str, limit: int | None, period: float, code: str
    ) -> RollingLimiter:
        limiter = self._key_limiters.get(name)
        if limiter is None:
            limiter = self._key_limiters[name] = RollingLimiter(limit, period, code)
        return limiter

    def _per_ip_limits(self) -> web.Response | None:
        """`Middleware::RequestTracker#rate_limit`: every request from one address counts,
        before anything else; refused in text/plain. (The forum sees the bot's public
        address, so loopback is not exempt here as `max_reqs_rate_limit_on_private` would
        make it on the forum's own machine.)"""
        now = self.site.now()
        settings = self.settings
        ten = self._key_limiter(
            "ip10", settings.max_reqs_per_ip_per_10_seconds, 10, "ip_10_secs_limit"
        )
        sixty = self._key_limiter(
            "ip60", settings.max_reqs_per_ip_per_minute, 60, "ip_60_secs_limit"
        )
        for limiter in (ten, sixty):
            try:
                limiter.performed(now)
            except RateLimited as limited:
                if limiter is sixty:
                    ten.rollback()
                return _per_ip_refusal(limited.wait_seconds, limiter.error_code or "")
        return None

    def _authenticate(self, request: web.Request) -> _Viewer:
        """`Auth::DefaultCurrentUserProvider#current_user`."""
        api_key = request.headers.get("Api-Key")
        user_api_key = request.headers.get("User-Api-Key")
        if api_key is not None:
            return self._authenticate_admin_key(api_key, request.headers.get("Api-Username"))
        if user_api_key is not None:
            return self._authenticate_user_key(user_api_key)
        return _Viewer(user=None, auth="none")

    def _authenticate_admin_key(self, key: str, username: str | None) -> _Viewer:
        """All admin keys of a site share one budget a minute (`admin_api_key_limiter`); their
        requests don't count against the per-IP limits (rolled back)."""
        if key not in self._admin_keys:
            raise invalid_access(MSG_INVALID_API)
        bound = self._admin_keys[key]
        if bound is not None and username and username.lower() != bound.lower():
            raise invalid_access(MSG_INVALID_API)
        acting = bound or username
        user = self.site.users.get(acting.lower()) if acting else None
        if user is None:
            raise invalid_access(MSG_INVALID_API)
        self._key_limiters["ip10"].rollback()
        self._key_limiters["ip60"].rollback()
        limit = self.settings.max_admin_api_reqs_per_minute
        self._key_limiter("admin", limit, 60, "admin_api_key_rate_limit").performed(self.site.now())
        return _Viewer(user=user, auth="admin")

    def _authenticate_user_key(self, key: str) -> _Viewer:
        """A user API key: 20 requests a minute and 2,880 a day (`user_api_key_limiter_60_secs`,
        then `user_api_key_limiter_1_day`, each hit recorded as it passes)."""
        username = self._user_keys.get(key)
        if username is None:
            raise invalid_access()
        now = self.site.now()
        settings = self.settings
        minute = self._key_limiter(
            f"user-min:{key}",
            settings.max_user_api_reqs_per_minute,
            60,
            "user_api_key_limiter_60_secs",
        )
        day = self._key_limiter(
            f"user-day:{key}",
            settings.max_user_api_reqs_per_day,
            86400,
            "user_api_key_limiter_1_day",
        )
        minute.performed(now)
        day.performed(now)
        return _Viewer(user=self.site.user(username), auth="user")

    @staticmethod
    def _viewer(request: web.Request) -> FakeUser | None:
        viewer: _Viewer = request[_VIEWER]
        return viewer.user

    def _logged_in(self, request: web.Request) -> FakeUser:
        user = self._viewer(request)
        if user is None:
            raise not_logged_in()
        return user

    def _add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/posts.json", self._create_post)
        router.add_post("/posts", self._create_post)
        router.add_get(r"/posts/{post_id:\d+}.json", self._get_post)
        router.add_get(r"/t/{topic_id:\d+}/posts.json", self._topic_posts)
        router.add_get("/notifications.json", self._notifications)
        router.add_get("/u/{username}.json", self._user)
        router.add_get("/groups/{name}/members.json", self._group_members)
        router.add_get("/groups/{name}/messageable.json", self._group_messageable)
        router.add_get("/c/{path:.+}/l/latest.json", self._category_topics)
        router.add_get("/topics/private-messages/{username}.json", self._private_messages)

    # ----------------------------------------------------------------- posts

    async def _create_post(self, request: web.Request) -> web.Response:
        """`PostsController#create`. With an admin key, the same request repeated within 120 s
        gets the first answer back (`DistributedMemoizer`)."""
        user = self._logged_in(request)
        params = await _read_params(request)
        admin = request[_VIEWER].auth == "admin"
        memo_key: tuple[int, str] | None = None
        if admin:
            memo_key = (user.id, json.dumps(params, sort_keys=True, default=str))
            cached = self._memo.get(memo_key)
            if cached and self.site.now() - cached[0] < self.settings.api_post_memo_seconds:
                return web.json_response(cached[2], status=cached[1])
        try:
            created = self.posting.create(user, params, first_post_checks=not admin)
            if isinstance(created, PendingPost):
                status, body = 200, self.json.enqueued(created)
            else:
                status, body = 200, self.json.post(created, user, created=True)
        except PostRejected as rejected:
            status, body = 422, {"action": "create_post", "errors": rejected.errors}
        if memo_key is not None:
            self._memo[memo_key] = (self.site.now(), status, body)
        return web.json_response(body, status=status)

    async def _get_post(self, request: web.Request) -> web.Response:
        """`PostsController#show`: one post, with its raw Markdown."""
        post = self.site.posts.get(int(request.match_info["post_id"]))
        if post is None:
            raise not_found()
        if not self.site.can_see(self._viewer(request), self.site.topics[post.topic_id]):
            raise invalid_access()
        return web.json_response(self.json.post(post, self._viewer(request), raw=True))

    def _visible_topic(self, request: web.Request, topic_id: int) -> FakeTopic:
        topic = self.site.topics.get(topic_id)
        if topic is None:
            raise not_found()
        if topic.is_private_message and self._viewer(request) is None:
            raise not_logged_in()  # TopicView#check_and_raise_exceptions
        if not self.site.can_see(self._viewer(request), topic):
            raise invalid_access()
        return topic

    async def _topic_posts(self, request: web.Request) -> web.Response:
        """`TopicsController#posts` → `TopicView#filter_posts`:

        * `post_ids[]`: exactly those posts (`filter_posts_by_ids`);
        * `post_number=N`: the posts whose sort order is strictly greater than post N's with
          `asc=true`, strictly smaller (newest first) without; never post N itself, and when
          N doesn't exist, the nearest post number's sort order stands in
          (`filter_posts_by_post_number`, `get_sort_order`); 20 at most;
        * neither: the first 20 posts (`filter_posts_paged`).
        """
        topic = self._visible_topic(request, int(request.match_info["topic_id"]))
        params = _nest(request.query.items())
        posts = self.site.posts_in(topic.id)
        wanted = params.get("post_ids")
        number = int_param(params, "post_number")
        if isinstance(wanted, list) and wanted:
            ids = {int(value) for value in wanted if str(value).isdigit()}
            posts = [post for post in posts if post.id in ids]
        elif number is not None and posts:
            order = self._sort_order(posts, number)
            if str(params.get("asc", "")).lower() in ("true", "t", "1", "yes", "on"):
                posts = [p for p in posts if p.sort_order > order][:CHUNK_SIZE]
            else:
                posts = [p for p in posts if p.sort_order < order][::-1][:CHUNK_SIZE]
        else:
            posts = posts[:CHUNK_SIZE]
        include_raw = params.get("include_raw") is not None  # Rails' !!params[:include_raw]
        viewer = self._viewer(request)
        serialized = [self.json.post(p, viewer, raw=include_raw, in_topic=True) for p in posts]
        return web.json_response({"post_stream": {"posts": serialized}, "id": topic.id})

    @staticmethod
    def _sort_order(posts: list[FakePost], number: int) -> int:
        """`TopicView#get_sort_order`: post N's, else the nearest post number's."""
        exact = [p for p in posts if p.post_number == number]
        if exact:
            return exact[0].sort_order
        return min(posts, key=lambda p: abs(p.post_number - number)).sort_order

    # ----------------------------------------------------------------- lists

    async def _category_topics(self, request: web.Request) -> web.Response:
        """`ListController#category_latest`. `set_category` finds the category by the id at the
        end of the path (or by its slugs), then answers 301 to the canonical path when the
        path isn't the category's full slug (parent slugs included)."""
        path = request.match_info["path"]
        parts = path.split("/")
        category: FakeCategory | None = None
        if parts[-1].isdigit():
            category = self.site.categories.get(int(parts[-1]))
        else:
            category = next(
                (
                    c
                    for c in self.site.categories.values()
                    if self.site.full_slug(c).startswith(path)
                ),
                None,
            )
        if category is None:
            raise not_found()
        canonical = self.site.full_slug(category)
        if path != canonical:
            location = request.path_qs.replace(path, canonical, 1)
            return web.Response(status=301, headers={"Location": location})
        family = {category.id} | self._descendants(category.id)
        topics = [
            t
            for t in self.site.topics.values()
            if t.category_id in family and not t.is_private_message
        ]
        page = int_param(request.query, "page") or 0
        return web.json_response(self.json.topic_list(topics, f"/c/{canonical}/l/latest", page))

    def _descendants(self, category_id: int) -> set[int]:
        children = {c.id for c in self.site.categories.values() if c.parent_id == category_id}
        for child in set(children):
            children |= self._descendants(child)
        return children

    async def _private_messages(self, request: web.Request) -> web.Response:
        """`ListController#private_messages`: the PMs a user takes part in; only they (or an
        admin) may list them."""
        viewer = self._logged_in(request)
        owner = self.site.users.get(request.match_info["username"].lower())
        if owner is None:
            raise not_found()
        if owner.id != viewer.id and not viewer.admin:
            raise invalid_access()
        topics = [
            t
            for t in self.site.topics.values()
            if t.is_private_message and owner.id in t.allowed_user_ids
        ]
        path = f"/topics/private-messages/{owner.username}"
        return web.json_response(self.json.topic_list(topics, path))

    # ----------------------------------------------------------------- users, groups

    async def _notifications(self, request: web.Request) -> web.Response:
        """`NotificationsController#index`: 60 a page, newest first."""
        user = self._logged_in(request)
        limit = int_param(request.query, "limit") or NOTIFICATIONS_PER_PAGE
        offset = int_param(request.query, "offset") or 0
        mine = [n for n in reversed(self.site.notifications) if n.user_id == user.id]
        page = mine[offset : offset + limit]
        if page:
            latest = max(n.id for n in page)
            self._seen_notification[user.id] = max(self._seen_notification.get(user.id, 0), latest)
        return web.json_response(
            {
                "notifications": [self.json.notification(n) for n in page],
                "total_rows_notifications": len(mine),
                "seen_notification_id": self._seen_notification.get(user.id, 0),
                "load_more_notifications": (
                    f"/notifications?offset={offset + limit}&username={user.username}"
                ),
            }
        )

    async def _user(self, request: web.Request) -> web.Response:
        """`UsersController#show`."""
        user = self.site.users.get(request.match_info["username"].lower())
        if user is None:
            raise not_found()
        body = {"user_badges": [], "user": self.json.user(user, self._viewer(request))}
        return web.json_response(body)

    def _group(self, request: web.Request) -> FakeGroup:
        group = self.site.groups.get(request.match_info["name"].lower())
        if group is None:
            raise not_found()
        return group

    async def _group_members(self, request: web.Request) -> web.Response:
        """`GroupsController#members`: owners apart, members paged (50 by default)."""
        group = self._group(request)
        limit = int_param(request.query, "limit") or 50
        offset = int_param(request.query, "offset") or 0
        members = [self.site.user(name) for name in group.members]
        owners = [self.site.user(name) for name in group.owners]
        return web.json_response(
            {
                "members": [self.json.member(u) for u in members[offset : offset + limit]],
                "owners": [self.json.member(u) for u in owners],
                "meta": {"total": len(members), "limit": limit, "offset": offset},
            }
        )

    async def _group_messageable(self, request: web.Request) -> web.Response:
        """`GroupsController#messageable`: may the current user message this group? An
        unknown group is an invalid access (403)."""
        user = self._logged_in(request)
        group = self.site.groups.get(request.match_info["name"].lower())
        if group is None:
            raise invalid_access()
        return web.json_response({"messageable": self.site.messageable_by(group, user)})


def _per_ip_refusal(wait: float, code: str) -> web.Response:
    """The request tracker's 429: text/plain, `Retry-After`, the limiter's error code."""
    seconds = max(1, math.ceil(wait))
    message = (
        "Slow down, too many requests from this IP address.\n"
        f"Please retry again in {seconds} seconds.\n"
        f"Error code: {code}.\n"
    )
    headers = {"Retry-After": str(seconds), HEADER_RATE_LIMIT_CODE: code}
    return web.Response(status=429, text=message, content_type="text/plain", headers=headers)
