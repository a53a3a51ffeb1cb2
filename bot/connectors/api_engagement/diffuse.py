"""`tremplin diffuse [--dry-run]`: one reconciliation with API Engagement, from the terminal."""

from __future__ import annotations

import sys

from bot.app import start_tremplin
from bot.config import Config, Secrets
from bot.connectors.api_engagement.connector import ApiEngagementConnector, missing_settings
from bot.connectors.api_engagement.reconcile import Report
from bot.render import to_plain


async def diffuse_from_command_line(config: Config, dry_run: bool) -> int:
    """Prints what was done (or would be); exit status 1 when something failed, 2 when API
    Engagement is not configured. Refusals are printed; the staff room hears of them from
    `tremplin run`."""
    if not config.api_engagement.enabled:
        print(
            "tremplin: API Engagement is off: set api_engagement.enabled (see the README)",
            file=sys.stderr,
        )
        return 2
    secrets = Secrets.from_environment()
    missing = missing_settings(config, secrets)
    if missing:
        print(f"tremplin: cannot reach API Engagement: set {', '.join(missing)}", file=sys.stderr)
        return 2
    tremplin = await start_tremplin(config)
    connector = ApiEngagementConnector.from_settings(tremplin, secrets)
    try:
        report = await connector.reconcile(dry_run=dry_run)
    finally:
        await connector.stop()
        await tremplin.close()
    print_report(report, dry_run)
    return 0 if report.ok else 1


def print_report(report: Report, dry_run: bool) -> None:
    if dry_run:
        for step in report.planned:
            print(f"would {step}")
        if not report.planned and report.stopped is None:
            print("nothing to do: API Engagement is up to date")
    for verb, labels in (
        ("created", report.created),
        ("updated", report.updated),
        ("withdrawn", report.withdrawn),
    ):
        for label in labels:
            print(f"{verb}: {label}")
    for line in report.refused:
        print(f"refused by the moderation: {to_plain(line)}")
    for failure in report.failed:
        print(f"failed: {failure}", file=sys.stderr)
    if report.stopped:
        print(f"tremplin: the pass stopped: {report.stopped}", file=sys.stderr)
    elif not dry_run and not (report.created or report.updated or report.withdrawn):
        print("API Engagement is up to date")
