"""The board served for real on 127.0.0.1, on the example catalogue, with a visitor to read it."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest_asyncio
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer

from bot.app import Tremplin
from bot.board import BOARD_KEY, Board
from bot.config import Config, Secrets
from bot.web import make_app
from storage.database import Database
from tests.conversation import Chat
from tests.web.reading import Page, read_page

PUBLIC_URL = "https://benevoles.mla.example"
BOARD_CONFIG: dict[str, Any] = {
    "matrix": {
        "enabled": True,
        "homeserver": "https://matrix.mla.example",
        "user_id": "@tremplin:mla.example",
        "rooms": ["!equipe:mla.example"],
        "public_rooms": ["#benevoles:mla.example"],
    },
    "discourse": {"url": "https://forum.chatons.example"},
    "web": {"public_url": f"{PUBLIC_URL}/missions"},
}


@dataclass
class Visitor:
    """Someone (or a website) reading the board over HTTP."""

    client: TestClient[Any, Any]

    @property
    def board(self) -> Board:
        return self.client.app[BOARD_KEY]

    async def get(self, path: str, headers: Mapping[str, str] | None = None) -> ClientResponse:
        response = await self.client.get(path, headers=dict(headers or {}))
        await response.read()
        return response

    async def page(self, query: str = "", headers: Mapping[str, str] | None = None) -> Page:
        response = await self.get(f"/missions{query}", headers)
        assert response.status == 200
        return read_page(await response.text())

    async def json(self, query: str = "") -> dict[str, Any]:
        response = await self.get(f"/missions.json{query}")
        assert response.status == 200
        document: dict[str, Any] = json.loads(await response.text())
        return document

    async def atom(self, query: str = "") -> ET.Element:
        response = await self.get(f"/missions.atom{query}")
        assert response.status == 200
        return ET.fromstring(await response.read())


def board_config(**changes: Any) -> Config:
    return Config.model_validate({**BOARD_CONFIG, **changes})


@asynccontextmanager
async def serve_board(database: Database, chat: Chat, config: Config) -> AsyncIterator[Visitor]:
    """Tremplin's web app on a free port of 127.0.0.1, on the chat's brain and database."""
    tremplin = Tremplin(config, database, chat.brain)
    app = make_app(tremplin, Secrets.from_environment({}))
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield Visitor(client)


@pytest_asyncio.fixture(loop_scope="session")
async def visitor(database: Database, chat: Chat) -> AsyncIterator[Visitor]:
    """The board on the example catalogue, with Matrix rooms, a forum and a public address."""
    async with serve_board(database, chat, board_config()) as seen:
        yield seen
