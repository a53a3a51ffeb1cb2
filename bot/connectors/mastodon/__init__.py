"""The association's Mastodon account: calls for volunteers published as public statuses."""

from bot.connectors.mastodon.connector import MastodonConnector

__all__ = ["MastodonConnector"]
