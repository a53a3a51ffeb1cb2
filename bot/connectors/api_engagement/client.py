"""API Engagement over HTTP: the v2 mission writes and the v0 reads, on one aiohttp session,
paced under the key's budget, with bounded retries.

Facts from the OpenAPI document (`../shared/api-engagement/openapi.yaml`) and the API's source:
the key goes in `x-api-key`; a 429 says how long to wait in `Retry-After`; `PUT` changes only
the fields it is given; `DELETE` is idempotent; `GET /v0/mymission` lists the missions not
deleted, `limit` at most 10,000.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.connectors.discourse.limiter import RateLimitWaitTooLong, TokenBucket
from commands.ports import PortError
from storage.enums import Moderation

log = logging.getLogger(__name__)
PLATFORM = "api_engagement"
JEVEUXAIDER = "5f5931496c7ea514150a818f"  # the partner that moderates missions on its side
PAGE = 1000
DEFAULT_RETRY_AFTER = 60.0


class ApiEngagementError(PortError):
    """API Engagement refused a request, or could not be reached for it.

    `outcome_unknown`: the request may have been carried out (no answer came back), so a
    creation must not simply be sent again.
    """

    def __init__(
        self,
        reason: str,
        *,
        status: int | None = None,
        code: str | None = None,
        refused: bool = False,
        outcome_unknown: bool = False,
    ) -> None:
        super().__init__(PLATFORM, reason, refused=refused)
        self.status = status
        self.code = code
        self.outcome_unknown = outcome_unknown

    @property
    def bad_key(self) -> bool:
        return self.status == 401

    @property
    def rate_limited(self) -> bool:
        return self.status == 429


@dataclass(frozen=True)
class Moderated:
    """What the moderation said of a mission, and who moderated it."""

    status: Moderation | None
    comment: str | None
    by: str | None


@dataclass(frozen=True)
class Remote:
    """A mission as API Engagement holds it."""

    client_id: str
    moderated: Moderated
    deleted: bool = False


def moderation_of(data: dict[str, Any]) -> Moderated:
    """API Engagement's own refusal first; else what JeVeuxAider.gouv.fr decided, when it has
    looked; else API Engagement's verdict."""
    status = _moderation(data.get("statusCode"))
    comment = data.get("statusComment") or None
    if status is Moderation.REFUSED:
        return Moderated(status, comment, "api-engagement")
    partner = _moderation(data.get(f"moderation_{JEVEUXAIDER}_status"))
    if partner is not None:
        return Moderated(partner, data.get(f"moderation_{JEVEUXAIDER}_comment") or None, "jva")
    return Moderated(status, comment, "api-engagement" if status else None)


def _moderation(value: Any) -> Moderation | None:
    try:
        return Moderation(value) if value else None
    except ValueError:
        return None


def _remote(data: dict[str, Any]) -> Remote:
    return Remote(str(data.get("clientId")), moderation_of(data), bool(data.get("deletedAt")))


