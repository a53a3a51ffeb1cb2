"""pydiscourse in a few worker threads, within the key's budgets, with bounded retries."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import requests
from pydantic import ValidationError
from pydiscourse import DiscourseClient
from pydiscourse.exceptions import (
    DiscourseClientError,
    DiscourseError,
    DiscourseRateLimitedError,
    DiscourseServerError,
)

from bot.config import DiscourseConfig
from bot.connectors.discourse.api import (
    ACTION_ENQUEUED,
    Account,
    AccountResponse,
    CreatedPost,
    ErrorBody,
    GroupMembers,
    GroupMessageable,
    NotificationsList,
    Post,
    QueuedPost,
    TopicListResponse,
    TopicPosts,
)
from bot.connectors.discourse.limiter import (
    REAL_TIME,
    ActionLimits,
    DayBudget,
    RateLimitWaitTooLong,
    Timer,
    TokenBucket,
    WriteKind,
)

log = logging.getLogger(__name__)

Auth = Literal["api_key", "user_api_key"]
Json = dict[str, Any]
# Without a body or header telling otherwise, a 429 means "come back in 10 s".
DEFAULT_RATE_LIMIT_WAIT = 10.0
# Key-wide and per-address 429s name their limiter in this header; a member's own action
# limits never do (ApplicationController's rescue of RateLimiter::LimitExceeded).
HEADER_RATE_LIMIT_CODE = "Discourse-Rate-Limit-Error-Code"
CHUNK_SIZE = 20  # posts in one answer of /t/{id}/posts.json (TopicView::CHUNK_SIZE)


class ForumError(Exception):
    """Something the forum did not do."""


class ForumUnavailable(ForumError):
    """The forum could not be reached, kept failing or rate-limited the key: try later."""


class ForumRefused(ForumError):
    """The forum answered 4xx: asking again the same way will not help."""

    def __init__(self, status: int, errors: list[str]) -> None:
        super().__init__(f"{status}: {'; '.join(errors) or 'refused'}")
        self.status = status
        self.errors = errors


class ForumActionLimited(ForumError):
    """The forum limits this kind of post for the bot's account (seconds between posts, a
    new account's replies on its first day, private messages a day…): that action waits
    `wait_seconds`; reading and other actions go on."""

    def __init__(self, kind: WriteKind, wait_seconds: float) -> None:
        super().__init__(f"{kind.value} held back by the forum for {wait_seconds:.0f} s")
        self.kind = kind
        self.wait_seconds = wait_seconds


class ForumRedirected(ForumError):
    """The forum answered with a redirection to `location`."""

    def __init__(self, location: str) -> None:
        super().__init__(f"moved to {location}")
        self.location = location


class _RateLimited(DiscourseRateLimitedError):
    """A 429, with how long to wait and whether it concerns the whole key."""

    def __init__(
        self, message: str, wait_seconds: float, key_wide: bool, response: requests.Response
    ) -> None:
        super().__init__(message, response=response)
        self.wait_seconds = wait_seconds
        self.key_wide = key_wide


class _Redirected(DiscourseClientError):
    """A 301/302: the resource lives at `location` (a path on the same forum)."""

    def __init__(self, location: str, response: requests.Response) -> None:
        super().__init__(f"moved to {location}", response=response)
        self.location = location


def _error_body(response: requests.Response) -> ErrorBody | None:
    try:
        return ErrorBody.model_validate(response.json())
    except (ValueError, ValidationError):
        return None


def _wait_seconds(response: requests.Response, body: ErrorBody | None) -> float:
    """Retry-After or extras.wait_seconds, whichever the forum gave (the longer one)."""
    candidates = [body.wait_seconds] if body and body.wait_seconds is not None else []
    with contextlib.suppress(ValueError):
        candidates.append(float(response.headers.get("Retry-After", "")))
    return max(candidates) if candidates else DEFAULT_RATE_LIMIT_WAIT


class BlockingForumApi(DiscourseClient):  # type: ignore[misc]
    """pydiscourse doing one HTTP request per call: no sleeping on 429, typed errors, our auth.

    Runs in worker threads only. Each thread keeps its own `requests.Session`, so calls reuse
    a connection instead of opening one each time.
    """

    def __init__(self, host: str, username: str, key: str, auth: Auth, timeout: float) -> None:
        super().__init__(host.rstrip("/"), api_username=username, api_key=key, timeout=timeout)
        self.auth = auth
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json; charset=utf-8"}
        if self.auth == "user_api_key":
            headers["User-Api-Key"] = self.api_key
        else:
            headers["Api-Key"] = self.api_key
            headers["Api-Username"] = self.api_username
        return headers

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            self._local.session = session
            with self._sessions_lock:
                self._sessions.append(session)
        return session

    def close(self) -> None:
        """Close every thread's connections."""
        with self._sessions_lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()

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
        response = self._session().request(
            verb,
            self.host + path,
            params=params,
            files=files,
            data=data,
            json=json,
            headers=self._headers(),
            timeout=self.timeout,
            allow_redirects=False,
            **(override_request_kwargs or {}),
        )
        return self._decode(response)

    @staticmethod
    def _decode(response: requests.Response) -> Any:
        status = response.status_code
        if status == 429:
            body = _error_body(response)
            wait = _wait_seconds(response, body)
            # A member's own action limit answers JSON without the limiter's code header;
            # the key's budgets and the per-address limits name themselves.
            key_wide = body is None or HEADER_RATE_LIMIT_CODE in response.headers
            raise _RateLimited(f"rate limited for {wait:.0f} s", wait, key_wide, response)
        if status >= 500:
            raise DiscourseServerError(f"{status} {response.reason}", response=response)
        if status >= 400:
            body = _error_body(response)
            message = body.message if body else f"{status} {response.reason}"
            raise DiscourseClientError(message, response=response)
        if status >= 300:
            location = response.headers.get("Location", "")
            raise _Redirected(urlsplit(location).path or location, response)
        if not response.content.strip():
            return None
        try:
            decoded = response.json()
        except ValueError as error:
            raise DiscourseServerError("not JSON", response=response) from error
        if isinstance(decoded, dict) and decoded.get("errors"):
            raise DiscourseClientError("; ".join(map(str, decoded["errors"])), response=response)
        return decoded


