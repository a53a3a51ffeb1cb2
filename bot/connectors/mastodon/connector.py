"""The Mastodon connector: the hub's "mastodon", publishing calls for volunteers."""

from __future__ import annotations

import logging

from bot.app import Tremplin
from bot.config import Config, Secrets
from bot.connectors.connector import NotConfigured
from bot.connectors.mastodon.client import PLATFORM, MastodonClient
from bot.connectors.publish_only import PublishOnly
from bot.health import Health
from commands.brain import Brain
from commands.ports import AppealText, PortError

log = logging.getLogger(__name__)


def missing_settings(config: Config, secrets: Secrets) -> list[str]:
    """What must be set before Mastodon can be reached, by its setting's name."""
    needed = (
        ("mastodon.url", config.mastodon.url),
        ("TREMPLIN_MASTODON_TOKEN", secrets.mastodon_token),
    )
    return [name for name, value in needed if not value]


class MastodonConnector(PublishOnly):
    """The association's account. Nobody talks to the bot there, so it only publishes: it
    opens no private thread and sends no message (the hub looks elsewhere for those)."""

    platform = PLATFORM
    platform_name = "Mastodon"

    def __init__(self, brain: Brain, url: str, token: str, *, health: Health | None = None):
        self.brain = brain
        self.health = health if health is not None else Health()
        self.client = MastodonClient(url, token)

    @classmethod
    def from_settings(cls, tremplin: Tremplin, secrets: Secrets) -> MastodonConnector:
        """The connector for `mastodon.url`; raises NotConfigured without what it needs."""
        url, token = tremplin.config.mastodon.url, secrets.mastodon_token
        if url is None or token is None:
            raise NotConfigured(f"set {', '.join(missing_settings(tremplin.config, secrets))}")
        return cls(tremplin.brain, url, token, health=tremplin.health)

    async def start(self) -> None:
        """Become the brain's way to Mastodon; nothing to listen to."""
        self.brain.services.hub.register(self)
        self.health.report(PLATFORM, True, "ready")

    async def stop(self) -> None:
        self.brain.services.hub.unregister(self)
        await self.client.close()

    async def publish_appeal(self, appeal: AppealText) -> list[str]:
        """A public status: the appeal's body, the short text written for Mastodon (see
        `commands.channels`); returns the status's address."""
        try:
            status = await self.client.post_status(appeal.body, appeal.language)
        except PortError as error:
            log.warning("call not published on Mastodon: %s", error)
            raise
        return [str(status.get("url") or status.get("id") or "")]

    async def forget(self, address: str) -> None:
        """Mastodon is only published to: nothing is kept about anyone."""
