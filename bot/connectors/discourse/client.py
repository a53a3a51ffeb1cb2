"""pydiscourse in a few worker threads, behind one rate limiter, with bounded retries."""

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
    CreatedPost,
    ErrorBody,
    GroupMembers,
    NotificationsList,
    Post,
    TopicListResponse,
    TopicPosts,
)
from bot.connectors.discourse.limiter import RateLimitWaitTooLong, TokenBucket

log = logging.getLogger(__name__)

Auth = Literal["api_key", "user_api_key"]
Json = dict[str, Any]
# Without a JSON body telling otherwise, a 429 means "come back in 10 s" (Discourse's nginx).
DEFAULT_RATE_LIMIT_WAIT = 10.0


class ForumError(Exception):
    """Something the forum did not do."""


class ForumUnavailable(ForumError):
    """The forum could not be reached, kept failing or rate-limited us: try again later."""


class ForumRefused(ForumError):
    """The forum answered 4xx: asking again the same way will not help."""

    def __init__(self, status: int, errors: list[str]) -> None:
        super().__init__(f"{status}: {'; '.join(errors) or 'refused'}")
        self.status = status
        self.errors = errors


class _RateLimited(DiscourseRateLimitedError):
    """A 429, with how long the forum wants us to wait."""

    def __init__(self, message: str, wait_seconds: float, response: requests.Response) -> None:
        super().__init__(message, response=response)
        self.wait_seconds = wait_seconds


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
            raise _RateLimited(f"rate limited for {wait:.0f} s", wait, response)
        if status >= 500:
            raise DiscourseServerError(f"{status} {response.reason}", response=response)
        if status >= 400:
            body = _error_body(response)
            message = body.message if body else f"{status} {response.reason}"
            raise DiscourseClientError(message, response=response)
        if status >= 300:
            raise DiscourseClientError(f"unexpected redirect ({status})", response=response)
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

    def backoff(self, attempt: int) -> float:
        """Exponential, capped, with jitter (half to full of the step)."""
        step = min(self.max_seconds, self.base_seconds * 2 ** (attempt - 1))
        return random.uniform(step / 2, step)


Landed = Callable[[], Awaitable[Json | None]]
_TRANSIENT = (requests.Timeout, requests.ConnectionError, TimeoutError)


