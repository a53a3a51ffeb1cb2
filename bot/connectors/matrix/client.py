"""Signing in once, then restoring the same device and crypto store at every start; the few
client-server calls nio has no method for (keys, with user-interactive auth)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from nio import AsyncClient, AsyncClientConfig, LoginResponse, WhoamiResponse
from nio.store import SqliteStore

from bot.config import MatrixConfig, Secrets

log = logging.getLogger(__name__)

CREDENTIALS_FILE = "credentials.json"
DEVICE_NAME = "Tremplin"
# nio retries a request that timed out or lost its connection this many times, quickly;
# the sync loop's own backoff takes over after that.
CONNECTION_RETRIES = 2


class SignInError(Exception):
    """No way to sign in: no token, no password, or the homeserver refused them."""


class NotSignedIn(Exception):
    """Asked to do something on Matrix before signing in (or after stopping)."""


class CannotStart(Exception):
    """Matrix can't run until the operator acts: trying again won't help, and could harm (new
    keys for an old device). The message says exactly what to do."""


class CallFailed(Exception):
    """A client-server call answered with an error (or not at all)."""

    def __init__(self, what: str, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"{what} -> {status} {body.get('errcode', '')}: {body.get('error', body)}")
        self.status = status
        self.body = body


class TokenRefused(CallFailed):
    """The homeserver no longer accepts the access token: sign in again."""


TOKEN_ERRORS = ("M_UNKNOWN_TOKEN", "M_MISSING_TOKEN")


@dataclass(frozen=True)
class Credentials:
    """What a password login gives once, kept in the store directory for every later start."""

    user_id: str
    device_id: str
    access_token: str


def make_client(
    config: MatrixConfig, request_timeout: float, device_id: str | None = None
) -> AsyncClient:
    """An e2e-enabled client with bounded retries and a persistent SQLite crypto store; for
    `matrix.device_id` unless another `device_id` is given ("" for a new device)."""
    if not config.homeserver or not config.user_id:
        raise SignInError("matrix.homeserver and matrix.user_id are required")
    client_config = AsyncClientConfig(
        encryption_enabled=True,
        store=SqliteStore,
        store_sync_tokens=False,  # the sync token lives in our database, after handling
        max_limit_exceeded=config.max_retries,
        max_timeouts=CONNECTION_RETRIES,
        request_timeout=request_timeout,
    )
    return AsyncClient(
        config.homeserver,
        config.user_id,
        device_id=(config.device_id or "") if device_id is None else device_id,
        store_path=config.store_path,
        config=client_config,
    )


async def sign_in(client: AsyncClient, config: MatrixConfig, secrets: Secrets) -> str:
    """Restore or log in; returns the device id. The same device is used forever."""
    store = Path(config.store_path)
    await asyncio.to_thread(store.mkdir, mode=0o700, parents=True, exist_ok=True)
    user_id = str(config.user_id)
    if secrets.matrix_access_token:
        device_id = config.device_id or await _device_of_token(client, secrets.matrix_access_token)
        client.restore_login(user_id, device_id, secrets.matrix_access_token)
        return device_id
    saved = await read_credentials(store)
    if saved is not None and saved.user_id != user_id:
        saved = None
    if saved is not None and config.device_id and config.device_id != saved.device_id:
        log.warning(
            "matrix.device_id %s differs from the signed-in device %s: keeping %s",
            config.device_id,
            saved.device_id,
            saved.device_id,
        )
    if saved is not None and saved.access_token:
        client.restore_login(saved.user_id, saved.device_id, saved.access_token)
        return saved.device_id
    if not secrets.matrix_password:
        raise SignInError(
            "set TREMPLIN_MATRIX_ACCESS_TOKEN (with matrix.device_id) or TREMPLIN_MATRIX_PASSWORD"
        )
    # A password login names the device we had (or matrix.device_id): keys stay valid.
    client.device_id = saved.device_id if saved is not None else (config.device_id or "")
    return await _log_in(client, config, secrets.matrix_password)


async def sign_in_as_new_device(client: AsyncClient, config: MatrixConfig, password: str) -> str:
    """A password login that makes a new device, with new keys in a store file of its own;
    every later start restores it. `client` must be fresh (no store loaded yet)."""
    client.device_id = ""
    return await _log_in(client, config, password)


async def _log_in(client: AsyncClient, config: MatrixConfig, password: str) -> str:
    response = await client.login(password, device_name=DEVICE_NAME)
    if not isinstance(response, LoginResponse):
        raise SignInError(f"login refused: {response}")
    user_id = str(config.user_id)
    store = Path(config.store_path)
    await write_credentials(store, Credentials(user_id, response.device_id, response.access_token))
    log.info("signed in to Matrix as %s, device %s", user_id, response.device_id)
    return str(response.device_id)


async def call(
    client: AsyncClient, method: str, path: str, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One client-server API call with the client's token; the JSON answer, or `CallFailed`."""
    headers = {"Authorization": f"Bearer {client.access_token}"}
    data = None
    if body is not None:
        headers["Content-Type"] = "application/json"
        data = json.dumps(body, separators=(",", ":"))
    response = await client.send(method, path, data, headers)
    try:
        answer = await response.json(content_type=None)
    except ValueError:
        answer = None
    finally:
        response.release()
    answer = answer if isinstance(answer, dict) else {}
    if response.status >= 300:
        refused = TokenRefused if answer.get("errcode") in TOKEN_ERRORS else CallFailed
        raise refused(f"{method} {path}", response.status, answer)
    return answer


async def call_with_password(
    client: AsyncClient, method: str, path: str, body: dict[str, Any], password: str | None
) -> dict[str, Any]:
    """A call the homeserver may guard with user-interactive auth: asked once as it is, then,
    if it wants a password and we have one, with the password (spec: "User-Interactive
    Authentication API", m.login.password)."""
    try:
        return await call(client, method, path, body)
    except CallFailed as refused:
        session = refused.body.get("session")
        if refused.status != 401 or "flows" not in refused.body or not password:
            raise
    auth = {
        "type": "m.login.password",
        "identifier": {"type": "m.id.user", "user": client.user_id},
        "password": password,
        "session": session,
    }
    return await call(client, method, path, {**body, "auth": auth})


async def forget_token(store_path: str) -> None:
    """Drop a saved token the homeserver no longer accepts; keep its device id for the next
    password login."""
    store = Path(store_path)
    saved = await read_credentials(store)
    if saved is not None:
        await write_credentials(store, Credentials(saved.user_id, saved.device_id, ""))


async def read_credentials(store: Path) -> Credentials | None:
    path = store / CREDENTIALS_FILE
    try:
        text = await asyncio.to_thread(path.read_text, "utf-8")
        data = json.loads(text)
        return Credentials(data["user_id"], data["device_id"], data["access_token"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as error:
        log.warning("ignoring unreadable %s: %s", path, error)
        return None


async def write_credentials(store: Path, credentials: Credentials) -> None:
    """Write the token readable by its owner only (0600)."""
    await asyncio.to_thread(_write_private, store / CREDENTIALS_FILE, asdict(credentials))


def _write_private(path: Path, data: dict[str, str]) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as stream:
        json.dump(data, stream)
    os.chmod(path, 0o600)


async def _device_of_token(client: AsyncClient, token: str) -> str:
    """The device an access token belongs to, for a token given without matrix.device_id."""
    client.access_token = token
    response = await client.whoami()
    if not isinstance(response, WhoamiResponse) or not response.device_id:
        raise SignInError(f"the access token was refused: {response}")
    return str(response.device_id)
