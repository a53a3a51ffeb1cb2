"""New mission alerts: one message to opted-in volunteers whose skills fit, at most one a day."""

from __future__ import annotations

import logging
from datetime import timedelta

from commands.context import Context
from commands.i18n import Translator
from commands.render import mission_line
from storage import volunteers as volunteer_store
from storage.models import Mission
from storage.visibility import Surface, Viewer, can_see

log = logging.getLogger(__name__)
ALERT_INTERVAL = timedelta(days=1)


async def announce_new_mission(ctx: Context, mission: Mission) -> int:
    """Queue alerts for `mission` (sent once the transaction is committed); returns how many."""
    now = ctx.now()
    candidates = await volunteer_store.alert_candidates(
        ctx.session, mission.skills, now - ALERT_INTERVAL
    )
    outbox: list[tuple[str, str]] = []
    for volunteer_id, _count in candidates:
        volunteer = await volunteer_store.by_id(ctx.session, volunteer_id)
        if volunteer is None or not volunteer.identities:
            continue
        if not can_see(mission, Viewer(trust=volunteer.trust), Surface.CHAT):
            continue
        refused = ctx.services.taxonomy.refusal_reach(frozenset(volunteer.refused_skills))
        if not refused.isdisjoint(mission.skills):
            continue  # never a mission on a skill the person refused, as ranking reads it
        t = Translator(volunteer.language)
        text = t("alerts.new_mission", line=mission_line(mission, t), id=mission.id)
        outbox.append((volunteer.identities[0].address, text))
        volunteer.last_alert_at = now

    async def send() -> None:
        for address, text in outbox:
            connector = ctx.services.hub.for_platform(volunteer_store.platform_of(address))
            if connector is None:
                log.info("no connector to alert %s", address)
                continue
            try:
                await connector.send_direct(address, text)
            except Exception:
                log.exception("alert to a volunteer failed")

    if outbox:
        ctx.after_commit.append(send)
    return len(outbox)