class ApiEngagementClient:
    """One key, one server (production or sandbox)."""

    def __init__(
        self,
        url: str,
        key: str,
        *,
        requests_per_minute: int = 60,
        timeout_seconds: float = 15.0,
        retry_base_seconds: float = 2.0,
        max_retries: int = 3,
        max_wait_seconds: float = 120.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.url = url.rstrip("/")
        self._key = key
        self.bucket = TokenBucket(requests_per_minute)
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self.retry_base_seconds = retry_base_seconds
        self.max_retries = max_retries
        self.max_wait_seconds = max_wait_seconds
        self._sleep = sleep
        self._session: aiohttp.ClientSession | None = None

    def __repr__(self) -> str:  # never the key
        return f"ApiEngagementClient({self.url!r})"

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    # --- the calls -------------------------------------------------------------------------

    async def my_missions(self) -> dict[str, Remote]:
        """Every mission of ours that API Engagement holds (not deleted), by clientId."""
        found: dict[str, Remote] = {}
        skip = 0
        while True:
            body = await self._request("GET", "/v0/mymission", params={"limit": PAGE, "skip": skip})
            page = body.get("data") or []
            for data in page:
                remote = _remote(data)
                found[remote.client_id] = remote
            skip += len(page)
            if not page or skip >= int(body.get("total") or 0):
                return found

    async def my_mission(self, client_id: str) -> Remote | None:
        """One mission of ours, deleted or not; None when API Engagement never had it."""
        try:
            body = await self._request("GET", f"/v0/mymission/{_quoted(client_id)}")
        except ApiEngagementError as error:
            if error.status == 404:
                return None
            raise
        return _remote(body.get("data") or {})

    async def create(self, client_id: str, fields: dict[str, Any]) -> Remote:
        """`POST /v2/mission`. Not tried again when no answer comes: the next pass finds out."""
        payload = {"clientId": client_id, **fields}
        body = await self._request("POST", "/v2/mission", json=payload, repeatable=False)
        return _remote(body.get("data") or {"clientId": client_id})

    async def update(self, client_id: str, changes: dict[str, Any]) -> Remote:
        """`PUT /v2/mission/{clientId}` with only the fields that changed."""
        path = f"/v2/mission/{_quoted(client_id)}"
        body = await self._request("PUT", path, json=changes)
        return _remote(body.get("data") or {"clientId": client_id})

    async def delete(self, client_id: str) -> bool:
        """`DELETE /v2/mission/{clientId}`: True once it is deleted (now or before), False when
        API Engagement never had it."""
        try:
            await self._request("DELETE", f"/v2/mission/{_quoted(client_id)}")
        except ApiEngagementError as error:
            if error.status == 404:
                return False
            raise
        return True

    # --- one request, paced and retried -----------------------------------------------------

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        repeatable: bool = True,
    ) -> dict[str, Any]:
        """The answer's JSON; raises ApiEngagementError after at most `max_retries` more tries.

        A 429 pauses every request of this client for its Retry-After (when it asks no more
        than `max_wait_seconds`); a 5xx or a network failure is tried again after a pause that
        doubles, unless the request is not `repeatable` (a creation).
        """
        attempt = 0
        while True:
            try:
                await self.bucket.acquire(max_pause=self.max_wait_seconds)
            except RateLimitWaitTooLong as too_long:
                raise ApiEngagementError(
                    f"rate limited for {too_long.seconds:.0f} s", status=429
                ) from None
            try:
                status, headers, body = await self._send(method, path, json, params)
            except (aiohttp.ClientError, TimeoutError) as error:
                reason = f"unreachable: {type(error).__name__}"
                if not repeatable:
                    raise ApiEngagementError(reason, outcome_unknown=True) from None
                if attempt >= self.max_retries:
                    raise ApiEngagementError(reason) from None
                await self._sleep(self._backoff(attempt))
                attempt += 1
                continue
            if status < 300:
                return body if isinstance(body, dict) else {}
            code, message = _problem(body)
            if status == 429:
                wait = _retry_after(headers.get("Retry-After"))
                self.bucket.pause(wait)
                if attempt >= self.max_retries or wait > self.max_wait_seconds:
                    raise ApiEngagementError(f"429 rate limited ({wait:.0f} s)", status=429)
                log.info("API Engagement asks to wait %.0f s", wait)
                attempt += 1
                continue
            if status >= 500:
                reason = f"{status} from the server"
                if not repeatable:
                    raise ApiEngagementError(reason, status=status, outcome_unknown=True)
                if attempt >= self.max_retries:
                    raise ApiEngagementError(reason, status=status)
                await self._sleep(self._backoff(attempt))
                attempt += 1
                continue
            raise ApiEngagementError(
                f"{status} {code or ''}: {message}".strip(),
                status=status,
                code=code,
                refused=True,
            )

    async def _send(
        self,
        method: str,
        path: str,
        json: dict[str, Any] | None,
        params: dict[str, Any] | None,
    ) -> tuple[int, dict[str, str], Any]:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        headers = {"x-api-key": self._key, "Accept": "application/json"}
        async with self._session.request(
            method, self.url + path, json=json, params=params, headers=headers
        ) as response:
            try:
                body = await response.json(content_type=None)
            except ValueError:  # a proxy's error page
                body = None
            return response.status, dict(response.headers), body

    def _backoff(self, attempt: int) -> float:
        return float(self.retry_base_seconds * (2**attempt))


def _quoted(client_id: str) -> str:
    return quote(client_id, safe="")


def _retry_after(value: str | None) -> float:
    try:
        return max(0.0, float(value)) if value is not None else DEFAULT_RETRY_AFTER
    except ValueError:
        return DEFAULT_RETRY_AFTER


def _problem(body: Any) -> tuple[str | None, str]:
    """The error's code and a short message (the API may give a zod object as message)."""
    if not isinstance(body, dict):
        return None, "no details"
    message = body.get("message")
    if not isinstance(message, str):
        message = str(message)[:200] if message is not None else ""
    return body.get("code"), message[:300]
