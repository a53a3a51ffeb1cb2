"""Signing in once, then restoring the same device and crypto store at every start."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

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


@dataclass(frozen=True)
class Credentials:
    """What a password login gives once, kept in the store directory for every later start."""

    user_id: str
    device_id: str
    access_token: str


def make_client(config: MatrixConfig, request_timeout: float) -> AsyncClient:
    """An e2e-enabled client with bounded retries and a persistent SQLite crypto store."""
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
        device_id=config.device_id or "",
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
    response = await client.login(secrets.matrix_password, device_name=DEVICE_NAME)
    if not isinstance(response, LoginResponse):
        raise SignInError(f"login refused: {response}")
    await write_credentials(store, Credentials(user_id, response.device_id, response.access_token))
    log.info("signed in to Matrix as %s, device %s", user_id, response.device_id)
    return str(response.device_id)


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
