"""Recruitment funnel figures, counted in the database."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.enums import EngagementStatus, MissionStatus
from storage.models import Engagement, Mission, Volunteer, VolunteerSkill

STAGES = ("started", "skills", "applied", "onboarded", "entry_door_done", "active_60_days")
DIRECT = "direct"
# Someone has taken the mission up (a dropped or declined engagement leaves it a gap).
TAKEN_UP = (
    EngagementStatus.INTERESTED,
    EngagementStatus.ONBOARDING,
    EngagementStatus.ACTIVE,
    EngagementStatus.COMPLETED,
)


@dataclass
class Funnel:
    """Per source (channel code or `ambassador:CODE`), how many people reached each stage."""

    by_source: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    median_first_response_hours: float | None = None
    gaps: list[tuple[Mission, Counter[str]]] = field(default_factory=list)

    def total(self, stage: str) -> int:
        return sum(counts[stage] for counts in self.by_source.values())


def _source(value: str | None) -> str:
    return value or DIRECT


async def _count_by_source(session: AsyncSession, query: object) -> Counter[str]:
    rows = (await session.execute(query)).all()  # type: ignore[call-overload]
    return Counter({_source(source): count for source, count in rows})


async def funnel(session: AsyncSession, now: datetime) -> Funnel:
    result = Funnel()
    people = Volunteer.source
    distinct = func.count(func.distinct(Volunteer.id))
    stages = {
        "started": select(people, func.count(Volunteer.id)).group_by(people),
        "skills": select(people, distinct).join(VolunteerSkill).group_by(people),
        "applied": select(people, distinct)
        .join(Engagement, Engagement.volunteer_id == Volunteer.id)
        .group_by(people),
        "onboarded": select(people, distinct)
        .join(Engagement, Engagement.volunteer_id == Volunteer.id)
        .where(Engagement.onboarding_at.is_not(None))
        .group_by(people),
        "entry_door_done": select(people, distinct)
        .join(Engagement, Engagement.volunteer_id == Volunteer.id)
        .join(Mission, Mission.id == Engagement.mission_id)
        .where(Engagement.status == EngagementStatus.COMPLETED, Mission.entry_door.is_(True))
        .group_by(people),
    }
    for stage, query in stages.items():
        for source, count in (await _count_by_source(session, query)).items():
            result.by_source[source][stage] = count
    settled = (
        await session.execute(
            select(Volunteer.source, Volunteer.created_at, Volunteer.last_active_at).where(
                Volunteer.created_at <= now - timedelta(days=60)
            )
        )
    ).all()
    for origin, created, active in settled:
        if active >= created + timedelta(days=60):
            result.by_source[_source(origin)]["active_60_days"] += 1
    result.median_first_response_hours = await _median_first_response(session)
    result.gaps = await _skill_gaps(session)
    return result


async def _median_first_response(session: AsyncSession) -> float | None:
    rows = (
        await session.execute(
            select(Engagement.onboarding_at, Engagement.first_response_at).where(
                Engagement.onboarding_at.is_not(None), Engagement.first_response_at.is_not(None)
            )
        )
    ).all()
    hours = [
        (answered - opened).total_seconds() / 3600
        for opened, answered in rows
        if opened is not None and answered is not None
    ]
    return round(statistics.median(hours), 1) if hours else None


async def _skill_gaps(session: AsyncSession) -> list[tuple[Mission, Counter[str]]]:
    """Open missions nobody has taken up, with where people who have their skills came from."""
    taken = select(Engagement.mission_id).where(Engagement.status.in_(TAKEN_UP))
    missions = (
        await session.scalars(
            select(Mission)
            .where(Mission.status == MissionStatus.OPEN, Mission.id.not_in(taken))
            .order_by(Mission.id)
        )
    ).all()
    gaps = []
    for mission in missions:
        sources: Counter[str] = Counter()
        if mission.skills:
            rows = (
                await session.execute(
                    select(Volunteer.source, func.count(func.distinct(Volunteer.id)))
                    .join(VolunteerSkill)
                    .where(VolunteerSkill.tag.in_(mission.skills))
                    .group_by(Volunteer.source)
                )
            ).all()
            sources = Counter({_source(source): count for source, count in rows})
        gaps.append((mission, sources))
    return gaps
