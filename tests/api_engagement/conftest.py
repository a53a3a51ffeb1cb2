"""API Engagement as the bot meets it: the fake server held to the OpenAPI document, and the
brain on the example catalogue with its API Engagement connector."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
import pytest_asyncio

from bot.app import Tremplin
from bot.config import Config, Secrets
from bot.connectors.api_engagement import ApiEngagementConnector
from bot.connectors.api_engagement.reconcile import Report
from storage import diffusion as diffusion_store
from storage.database import Database
from storage.models import Diffusion
from tests.conversation import Chat
from tests.fakes.api_engagement import DOCUMENT, FakeApiEngagement

PUBLIC_URL = "https://benevoles.mla.example"
ORGANIZATION = {
    "name": "Maison des Lanceurs d'Alerte",
    "rna": "W751234567",
    "url": "https://mlalerte.org",
}


def needs_the_document() -> None:
    if not DOCUMENT.exists():
        pytest.skip(f"API Engagement's OpenAPI document is not at {DOCUMENT} (../shared)")


def diffusion_config(url: str, **changes: Any) -> Config:
    settings: dict[str, Any] = {
        "enabled": True,
        "url": url,
        "organization": ORGANIZATION,
        "requests_per_minute": 600,
        "retry_base_seconds": 0.01,
        "max_wait_seconds": 5,
        **changes,
    }
    return Config.model_validate({"web": {"public_url": PUBLIC_URL}, "api_engagement": settings})


@pytest_asyncio.fixture(loop_scope="session")
async def api() -> AsyncIterator[FakeApiEngagement]:
    """API Engagement on 127.0.0.1; it must never have answered outside the document."""
    needs_the_document()
    fake = FakeApiEngagement()
    await fake.start()
    yield fake
    await fake.stop()
    assert fake.bad_responses == []


@dataclass
class Diffusing:
    """The brain, its database, and its connector to the fake API Engagement."""

    chat: Chat
    database: Database
    api: FakeApiEngagement
    connector: ApiEngagementConnector

    async def sync(self) -> Report:
        """One pass, as the scheduler or `tremplin diffuse` runs it."""
        return await self.connector.reconcile()

    async def publications(self) -> list[Diffusion]:
        async with self.database.session() as session:
            return await diffusion_store.current(session)

    async def client_id_of(self, mission_id: int) -> str:
        [found] = [d.client_id for d in await self.publications() if d.mission_id == mission_id]
        return found


def connect(chat: Chat, database: Database, api: FakeApiEngagement, **changes: Any) -> Diffusing:
    config = diffusion_config(api.url, **changes)
    services = chat.brain.services
    services.settings = replace(services.settings, diffusion_enabled=True)
    tremplin = Tremplin(config, database, chat.brain)
    secrets = Secrets.from_environment({"TREMPLIN_API_ENGAGEMENT_KEY": api.key})
    connector = ApiEngagementConnector.from_settings(
        tremplin, secrets, notify=chat.brain.services.hub.notify_staff
    )
    return Diffusing(chat, database, api, connector)


@pytest_asyncio.fixture(loop_scope="session")
async def diffusing(
    chat: Chat, database: Database, api: FakeApiEngagement
) -> AsyncIterator[Diffusing]:
    seen = connect(chat, database, api)
    await seen.connector.start()
    yield seen
    await seen.connector.stop()
