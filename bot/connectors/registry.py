"""Which connectors a configuration enables, and how each is built (imported only if used)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.app import Tremplin
from bot.config import Config, Secrets
from bot.connectors.connector import Connector

if TYPE_CHECKING:  # every connector has the one shape: mypy checks it here
    from bot.connectors.api_engagement import ApiEngagementConnector
    from bot.connectors.console import ConsoleConnector
    from bot.connectors.discourse import DiscourseConnector
    from bot.connectors.mastodon import MastodonConnector
    from bot.connectors.matrix import MatrixConnector

    SHAPES: tuple[type[Connector], ...] = (
        ApiEngagementConnector,
        ConsoleConnector,
        DiscourseConnector,
        MastodonConnector,
        MatrixConnector,
    )


def _matrix(tremplin: Tremplin, secrets: Secrets) -> Connector:
    from bot.connectors.matrix import MatrixConnector

    return MatrixConnector(tremplin.config.matrix, tremplin.brain, secrets, tremplin.health)


def _discourse(tremplin: Tremplin, secrets: Secrets) -> Connector:
    from bot.connectors.discourse import DiscourseConnector

    return DiscourseConnector.from_settings(tremplin, secrets)


def _mastodon(tremplin: Tremplin, secrets: Secrets) -> Connector:
    from bot.connectors.mastodon import MastodonConnector

    return MastodonConnector.from_settings(tremplin, secrets)


def _api_engagement(tremplin: Tremplin, secrets: Secrets) -> Connector:
    from bot.connectors.api_engagement import ApiEngagementConnector

    return ApiEngagementConnector.from_settings(tremplin, secrets, notify=tremplin.hub.notify_staff)


@dataclass(frozen=True)
class ConnectorKind:
    """A platform `tremplin run` can connect to."""

    platform: str
    enabled: Callable[[Config], bool]
    build: Callable[[Tremplin, Secrets], Connector]  # raises NotConfigured


# The console is not here: it talks to a terminal, with `tremplin console`.
KINDS = (
    ConnectorKind("matrix", lambda config: config.matrix.enabled, _matrix),
    ConnectorKind("discourse", lambda config: config.discourse.enabled, _discourse),
    ConnectorKind("mastodon", lambda config: config.mastodon.url is not None, _mastodon),
    ConnectorKind("api_engagement", lambda config: config.api_engagement.enabled, _api_engagement),
)


def enabled_kinds(config: Config) -> list[ConnectorKind]:
    return [kind for kind in KINDS if kind.enabled(config)]