class ForumClient:
    """The forum's API, async: each request runs in a small thread pool, once the shared rate
    limiter allows it; 5xx and network errors are retried a bounded number of times."""

    def __init__(
        self,
        url: str,
        username: str,
        api_key: str,
        *,
        auth: Auth = "api_key",
        requests_per_minute: int = 20,
        timeout: float = 15.0,
        retry: RetryPolicy | None = None,
        workers: int = 3,
    ) -> None:
        self.username = username
        self.auth = auth
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.limiter = TokenBucket(requests_per_minute)
        self.requests_sent = 0
        self._api = BlockingForumApi(url, username, api_key, auth, timeout)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="discourse")
        self._category_paths: dict[int, str] = {}

    @classmethod
    def from_config(cls, config: DiscourseConfig, api_key: str) -> ForumClient:
        if not config.url or not config.username:
            raise ValueError("discourse.url and discourse.username are required")
        return cls(
            config.url,
            config.username,
            api_key,
            auth=config.auth,
            requests_per_minute=config.requests_per_minute,
            timeout=config.request_timeout_seconds,
            retry=RetryPolicy(
                base_seconds=config.retry_base_seconds,
                max_seconds=config.retry_max_seconds,
            ),
        )

    async def close(self) -> None:
        """Stop the workers (a request in flight finishes on its own) and close connections."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        await asyncio.to_thread(self._api.close)

    # ----------------------------------------------------------------- reads

    async def post(self, post_id: int) -> Post:
        """One post, with its raw Markdown."""
        return Post.model_validate(await self._call(self._api.post_by_id, post_id))

    async def posts_after(self, topic_id: int, post_number: int) -> list[Post]:
        """Posts of a topic from just after `post_number` (one chunk), with raw Markdown."""
        answer = await self._call(
            self._api.topic_posts,
            topic_id,
            post_number=post_number + 1,
            asc="true",
            include_raw="true",
        )
        posts = TopicPosts.model_validate(answer).post_stream.posts
        return sorted((p for p in posts if p.post_number > post_number), key=_number)

    async def posts_around(self, topic_id: int, post_number: int) -> list[Post]:
        """The chunk of a topic around `post_number`, with raw Markdown."""
        answer = await self._call(
            self._api.topic_posts, topic_id, post_number=post_number, include_raw="true"
        )
        return TopicPosts.model_validate(answer).post_stream.posts

    async def notifications(self, offset: int = 0) -> NotificationsList:
        """One page of the bot's notifications, newest first."""
        params: dict[str, Any] = {"offset": offset} if offset else {}
        return NotificationsList.model_validate(
            await self._call(self._api._get, "/notifications.json", **params)
        )

    async def category_topics(self, category_path: str, page: int = 0) -> TopicListResponse:
        """Topics of a category, last bumped first (`category_path` is "slug/id")."""
        params: dict[str, Any] = {"page": page} if page else {}
        return TopicListResponse.model_validate(
            await self._call(self._api.category_latest_topics, category_path, **params)
        )

    async def categories(self) -> list[Json]:
        """Every category (and subcategory) the bot can see."""
        found: list[Json] = await self._call(self._api.categories, include_subcategories="true")
        return found

    async def category_path(self, category_id: int) -> str:
        """ "slug/id" of a category, as its topic list URL wants it (looked up once)."""
        if category_id not in self._category_paths:
            for category in await self.categories():
                if category.get("id") == category_id and category.get("slug"):
                    self._category_paths[category_id] = f"{category['slug']}/{category_id}"
                    break
            else:
                self._category_paths[category_id] = str(category_id)
        return self._category_paths[category_id]

    async def group_members(self, group: str, offset: int = 0) -> GroupMembers:
        """One page of a group's members."""
        answer = await self._call(
            self._api._get, f"/groups/{group}/members.json", offset=offset, limit=50
        )
        return GroupMembers.model_validate(answer)

    async def private_messages(self) -> TopicListResponse:
        """The bot's private messages, last bumped first."""
        answer = await self._call(self._api.private_messages, self.username)
        return TopicListResponse.model_validate(answer)

    # ----------------------------------------------------------------- writes

    async def create_post(
        self, raw: str, *, landed: Landed | None = None, **fields: Any
    ) -> CreatedPost:
        """POST /posts: a topic, a reply or a private message.

        A POST that failed in transit may still have been applied. With an admin key the forum
        answers a repeated identical POST with the first post (for 120 s), so we simply retry;
        with a user API key it would duplicate, so `landed` is asked first.
        """
        check = landed if self.auth == "user_api_key" else None
        answer = await self._call(self._api.create_post, raw, write=True, landed=check, **fields)
        return CreatedPost.model_validate(answer)

    # ----------------------------------------------------------------- plumbing

    async def _call(
        self,
        function: Callable[..., Any],
        *args: Any,
        write: bool = False,
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
            try:
                await self.limiter.acquire(max_pause=policy.max_rate_limit_wait)
            except RateLimitWaitTooLong as too_long:
                raise ForumUnavailable(str(too_long)) from too_long
            self.requests_sent += 1
            task = loop.run_in_executor(self._pool, functools.partial(function, *args, **kwargs))
            try:
                # requests' timeout is per socket operation; this guards the whole call.
                return await asyncio.wait_for(task, self.timeout * 3 + 5)
            except _RateLimited as limited:
                self.limiter.pause(limited.wait_seconds)
                log.warning("forum %s: rate limited for %.0f s", name, limited.wait_seconds)
                if limited.wait_seconds > policy.max_rate_limit_wait:
                    raise ForumUnavailable(str(limited)) from limited
                failure: Exception = limited
                delay = random.uniform(0, policy.base_seconds / 4)
            except DiscourseClientError as refused:
                status = refused.response.status_code if refused.response is not None else 400
                body = _error_body(refused.response) if refused.response is not None else None
                raise ForumRefused(status, body.errors if body else [str(refused)]) from refused
            except (DiscourseServerError, DiscourseError, *_TRANSIENT) as transient:
                log.warning("forum %s failed (try %d): %s", name, attempt, _describe(transient))
                attempted_write = write
                failure = transient
                delay = policy.backoff(attempt)
            except requests.RequestException as broken:  # a bad URL, say: no point retrying
                raise ForumUnavailable(f"{name}: {_describe(broken)}") from broken
            if attempt < policy.max_attempts:
                await asyncio.sleep(delay)
        raise ForumUnavailable(f"{name}: {_describe(failure)}") from failure


def _number(post: Post) -> int:
    return post.post_number


def _describe(error: BaseException) -> str:
    """A short, secret-free description of a failure (no URL, no headers)."""
    response = getattr(error, "response", None)
    if isinstance(error, DiscourseError) and response is not None:
        return f"HTTP {response.status_code}"
    return type(error).__name__