@dataclass(frozen=True)
class RetryPolicy:
    """How many tries, how long between them, how long a 429 may make us wait."""

    max_attempts: int = 4
    base_seconds: float = 1.0
    max_seconds: float = 30.0
    max_rate_limit_wait: float = 120.0
    # A post the forum's pace holds back for longer than this is left for later.
    max_action_wait: float = 35.0

    def backoff(self, attempt: int) -> float:
        """Exponential, capped, with jitter (half to full of the step)."""
        step = min(self.max_seconds, self.base_seconds * 2 ** (attempt - 1))
        return random.uniform(step / 2, step)


Landed = Callable[[], Awaitable[Json | None]]
_TRANSIENT = (requests.Timeout, requests.ConnectionError, TimeoutError)


class ForumClient:
    """The forum's API, async: each request runs in a small thread pool once the key's minute
    and day budgets allow it; 5xx and network errors are retried a bounded number of times;
    the bot's own posts keep the pace the forum asks of its account."""

    def __init__(
        self,
        url: str,
        username: str,
        api_key: str,
        *,
        auth: Auth = "api_key",
        requests_per_minute: int = 20,
        requests_per_day: int = 2880,
        timeout: float = 15.0,
        retry: RetryPolicy | None = None,
        workers: int = 3,
        timer: Timer = REAL_TIME,
    ) -> None:
        self.username = username
        self.auth = auth
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.timer = timer
        self.limiter = TokenBucket(requests_per_minute, timer)
        self.day = DayBudget(requests_per_day, timer)
        self.actions = ActionLimits(timer)
        self.requests_sent = 0
        self._api = BlockingForumApi(url, username, api_key, auth, timeout)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="discourse")
        self._category_paths: dict[int, str] = {}

    @classmethod
    def from_config(
        cls, config: DiscourseConfig, api_key: str, timer: Timer = REAL_TIME
    ) -> ForumClient:
        if not config.url or not config.username:
            raise ValueError("discourse.url and discourse.username are required")
        return cls(
            config.url,
            config.username,
            api_key,
            auth=config.auth,
            requests_per_minute=config.requests_per_minute,
            requests_per_day=config.requests_per_day,
            timeout=config.request_timeout_seconds,
            retry=RetryPolicy(
                base_seconds=config.retry_base_seconds,
                max_seconds=config.retry_max_seconds,
            ),
            timer=timer,
        )

    async def close(self) -> None:
        """Stop the workers (a request in flight finishes on its own) and close connections."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        await asyncio.to_thread(self._api.close)

    def budget(self) -> dict[str, Any]:
        """What the key has spent and what holds the bot back, for /healthz."""
        return {
            "requests_last_24h": self.day.used(),
            "requests_per_day": self.day.per_day,
            "requests_per_minute": self.limiter.per_minute,
            "paused_seconds": round(self.limiter.paused_for()),
            "posts_held_back": self.actions.blocked(),
        }

    # ----------------------------------------------------------------- reads

    async def post(self, post_id: int) -> Post:
        """One post, with its raw Markdown."""
        return Post.model_validate(await self._call(self._api.post_by_id, post_id))

    async def posts_after(self, topic_id: int, post_number: int) -> list[Post]:
        """The next posts of a topic after post `post_number` (at most a chunk of 20), with
        their raw Markdown, in order.

        `post_number=N&asc=true` answers the posts strictly after post N; for N below 1 the
        nearest post would be the first and be skipped, so the first page is asked instead.
        """
        if post_number < 1:
            answer = await self._call(self._api.topic_posts, topic_id, include_raw="true")
        else:
            answer = await self._call(
                self._api.topic_posts,
                topic_id,
                post_number=post_number,
                asc="true",
                include_raw="true",
            )
        posts = TopicPosts.model_validate(answer).post_stream.posts
        return sorted((p for p in posts if p.post_number > post_number), key=_number)

    async def notifications(self, offset: int = 0) -> NotificationsList:
        """One page of the bot's notifications, newest first."""
        params: dict[str, Any] = {"offset": offset} if offset else {}
        return NotificationsList.model_validate(
            await self._call(self._api._get, "/notifications.json", **params)
        )

    async def category_topics(self, category_id: int, page: int = 0) -> TopicListResponse:
        """Topics of a category (and its subcategories), last bumped first.

        The list's address must carry the category's full slug path: asked by id alone,
        Discourse answers 301 with the canonical path, which is kept for next time.
        """
        params: dict[str, Any] = {"page": page} if page else {}
        for _ in range(2):
            path = self._category_paths.get(category_id, str(category_id))
            try:
                answer = await self._call(self._api._get, f"/c/{path}/l/latest.json", **params)
            except ForumRedirected as moved:
                canonical = _category_path(moved.location)
                if canonical is None or canonical == path:
                    raise ForumRefused(301, [f"category {category_id} moved"]) from moved
                self._category_paths[category_id] = canonical
                continue
            return TopicListResponse.model_validate(answer)
        raise ForumRefused(301, [f"category {category_id} keeps moving"])

    async def group_members(self, group: str, offset: int = 0) -> GroupMembers:
        """One page of a group's members (and its owners)."""
        answer = await self._call(
            self._api._get, f"/groups/{group}/members.json", offset=offset, limit=50
        )
        return GroupMembers.model_validate(answer)

    async def group_messageable(self, group: str) -> bool:
        """May the bot send private messages to `group`?"""
        answer = await self._call(self._api._get, f"/groups/{group}/messageable.json")
        return GroupMessageable.model_validate(answer).messageable

    async def account(self) -> Account:
        """The bot's own account: trust level, age, what it may do."""
        answer = await self._call(self._api._get, f"/u/{self.username}.json")
        return AccountResponse.model_validate(answer).user

    async def private_messages(self) -> TopicListResponse:
        """The bot's private messages, last bumped first."""
        answer = await self._call(self._api.private_messages, self.username)
        return TopicListResponse.model_validate(answer)

    # ----------------------------------------------------------------- writes

    async def create_post(
        self, raw: str, *, kind: WriteKind, landed: Landed | None = None, **fields: Any
    ) -> CreatedPost | QueuedPost:
        """POST /posts: a reply, a topic or a private message; or the post held for approval.

        The bot keeps the pace the forum asks between its posts, and honours a per-action
        429 for that kind of post only (`ForumActionLimited` when the wait is long).

        A POST that failed in transit may still have been applied. With an admin key the forum
        answers a repeated identical POST with the first post (for 120 s), so we simply retry;
        with a user API key it would duplicate, so `landed` is asked first.
        """
        check = landed if self.auth == "user_api_key" else None
        answer = await self._call(self._api.create_post, raw, write=kind, landed=check, **fields)
        if isinstance(answer, dict) and answer.get("action") == ACTION_ENQUEUED:
            return QueuedPost.model_validate(answer)
        return CreatedPost.model_validate(answer)

    async def _keep_pace(self, kind: WriteKind) -> None:
        wait = self.actions.wait_for(kind)
        if wait > self.retry.max_action_wait:
            raise ForumActionLimited(kind, wait)
        if wait > 0:
            await self.timer.sleep(wait)

    # ----------------------------------------------------------------- plumbing

    async def _acquire(self) -> None:
        """The right to send one request: within the day's budget, then the minute's."""
        policy = self.retry
        try:
            waiting = self.day.wait()
            if waiting > policy.max_rate_limit_wait:
                raise RateLimitWaitTooLong(waiting, "the day's request budget says")
            if waiting > 0:
                await self.timer.sleep(waiting)
            await self.limiter.acquire(max_pause=policy.max_rate_limit_wait)
        except RateLimitWaitTooLong as too_long:
            raise ForumUnavailable(str(too_long)) from too_long
        self.day.record()
        self.requests_sent += 1

    async def _call(
        self,
        function: Callable[..., Any],
        *args: Any,
        write: WriteKind | None = None,
        landed: Landed | None = None,
        **kwargs: Any,
    ) -> Any:
        """Run one pydiscourse call in a worker; retry what may succeed later, a bounded time."""
        loop = asyncio.get_running_loop()
        name = getattr(function, "__name__", "call")
        policy = self.retry
        attempted_write = False
        for attempt in range(1, policy.max_attempts + 1):
            if attempted_write and landed is not None:
                found = await landed()
                if found is not None:
                    log.info("forum %s had been applied before its answer was lost", name)
                    return found
            if write is not None:
                await self._keep_pace(write)
            await self._acquire()
            task = loop.run_in_executor(self._pool, functools.partial(function, *args, **kwargs))
            try:
                # requests' timeout is per socket operation; this guards the whole call.
                answer = await asyncio.wait_for(task, self.timeout * 3 + 5)
            except _RateLimited as limited:
                failure: Exception = limited
                if write is not None and not limited.key_wide:
                    self.actions.refused(write, limited.wait_seconds)
                    log.info("forum holds back %s for %.0f s", write.value, limited.wait_seconds)
                    if limited.wait_seconds > policy.max_action_wait:
                        raise ForumActionLimited(write, limited.wait_seconds) from limited
                    continue  # _keep_pace waits it out before the next try
                self.limiter.pause(limited.wait_seconds)
                log.warning("forum %s: rate limited for %.0f s", name, limited.wait_seconds)
                if limited.wait_seconds > policy.max_rate_limit_wait:
                    raise ForumUnavailable(str(limited)) from limited
                delay = random.uniform(0, policy.base_seconds / 4)
            except _Redirected as moved:
                raise ForumRedirected(moved.location) from moved
            except DiscourseClientError as refused:
                status = refused.response.status_code if refused.response is not None else 400
                body = _error_body(refused.response) if refused.response is not None else None
                raise ForumRefused(status, body.errors if body else [str(refused)]) from refused
            except (DiscourseServerError, DiscourseError, *_TRANSIENT) as transient:
                log.warning("forum %s failed (try %d): %s", name, attempt, _describe(transient))
                attempted_write = write is not None
                failure = transient
                delay = policy.backoff(attempt)
            except requests.RequestException as broken:  # a bad URL, say: no point retrying
                raise ForumUnavailable(f"{name}: {_describe(broken)}") from broken
            else:
                if write is not None:
                    self.actions.wrote(write)
                return answer
            if attempt < policy.max_attempts:
                await self.timer.sleep(delay)
        raise ForumUnavailable(f"{name}: {_describe(failure)}") from failure


def _category_path(location: str) -> str | None:
    """ "parent/child/17" from a redirection to "/c/parent/child/17/l/latest.json"."""
    path = location.split("?", 1)[0]
    if not path.startswith("/c/") or "/l/" not in path:
        return None
    return path.removeprefix("/c/").rsplit("/l/", 1)[0] or None


def _number(post: Post) -> int:
    return post.post_number


def _describe(error: BaseException) -> str:
    """A short, secret-free description of a failure (no URL, no headers)."""
    response = getattr(error, "response", None)
    if isinstance(error, DiscourseError) and response is not None:
        return f"HTTP {response.status_code}"
    return type(error).__name__
