"""Follow-ups: nobody left waiting, no mission forgotten, and nobody spammed.

One pass looks at the engagements and volunteers, finds what is due, and sends each reminder
exactly once: it is recorded as sent (and committed) before it goes out, and released again if
sending fails, so a restart never repeats one and a failure never loses one.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from commands.i18n import Translator
from commands.privacy import erase, forget_everywhere
from commands.render import mission_line, mission_ref
from commands.services import Services
from commands.text import user_text
from storage import engagements as engagement_store
from storage import reminders as reminder_store
from storage import volunteers as volunteer_store
from storage.database import Database, Session
from storage.enums import Commitment, EngagementStatus
from storage.models import Engagement, Volunteer
from storage.visibility import Surface, Viewer, can_recall

log = logging.getLogger(__name__)

CHECK_INS = {"checkin_2w": timedelta(weeks=2), "checkin_6w": timedelta(weeks=6)}
RENEWAL_PERIOD = timedelta(days=90)
RETENTION_GRACE = timedelta(days=30)
MONTH = timedelta(days=30)


@dataclass
class Due:
    """A follow-up that is due: what, about whom, when, and how to send it."""

    kind: str
    subject: str
    due_at: datetime
    summary: str
    send: Callable[[], Awaitable[bool]]


@dataclass
class PassReport:
    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    due: list[str] = field(default_factory=list)


class FollowUps:
    """Finds what is due at `now`; each finder reads the database and prepares the message."""

    def __init__(self, services: Services, now: datetime) -> None:
        self.services = services
        self.now = now
        self.staff_t = Translator(services.settings.language)

    def _in_thread(self, engagement: Engagement, text: str) -> Callable[[], Awaitable[bool]]:
        async def send() -> bool:
            connector = self.services.hub.for_platform(engagement.thread_platform or "")
            if connector is None or engagement.thread_ref is None:
                return False
            return await connector.post_in_thread(engagement.thread_ref, text)

        return send

    def _to_person(self, address: str, text: str) -> Callable[[], Awaitable[bool]]:
        async def send() -> bool:
            connector = self.services.hub.for_platform(volunteer_store.platform_of(address))
            return connector is not None and await connector.send_direct(address, text)

        return send

    def _to_staff(self, text: str) -> Callable[[], Awaitable[bool]]:
        async def send() -> bool:
            return await self.services.hub.notify_staff(text)

        return send

    async def onboarding(self, engagement: Engagement, volunteer: Volunteer | None) -> list[Due]:
        """No coordinator message yet: remind the coordinators, then tell the staff."""
        hours = self.services.settings.first_response_hours
        opened = engagement.onboarding_at
        if (
            engagement.status != EngagementStatus.ONBOARDING
            or engagement.first_response_at
            or opened is None
        ):
            return []
        t = self.staff_t
        line = mission_ref(engagement.mission)
        person = _address(volunteer)
        found = []
        if self.now >= opened + timedelta(hours=hours):
            coordinators = ", ".join(
                user_text(c)
                for c in engagement.mission.coordinators or self.services.settings.coordinators
            ) or t("mission.default_coordinators")
            text = t(
                "reminder.first_response", coordinators=coordinators, person=person, hours=hours
            )
            found.append(
                Due(
                    "first_response",
                    _subject(engagement),
                    opened + timedelta(hours=hours),
                    line,
                    self._in_thread(engagement, text),
                )
            )
        if self.now >= opened + timedelta(hours=2 * hours):
            text = t(
                "reminder.escalation",
                line=line,
                person=person,
                hours=2 * hours,
                thread=user_text(engagement.thread_ref or "?"),
            )
            found.append(
                Due(
                    "escalation",
                    _subject(engagement),
                    opened + timedelta(hours=2 * hours),
                    line,
                    self._to_staff(text),
                )
            )
        return found

    async def active(self, engagement: Engagement, volunteer: Volunteer | None) -> list[Due]:
        """Check-ins at 2 and 6 weeks; for recurring missions, a renewal question each period."""
        started = engagement.active_at
        if engagement.status != EngagementStatus.ACTIVE or started is None or volunteer is None:
            return []
        if not _still_visible(engagement, volunteer):
            return []
        t = Translator(volunteer.language)
        mission = engagement.mission
        found = []
        for kind, delay in CHECK_INS.items():
            if self.now >= started + delay:
                text = t("reminder.checkin", line=mission_ref(mission), id=mission.id)
                found.append(
                    Due(
                        kind,
                        _subject(engagement),
                        started + delay,
                        mission_line(mission, t),
                        self._in_thread(engagement, text),
                    )
                )
        periods = int((self.now - started) / RENEWAL_PERIOD)
        if mission.commitment == Commitment.RECURRING and periods >= 1:
            text = t("reminder.renewal", line=mission_ref(mission), id=mission.id)
            found.append(
                Due(
                    "renewal",
                    f"{_subject(engagement)}:{periods}",
                    started + periods * RENEWAL_PERIOD,
                    mission_line(mission, t),
                    self._in_thread(engagement, text),
                )
            )
        return found

    async def stopped(self, engagement: Engagement, volunteer: Volunteer | None) -> list[Due]:
        """When someone stops: why, and would they take another mission?"""
        ended = engagement.ended_at
        if engagement.status != EngagementStatus.DROPPED or ended is None or volunteer is None:
            return []
        if not _still_visible(engagement, volunteer):
            return []
        t = Translator(volunteer.language)
        text = t("reminder.exit", line=mission_ref(engagement.mission))
        send = (
            self._in_thread(engagement, text)
            if engagement.thread_ref
            else self._to_person(_address(volunteer), text)
        )
        return [
            Due(
                "exit",
                _subject(engagement),
                ended,
                mission_line(engagement.mission, t),
                send,
            )
        ]

    async def retention(self, volunteer: Volunteer) -> list[Due]:
        """Inactive for `retention_months`: warn once; still silent a month later: erase."""
        months = self.services.settings.retention_months
        limit = volunteer.last_active_at + months * MONTH
        if self.now < limit or not volunteer.identities:
            return []
        t = Translator(volunteer.language)
        warned = volunteer.retention_warned_at
        if warned is None or warned < volunteer.last_active_at:
            text = t("reminder.retention_warning", months=months, days=RETENTION_GRACE.days)
            subject = f"volunteer:{volunteer.id}:{volunteer.last_active_at:%Y%m%d}"
            send = self._to_person(_address(volunteer), text)
            return [Due("retention_warning", subject, limit, "…", send)]
        if self.now >= warned + RETENTION_GRACE:
            return [
                Due(
                    "retention_erase",
                    f"volunteer:{volunteer.id}",
                    warned + RETENTION_GRACE,
                    "…",
                    _nothing_to_send,
                )
            ]
        return []


async def _nothing_to_send() -> bool:
    return True


def _still_visible(engagement: Engagement, volunteer: Volunteer) -> bool:
    """A message to the volunteer names the mission: only while they may still see it."""
    return can_recall(engagement.mission, Viewer(trust=volunteer.trust), Surface.CHAT)


def _subject(engagement: Engagement) -> str:
    return f"engagement:{engagement.id}"


def _address(volunteer: Volunteer | None) -> str:
    if volunteer is None or not volunteer.identities:
        return "?"
    return volunteer.identities[0].address


async def run_pass(
    database: Database, services: Services, now: datetime, *, dry_run: bool = False
) -> PassReport:
    """Send every follow-up due at `now`, each exactly once."""
    report = PassReport()
    async with database.session() as session:
        finder = FollowUps(services, now)
        found: list[Due] = []
        for engagement in await engagement_store.to_follow_up(session):
            volunteer = (
                await volunteer_store.by_id(session, engagement.volunteer_id)
                if engagement.volunteer_id
                else None
            )
            found += await finder.onboarding(engagement, volunteer)
            found += await finder.active(engagement, volunteer)
            found += await finder.stopped(engagement, volunteer)
        retention = services.settings.retention_months * MONTH
        for volunteer in await volunteer_store.inactive_since(session, now - retention):
            found += await finder.retention(volunteer)
        pending = [
            d for d in found if not await reminder_store.already_sent(session, d.kind, d.subject)
        ]
    for due in pending:
        label = f"{due.kind} {due.subject}"
        report.due.append(label)
        if dry_run:
            continue
        if await _send_once(database, services, due, now):
            report.sent.append(label)
        else:
            report.failed.append(label)
    return report


async def _send_once(database: Database, services: Services, due: Due, now: datetime) -> bool:
    async with database.session() as session:
        if await reminder_store.already_sent(session, due.kind, due.subject):
            return False
        await reminder_store.claim(session, due.kind, due.subject, due.due_at, now)
    try:
        sent = await due.send()
    except Exception:
        log.exception("follow-up %s %s failed", due.kind, due.subject)
        sent = False
    async with database.session() as session:
        if not sent:
            await reminder_store.release(session, due.kind, due.subject)
            return False
        erased = await _after_sending(session, due, now)
    if erased:
        await forget_everywhere(database, services.hub, erased)
    return True


async def _after_sending(session: Session, due: Due, now: datetime) -> list[str]:
    """What a reminder changes once sent: the warning date, or the erasure itself (then the
    addresses erased, for the connectors to forget once committed)."""
    if not due.kind.startswith("retention_"):
        return []
    volunteer_id = int(due.subject.split(":")[1])
    volunteer = await volunteer_store.by_id(session, volunteer_id)
    if volunteer is None:
        return []
    if due.kind == "retention_warning":
        volunteer.retention_warned_at = now
        return []
    return await erase(session, volunteer, now)
