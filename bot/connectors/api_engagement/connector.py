"""The API Engagement connector: the public open missions, kept in step on France's national
volunteering network, a pass at a time (`tremplin run`'s scheduler, `tremplin diffuse`)."""

from __future__ import annotations

import asyncio
import logging

from bot.app import Tremplin
from bot.config import Config, Secrets
from bot.connectors.api_engagement.client import PLATFORM, ApiEngagementClient
from bot.connectors.api_engagement.payload import Publisher
from bot.connectors.api_engagement.reconcile import Notify, Reconciler, Report
from bot.connectors.connector import NotConfigured
from bot.connectors.publish_only import PublishOnly
from bot.health import Health
from storage.changes import Change

log = logging.getLogger(__name__)


def missing_settings(config: Config, secrets: Secrets) -> list[str]:
    """What must be set before missions can be published, by the setting's name."""
    organization = config.api_engagement.organization
    needed = (
        ("TREMPLIN_API_ENGAGEMENT_KEY", secrets.api_engagement_key),
        ("web.public_url (where volunteers apply)", config.web.public_url),
        ("api_engagement.organization.name", organization.name),
        ("api_engagement.organization.rna or .siren", organization.rna or organization.siren),
    )
    return [name for name, value in needed if not value]


class ApiEngagementConnector(PublishOnly):
    """Publishes; nobody talks to the bot there, so it opens no thread and sends no message."""

    platform = PLATFORM
    platform_name = "API Engagement"
    wake_on = frozenset({Change.MISSIONS})  # a mission changed by chat is sent soon

    def __init__(
        self,
        tremplin: Tremplin,
        client: ApiEngagementClient,
        publisher: Publisher,
        *,
        notify: Notify | None = None,
    ) -> None:
        services = tremplin.brain.services
        self.health: Health = tremplin.health
        self.client = client
        self.period_seconds = tremplin.config.api_engagement.interval_seconds
        self.reconciler = Reconciler(
            tremplin.database,
            client,
            publisher,
            services.taxonomy,
            services.clock,
            notify=notify,
            staff_language=services.settings.language,
        )
        self._one_at_a_time = asyncio.Lock()

    @classmethod
    def from_settings(
        cls, tremplin: Tremplin, secrets: Secrets, *, notify: Notify | None = None
    ) -> ApiEngagementConnector:
        """Raises NotConfigured naming what is missing."""
        config = tremplin.config
        missing = missing_settings(config, secrets)
        publisher = Publisher.from_config(config)
        if missing or publisher is None or secrets.api_engagement_key is None:
            raise NotConfigured(f"set {', '.join(missing)}")
        settings = config.api_engagement
        client = ApiEngagementClient(
            settings.url,
            secrets.api_engagement_key,
            requests_per_minute=settings.requests_per_minute,
            timeout_seconds=settings.request_timeout_seconds,
            retry_base_seconds=settings.retry_base_seconds,
            max_retries=settings.max_retries,
            max_wait_seconds=settings.max_wait_seconds,
        )
        return cls(tremplin, client, publisher, notify=notify)

    async def start(self) -> None:
        self.health.report(PLATFORM, True, "ready")

    async def stop(self) -> None:
        await self.client.close()

    async def reconcile(self, *, dry_run: bool = False) -> Report:
        """One pass (never two at once in this process; the database lease sees to others)."""
        async with self._one_at_a_time:
            report = await self.reconciler.run(dry_run=dry_run)
        if not dry_run and not report.busy:
            detail = report.stopped or (
                f"{len(report.created)} created, {len(report.updated)} updated, "
                f"{len(report.withdrawn)} withdrawn"
            )
            self.health.report(PLATFORM, report.stopped is None, detail, failed=len(report.failed))
        return report

    async def run_periodic(self) -> None:
        report = await self.reconcile()
        if report.created or report.updated or report.withdrawn or report.failed:
            log.info("API Engagement: %s", report.summary())
        for failure in report.failed:
            log.warning("API Engagement: %s", failure)
        if report.stopped:
            log.warning("API Engagement pass stopped: %s", report.stopped)

    async def forget(self, address: str) -> None:
        """Only missions are sent to API Engagement, never a person: nothing to forget."""
