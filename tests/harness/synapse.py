"""A real Synapse homeserver on 127.0.0.1 for tests and benchmarks, driven over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Literal
from urllib.parse import quote

import aiohttp
import yaml

RateLimits = Literal["relaxed", "stock"]

CLIENT_API = "/_matrix/client/v3"
MEGOLM_ALGORITHM = "m.megolm.v1.aes-sha2"

# Every rc_* setting Synapse 1.163 reads (synapse/config/ratelimiting.py). Dotted names are
# nested mappings. rc_federation and rc_remote_media_downloads are left alone: no federation.
_RELAXED_RC_KEYS: tuple[str, ...] = (
    "rc_message",
    "rc_registration",
    "rc_registration_token_validity",
    "rc_login.address",
    "rc_login.account",
    "rc_login.failed_attempts",
    "rc_admin_redaction",
    "rc_joins.local",
    "rc_joins.remote",
    "rc_joins_per_room",
    "rc_key_requests",
    "rc_3pid_validation",
    "rc_invites.per_room",
    "rc_invites.per_user",
    "rc_invites.per_issuer",
    "rc_third_party_invite",
    "rc_media_create",
    "rc_presence.per_user",
    "rc_delayed_event_mgmt",
    "rc_room_creation",
    "rc_reports",
    "rc_user_directory",
    "rc_profile",
)
_RELAXED_LIMIT = {"per_second": 10_000, "burst_count": 100_000}


class SynapseError(RuntimeError):
    """A non-2xx answer from Synapse, with its status and Matrix errcode."""

    def __init__(self, method: str, path: str, status: int, body: Mapping[str, Any]) -> None:
        self.status = status
        self.errcode = str(body.get("errcode", ""))
        self.body = dict(body)
        retry = body.get("retry_after_ms")
        self.retry_after_ms: int | None = retry if isinstance(retry, int) else None
        super().__init__(f"{method} {path} -> {status} {self.errcode}: {body.get('error', body)}")


class SynapseStartError(RuntimeError):
    """Synapse exited or did not answer in time; the message ends with its log tail."""


@dataclass(frozen=True)
class RegisteredUser:
    """A user registered through the shared-secret admin API, with a ready access token."""

    user_id: str
    access_token: str
    device_id: str
    password: str

    @property
    def localpart(self) -> str:
        return self.user_id[1:].split(":", 1)[0]


def free_port() -> int:
    """Ask the kernel for a free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def relaxed_rate_limits() -> dict[str, Any]:
    """The rc_* section that makes every client-side limiter effectively unlimited."""
    config: dict[str, Any] = {}
    for dotted in _RELAXED_RC_KEYS:
        *parents, leaf = dotted.split(".")
        node = config
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = dict(_RELAXED_LIMIT)
    return config


def registration_mac(secret: str, nonce: str, user: str, password: str, admin: bool) -> str:
    """HMAC-SHA1 of nonce, user, password and admin flag joined by NUL bytes, as hex."""
    mac = hmac.new(secret.encode(), digestmod=hashlib.sha1)
    for index, part in enumerate((nonce, user, password, "admin" if admin else "notadmin")):
        if index:
            mac.update(b"\x00")
        mac.update(part.encode())
    return mac.hexdigest()


def _q(value: str) -> str:
    return quote(value, safe="")


