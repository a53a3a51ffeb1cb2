"""Discourse's error answers, with its own (English) sentences and JSON bodies."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from aiohttp import web

__all__ = [
    "HEADER_RATE_LIMIT_CODE",
    "ApiError",
    "PostRejected",
    "RateLimited",
    "int_param",
    "invalid_access",
    "invalid_parameters",
    "not_found",
    "not_logged_in",
    "time_left",
]

Json = dict[str, Any]

HEADER_RATE_LIMIT_CODE = "Discourse-Rate-Limit-Error-Code"

# config/locales/server.en.yml
MSG_NOT_FOUND = "The requested URL or resource could not be found."
MSG_INVALID_ACCESS = "You are not permitted to view the requested resource."
MSG_INVALID_API = (
    "You are not permitted to view the requested resource. The API username or key is invalid."
)
MSG_NOT_LOGGED_IN = "You need to be logged in to do that."
MSG_TOO_MANY_REQUESTS = (
    "You’ve performed this action too many times. Please wait {time_left} before trying again."
)
MSG_TOPIC_NOT_FOUND = (
    "Something has gone wrong. Perhaps this topic was closed or deleted"
    " while you were looking at it?"
)
MSG_USER_NOT_FOUND = "One of the users you are sending this message to could not be found."
MSG_GROUP_NOT_FOUND = "One of the groups you are sending this message to could not be found."
MSG_NO_USER_SELECTED = "You must select a valid user."
MSG_CANT_SEND_PM = "Sorry, you cannot send a personal message to that user."
MSG_NO_EMAIL_PM = "Sorry, you cannot send personal messages to email."
MSG_TOO_SIMILAR = "Body is too similar to what you recently posted"
MSG_TITLE_USED = "Title has already been used"
MSG_TOO_MANY_REPLIES = (
    "Sorry, but new users are temporarily limited to {count} replies in the same topic."
)
MSG_TOO_MANY_MENTIONS = "Sorry, new users can only mention {count} users in a post."
MSG_TOO_MANY_LINKS = "Sorry, new users can only put {count} links in a post."


def time_left(seconds: int) -> str:
    """`RateLimiter.time_left`: seconds under a minute, minutes under an hour, else hours."""
    if seconds < 60:
        return f"{seconds} seconds"
    if seconds < 3600:
        return f"{seconds // 60} minutes"
    return f"{seconds // 3600} hours"


class ApiError(Exception):
    """An error the forum answers with Discourse's JSON error body
    (`ApplicationController#render_json_error`)."""

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
        return web.json_response(self.body, status=self.status, headers=self.headers)


class RateLimited(ApiError):
    """`RateLimiter::LimitExceeded` as `ApplicationController` renders it: 429, `Retry-After`,
    `extras.wait_seconds` and `time_left`; the `Discourse-Rate-Limit-Error-Code` header only
    for limiters created with an error code (API keys), never for a member's own actions."""

    def __init__(self, wait: float, error_code: str | None = None) -> None:
        seconds = max(1, math.ceil(wait))
        headers = {"Retry-After": str(seconds)}
        if error_code:
            headers[HEADER_RATE_LIMIT_CODE] = error_code
        super().__init__(
            429,
            [MSG_TOO_MANY_REQUESTS.format(time_left=time_left(seconds))],
            "rate_limit",
            headers=headers,
            extras={"wait_seconds": seconds, "time_left": time_left(seconds)},
        )
        self.wait_seconds = seconds
        self.error_code = error_code


class PostRejected(Exception):
    """A post refused by validation: the 422 `{"action": …, "errors": [...]}` of POST /posts
    (`PostsController#backwards_compatible_json` with a failed `NewPostResult`)."""

    def __init__(self, errors: Sequence[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = list(errors)


# As `ApplicationController` rescues `Discourse::NotFound`, `InvalidAccess`, `NotLoggedIn` and
# `InvalidParameters` for a JSON request (`rescue_discourse_actions`).


def not_found() -> ApiError:
    return ApiError(404, [MSG_NOT_FOUND], "not_found")


def invalid_access(message: str = MSG_INVALID_ACCESS) -> ApiError:
    return ApiError(403, [message], "invalid_access")


def not_logged_in() -> ApiError:
    return ApiError(403, [MSG_NOT_LOGGED_IN], "not_logged_in")


def invalid_parameters(name: str) -> ApiError:
    message = f"You supplied invalid parameters to the request: {name}"
    return ApiError(400, [message], "invalid_parameters")


def int_param(params: Mapping[str, Any], name: str) -> int | None:
    """An integer parameter, None when absent or empty; anything else is a 400."""
    value = params.get(name)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as error:
        raise invalid_parameters(name) from error
