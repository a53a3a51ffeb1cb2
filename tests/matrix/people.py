"""People talking to Tremplin on a real Synapse, and the bot they talk to, for the Matrix tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from nio import AsyncClient, SyncResponse

from bench.echo_bot import key_housekeeping
from bot.config import MatrixConfig, Secrets
from bot.connectors.matrix import MatrixConnector
from bot.health import Health
from commands.brain import Brain
from commands.catalogue import import_catalogue
from commands.text import MENTION_GUARD
from storage.database import Database
from tests.conversation import make_brain
from tests.harness.synapse import RegisteredUser, SynapseServer

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "examples" / "missions.yaml"
T = TypeVar("T")


async def eventually(
    probe: Callable[[], Awaitable[T | None]], within: float = 15.0, every: float = 0.1
) -> T:
    """Ask `probe` until it returns something (not None, not False), for at most `within` s."""
    deadline = time.monotonic() + within
    while True:
        value = await probe()
        if value is not None and value is not False:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"nothing came within {within:.0f} s")
        await asyncio.sleep(every)


async def sync_until(client: AsyncClient, found: Callable[[], T | None], within: float = 20.0) -> T:
    """Sync a nio `client` (handling keys as a real app does) until `found()` gives something."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        response = await client.sync(timeout=500)
        assert isinstance(response, SyncResponse), response
        await key_housekeeping(client)
        if value := found():
            return value
    raise AssertionError(f"nothing came within {within:.0f} s")


def visible(text: str) -> str:
    """What a person reads: the invisible mention guards removed."""
    return text.replace(MENTION_GUARD, "")


def reply_target(event: dict[str, Any]) -> str | None:
    relation = event.get("content", {}).get("m.relates_to") or {}
    target = (relation.get("m.in_reply_to") or {}).get("event_id")
    return target if isinstance(target, str) else None


@dataclass
class Person:
    """Someone on the homeserver, writing through the plain client-server API."""

    synapse: SynapseServer
    user: RegisteredUser

    @property
    def id(self) -> str:
        return self.user.user_id

    async def open_room(self, *invite: str, name: str | None = None, direct: bool = False) -> str:
        return await self.synapse.create_room(
            self.user, name=name, invite=list(invite), is_direct=direct
        )

    async def say(
        self, room_id: str, text: str, *, thread: str | None = None, **content: Any
    ) -> str:
        extra: dict[str, Any] = dict(content)
        if thread is not None:
            extra["m.relates_to"] = {
                "rel_type": "m.thread",
                "event_id": thread,
                "is_falling_back": True,
                "m.in_reply_to": {"event_id": thread},
            }
        return await self.synapse.send_text(self.user, room_id, text, extra_content=extra)

    async def edit(self, room_id: str, original: str, new_text: str) -> str:
        return await self.synapse.send_text(
            self.user,
            room_id,
            f"* {new_text}",
            extra_content={
                "m.new_content": {"msgtype": "m.text", "body": new_text},
                "m.relates_to": {"rel_type": "m.replace", "event_id": original},
            },
        )

    async def timeline(self, room_id: str, limit: int = 200) -> list[dict[str, Any]]:
        return await self.synapse.messages(self.user, room_id, limit=limit)

    async def replies_from(
        self, bot: str, room_id: str, to: str, *, count: int = 1, within: float = 15.0
    ) -> list[dict[str, Any]]:
        """The bot's messages answering event `to`, once at least `count` have arrived."""

        async def probe() -> list[dict[str, Any]] | None:
            events = await self.timeline(room_id)
            found = [e for e in events if e["sender"] == bot and reply_target(e) == to]
            return found if len(found) >= count else None

        return await eventually(probe, within)

    async def membership_of(self, room_id: str, user_id: str) -> str | None:
        return (await self.synapse.room_members(self.user, room_id)).get(user_id)


async def room_with_bot(person: Person, bot: str, *others: str) -> str:
    """A room `person` opens with the bot (and `others`), once the bot has joined."""
    room = await person.open_room(bot, *others)

    async def bot_joined() -> bool:
        return await person.membership_of(room, bot) == "join"

    await eventually(bot_joined)
    return room


@dataclass
class RunningBot:
    """Tremplin's Matrix connector on its own SQLite database and crypto store."""

    connector: MatrixConnector
    brain: Brain
    database: Database
    user: RegisteredUser
    config: MatrixConfig
    health: Health = field(default_factory=Health)

    @property
    def id(self) -> str:
        return self.user.user_id


def bot_config(
    synapse: SynapseServer, user: RegisteredUser, store: Path, **overrides: Any
) -> MatrixConfig:
    values: dict[str, Any] = {
        "enabled": True,
        "homeserver": synapse.base_url,
        "user_id": user.user_id,
        "device_id": user.device_id,
        "store_path": str(store),
        "accept_invites_from": [f"@{p}-*:{synapse.server_name}" for p in ("alice", "admin")],
        "sync_timeout_seconds": 2,
        "backoff_max_seconds": 2.0,
        "unreadable_grace_seconds": 1.0,
    }
    values.update(overrides)
    return MatrixConfig(**values)


def bot_secrets(user: RegisteredUser) -> Secrets:
    return Secrets(
        matrix_access_token=user.access_token,
        matrix_password=None,
        discourse_api_key=None,
        discourse_webhook_secret=None,
        mastodon_token=None,
    )


def password_only(user: RegisteredUser) -> Secrets:
    """The bot's password and no token: Tremplin signs in by itself."""
    return Secrets(
        matrix_access_token=None,
        matrix_password=user.password,
        discourse_api_key=None,
        discourse_webhook_secret=None,
        mastodon_token=None,
    )


async def new_database(path: Path) -> Database:
    """A migrated SQLite database holding the example catalogue."""
    database = Database(f"sqlite+aiosqlite:///{path}")
    await database.upgrade()
    brain = make_brain(database)
    async with database.session() as session:
        await import_catalogue(
            session,
            CATALOGUE.read_text("utf-8"),
            brain.services.taxonomy,
            now=brain.services.clock(),
        )
    return database


def write_config(tmp_path: Path, matrix: MatrixConfig, **sections: Any) -> Path:
    """A `config.yaml` for a `tremplin` subprocess: SQLite in `tmp_path`, the example
    catalogue, this Matrix section, and any other `sections` (web, discourse…)."""
    config = tmp_path / "config.yaml"
    values = {
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'tremplin.db'}",
        "catalog": str(CATALOGUE),
        "matrix": matrix.model_dump(),
        "web": {"enabled": False},
        **sections,
    }
    config.write_text(yaml.safe_dump(values), "utf-8")
    return config