class SynapseServer:
    """One Synapse process with its own config, SQLite database and log in a temp directory.

    ``stop()`` keeps the data so ``start()``/``restart()`` bring the same server back on the
    same port; ``aclose()`` (or leaving ``async with``) stops it and deletes the directory.
    """

    def __init__(
        self,
        *,
        server_name: str = "tremplin.test",
        rate_limits: RateLimits = "relaxed",
        data_dir: Path | None = None,
        extra_config: Mapping[str, Any] | None = None,
        start_timeout: float = 60.0,
        stop_timeout: float = 15.0,
        request_timeout: float = 30.0,
    ) -> None:
        self.server_name = server_name
        self.rate_limits: RateLimits = rate_limits
        self._owns_dir = data_dir is None
        self.data_dir = (
            Path(tempfile.mkdtemp(prefix="tremplin-synapse-")) if data_dir is None else data_dir
        )
        self.extra_config = dict(extra_config or {})
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.request_timeout = request_timeout
        self.shared_secret = secrets.token_hex(16)
        self._macaroon_secret = secrets.token_hex(32)  # stable across restarts
        self._form_secret = secrets.token_hex(32)
        self.port: int | None = None
        self.startup_seconds: float | None = None
        self._process: asyncio.subprocess.Process | None = None
        self._session: aiohttp.ClientSession | None = None
        self._paused = False
        self._user_counter = 0

    # -- paths ----------------------------------------------------------------------------

    @property
    def config_path(self) -> Path:
        return self.data_dir / "homeserver.yaml"

    @property
    def log_path(self) -> Path:
        """Synapse's own log (Python logging, INFO)."""
        return self.data_dir / "homeserver.log"

    @property
    def console_path(self) -> Path:
        """stdout and stderr of the process: where start-up crashes end up."""
        return self.data_dir / "console.log"

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise RuntimeError("SynapseServer has not been started")
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the console output and of Synapse's log, for failure reports."""
        parts = []
        for path in (self.console_path, self.log_path):
            if path.exists():
                text = path.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"--- {path} (last {len(text)} lines) ---\n" + "\n".join(text))
        return "\n".join(parts) or f"(no log in {self.data_dir})"

    # -- configuration --------------------------------------------------------------------

    def build_config(self) -> dict[str, Any]:
        """The homeserver config, written from scratch (never from --generate-config)."""
        if self.port is None:
            raise RuntimeError("no port chosen yet")
        config: dict[str, Any] = {
            "server_name": self.server_name,
            "public_baseurl": f"http://127.0.0.1:{self.port}/",
            "pid_file": str(self.data_dir / "homeserver.pid"),
            "signing_key_path": str(self.data_dir / "signing.key"),
            "media_store_path": str(self.data_dir / "media"),
            "log_config": str(self.data_dir / "log.yaml"),
            "database": {
                "name": "sqlite3",
                "args": {"database": str(self.data_dir / "homeserver.db")},
            },
            "listeners": [
                {
                    "port": self.port,
                    "bind_addresses": ["127.0.0.1"],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "federation_domain_whitelist": [],
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            "report_stats": False,
            "url_preview_enabled": False,
            "presence": {"enabled": False},
            "enable_registration": False,
            "registration_shared_secret": self.shared_secret,
            "macaroon_secret_key": self._macaroon_secret,
            "form_secret": self._form_secret,
            "bcrypt_rounds": 4,
            "enable_metrics": False,
        }
        if self.rate_limits == "relaxed":
            config.update(relaxed_rate_limits())
        config.update(self.extra_config)
        return config

    def _log_config(self) -> dict[str, Any]:
        return {
            "version": 1,
            "formatters": {
                "precise": {
                    "format": "%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - "
                    "%(request)s - %(message)s"
                }
            },
            "filters": {"context": {"()": "synapse.logging.context.LoggingContextFilter"}},
            "handlers": {
                "file": {
                    "class": "logging.FileHandler",
                    "formatter": "precise",
                    "filename": str(self.log_path),
                    "filters": ["context"],
                    "encoding": "utf8",
                }
            },
            "loggers": {"synapse.storage.SQL": {"level": "WARNING"}},
            "root": {"level": "INFO", "handlers": ["file"]},
            "disable_existing_loggers": False,
        }

    def _write_files(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / "media").mkdir(exist_ok=True)
        key_path = self.data_dir / "signing.key"
        if not key_path.exists():
            _write_signing_key(key_path)
        (self.data_dir / "log.yaml").write_text(yaml.safe_dump(self._log_config()))
        self.config_path.write_text(yaml.safe_dump(self.build_config(), sort_keys=False))

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Write the config, launch Synapse and wait until the client API answers."""
        if self.running:
            return
        if self.port is None:
            self.port = free_port()
        self._write_files()
        began = time.monotonic()
        with self.console_path.open("ab") as console:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "synapse.app.homeserver",
                "-c",
                str(self.config_path),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=console,
                stderr=asyncio.subprocess.STDOUT,
                cwd=self.data_dir,
            )
        self._paused = False
        try:
            await self._wait_until_ready()
        except BaseException:
            await self.stop()
            raise
        self.startup_seconds = time.monotonic() - began

    async def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        url = f"{self.base_url}/_matrix/client/versions"
        session = self._http()
        while True:
            if not self.running:
                raise SynapseStartError(f"Synapse exited during start-up\n{self.log_tail()}")
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with session.get(url, timeout=aiohttp.ClientTimeout(total=2)) as resp:
                    if resp.status == 200:
                        return
            if time.monotonic() > deadline:
                raise SynapseStartError(
                    f"Synapse did not answer {url} within {self.start_timeout:.0f} s\n"
                    f"{self.log_tail()}"
                )
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL after ``stop_timeout``; the data directory is kept."""
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        if self._paused:
            self._continue(process)
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), self.stop_timeout)
        except TimeoutError:
            process.kill()
            await asyncio.wait_for(process.wait(), self.stop_timeout)
        await self._close_session()

    async def restart(self) -> None:
        """Stop then start again on the same port with the same database."""
        await self.stop()
        await self.start()

    async def pause(self) -> None:
        """Freeze the process (SIGSTOP): connections hang, as with a stuck homeserver."""
        if self._process is None or not self.running:
            raise RuntimeError("Synapse is not running")
        self._process.send_signal(signal.SIGSTOP)
        self._paused = True

    async def resume(self) -> None:
        """Undo ``pause()`` (SIGCONT)."""
        if self._process is not None:
            self._continue(self._process)

    def _continue(self, process: asyncio.subprocess.Process) -> None:
        if process.returncode is None:
            process.send_signal(signal.SIGCONT)
        self._paused = False

    async def aclose(self) -> None:
        """Stop Synapse and delete the data directory if this object created it."""
        await self.stop()
        await self._close_session()
        if self._owns_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    async def __aenter__(self) -> SynapseServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- HTTP -----------------------------------------------------------------------------

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.request_timeout)
            )
        return self._session

    async def _close_session(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        user: RegisteredUser | None = None,
        json_body: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
        time_limit: float | None = None,
    ) -> dict[str, Any]:
        """One client-server API call; returns the JSON body or raises ``SynapseError``."""
        headers = {"Authorization": f"Bearer {user.access_token}"} if user else {}
        client_timeout = aiohttp.ClientTimeout(total=time_limit) if time_limit else None
        async with self._http().request(
            method,
            self.base_url + path,
            json=json_body,
            params=params,
            headers=headers,
            timeout=client_timeout,
        ) as resp:
            body = await resp.json(content_type=None)
            if resp.status >= 300:
                raise SynapseError(method, path, resp.status, body or {})
            return dict(body)

    # -- users ----------------------------------------------------------------------------

    async def register(
        self, localpart: str, password: str | None = None, admin: bool = False
    ) -> RegisteredUser:
        """Create a user with the shared-secret admin API; keep its token (logins are limited)."""
        password = password or secrets.token_urlsafe(12)
        path = "/_synapse/admin/v1/register"
        nonce = (await self.request("GET", path))["nonce"]
        body = {
            "nonce": nonce,
            "username": localpart,
            "password": password,
            "admin": admin,
            "mac": registration_mac(self.shared_secret, nonce, localpart, password, admin),
        }
        answer = await self.request("POST", path, json_body=body)
        return RegisteredUser(
            user_id=answer["user_id"],
            access_token=answer["access_token"],
            device_id=answer["device_id"],
            password=password,
        )

    async def new_user(self, prefix: str = "user", *, admin: bool = False) -> RegisteredUser:
        """Register a user with a localpart unique on this server (``prefix-<n>-<hex>``)."""
        self._user_counter += 1
        return await self.register(
            f"{prefix}-{self._user_counter}-{secrets.token_hex(3)}", admin=admin
        )

    async def set_display_name(self, user: RegisteredUser, name: str) -> None:
        """The name clients show for ``user`` (and put in the text of a pill)."""
        path = f"{CLIENT_API}/profile/{_q(user.user_id)}/displayname"
        await self.request("PUT", path, user=user, json_body={"displayname": name})

    # -- rooms ----------------------------------------------------------------------------

    async def create_room(
        self,
        user: RegisteredUser,
        *,
        name: str | None = None,
        invite: Iterable[str] = (),
        encrypted: bool = False,
        is_direct: bool = False,
        preset: str = "private_chat",
    ) -> str:
        """Create a room (invite-only by default) and return its id."""
        body: dict[str, Any] = {"preset": preset, "invite": list(invite), "is_direct": is_direct}
        if name is not None:
            body["name"] = name
        if encrypted:
            body["initial_state"] = [
                {
                    "type": "m.room.encryption",
                    "state_key": "",
                    "content": {"algorithm": MEGOLM_ALGORITHM},
                }
            ]
        answer = await self.request("POST", f"{CLIENT_API}/createRoom", user=user, json_body=body)
        return str(answer["room_id"])

    async def invite(self, user: RegisteredUser, room_id: str, target: str) -> None:
        path = f"{CLIENT_API}/rooms/{_q(room_id)}/invite"
        await self.request("POST", path, user=user, json_body={"user_id": target})

    async def join(self, user: RegisteredUser, room_id: str) -> str:
        """Join a room (by id or alias) and return its id."""
        answer = await self.request(
            "POST", f"{CLIENT_API}/join/{_q(room_id)}", user=user, json_body={}
        )
        return str(answer["room_id"])

    async def leave(self, user: RegisteredUser, room_id: str) -> None:
        await self.request(
            "POST", f"{CLIENT_API}/rooms/{_q(room_id)}/leave", user=user, json_body={}
        )

    async def send_event(
        self,
        user: RegisteredUser,
        room_id: str,
        event_type: str,
        content: Mapping[str, Any],
        *,
        txn_id: str | None = None,
    ) -> str:
        """Send a timeline event and return its event id."""
        txn = txn_id or secrets.token_hex(8)
        path = f"{CLIENT_API}/rooms/{_q(room_id)}/send/{_q(event_type)}/{_q(txn)}"
        return str((await self.request("PUT", path, user=user, json_body=content))["event_id"])

    async def send_text(
        self,
        user: RegisteredUser,
        room_id: str,
        body: str,
        *,
        txn_id: str | None = None,
        extra_content: Mapping[str, Any] | None = None,
        msgtype: str = "m.text",
    ) -> str:
        """Send an ``m.room.message`` (plain, unencrypted) and return its event id."""
        content: dict[str, Any] = {"msgtype": msgtype, "body": body, **(extra_content or {})}
        return await self.send_event(user, room_id, "m.room.message", content, txn_id=txn_id)

    async def send_to_device(
        self,
        user: RegisteredUser,
        event_type: str,
        messages: Mapping[str, Mapping[str, Mapping[str, Any]]],
        *,
        txn_id: str | None = None,
    ) -> None:
        """``PUT /sendToDevice``: ``messages`` maps user ids to device ids to contents."""
        txn = txn_id or secrets.token_hex(8)
        path = f"{CLIENT_API}/sendToDevice/{_q(event_type)}/{_q(txn)}"
        await self.request("PUT", path, user=user, json_body={"messages": messages})

    async def messages(
        self, user: RegisteredUser, room_id: str, limit: int = 50
    ) -> list[dict[str, Any]]:
        """The last ``limit`` timeline events of a room, in CHRONOLOGICAL order (oldest first)."""
        path = f"{CLIENT_API}/rooms/{_q(room_id)}/messages"
        params = {"dir": "b", "limit": str(limit)}
        chunk = (await self.request("GET", path, user=user, params=params))["chunk"]
        return list(reversed(chunk))

    async def room_members(self, user: RegisteredUser, room_id: str) -> dict[str, str]:
        """Every member of a room mapped to its membership ("join", "invite", "leave", ...)."""
        path = f"{CLIENT_API}/rooms/{_q(room_id)}/members"
        chunk = (await self.request("GET", path, user=user))["chunk"]
        return {event["state_key"]: event["content"]["membership"] for event in chunk}

    async def get_state(
        self, user: RegisteredUser, room_id: str, event_type: str, state_key: str = ""
    ) -> dict[str, Any]:
        path = f"{CLIENT_API}/rooms/{_q(room_id)}/state/{_q(event_type)}/{_q(state_key)}"
        return await self.request("GET", path, user=user)

    async def set_state(
        self,
        user: RegisteredUser,
        room_id: str,
        event_type: str,
        content: Mapping[str, Any],
        state_key: str = "",
    ) -> str:
        path = f"{CLIENT_API}/rooms/{_q(room_id)}/state/{_q(event_type)}/{_q(state_key)}"
        return str((await self.request("PUT", path, user=user, json_body=content))["event_id"])

    async def power_levels(self, user: RegisteredUser, room_id: str) -> dict[str, Any]:
        """The ``m.room.power_levels`` content (room v12: creators are not in ``users``)."""
        return await self.get_state(user, room_id, "m.room.power_levels")

    async def set_power_level(
        self, user: RegisteredUser, room_id: str, target: str, level: int
    ) -> str:
        """Give ``target`` a power level in the room; returns the new state event's id."""
        content = await self.power_levels(user, room_id)
        content.setdefault("users", {})[target] = level
        return await self.set_state(user, room_id, "m.room.power_levels", content)

    async def sync(
        self,
        user: RegisteredUser,
        *,
        since: str | None = None,
        timeout_ms: int = 0,
        sync_filter: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Raw ``/sync``. Without ``since`` Synapse may answer from a ~2 min response cache."""
        params = {"timeout": str(timeout_ms)}
        if since is not None:
            params["since"] = since
        if sync_filter is not None:
            params["filter"] = json.dumps(dict(sync_filter), separators=(",", ":"))
        return await self.request(
            "GET",
            f"{CLIENT_API}/sync",
            user=user,
            params=params,
            time_limit=timeout_ms / 1000 + self.request_timeout,
        )


def _write_signing_key(path: Path) -> None:
    """An ed25519 server signing key in Synapse's file format (what --generate-keys writes)."""
    from signedjson.key import generate_signing_key, write_signing_keys

    key = generate_signing_key("a_" + secrets.token_hex(2))
    with path.open("w") as stream:
        write_signing_keys(stream, [key])
    os.chmod(path, 0o600)
