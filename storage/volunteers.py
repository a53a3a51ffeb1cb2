"""Volunteers, their platform identities and skills."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from storage import events, link_codes, state
from storage.enums import EngagementStatus, SkillLevel, Trust
from storage.models import (
    AuditEntry,
    Engagement,
    Identity,
    ReminderSent,
    Volunteer,
    VolunteerSkill,
)

ERASED = "(effacé·e)"  # what the audit log says instead of an erased person's address
ERASED_COUNTER = "count:erased_volunteers"
OPEN_ENGAGEMENTS = [status for status in EngagementStatus if status.is_open]


def platform_of(address: str) -> str:
    """`@alice:example.org` → matrix, `discourse:alice` → discourse, `console:bob` → console."""
    if address.startswith("@"):
        return "matrix"
    prefix, sep, _ = address.partition(":")
    return prefix if sep else "unknown"


async def by_address(session: AsyncSession, address: str) -> Volunteer | None:
    """The volunteer behind an identity, with identities and skills, in one query."""
    owner = select(Identity.volunteer_id).where(Identity.address == address).scalar_subquery()
    query = (
        select(Volunteer)
        .where(Volunteer.id == owner)
        .options(joinedload(Volunteer.identities), joinedload(Volunteer.skill_rows))
    )
    return (await session.scalars(query)).unique().one_or_none()


async def trust_by_address(session: AsyncSession, addresses: Iterable[str]) -> dict[str, Trust]:
    """The trust of each address that belongs to a volunteer (the others are not in the map)."""
    wanted = sorted(set(addresses))
    found: dict[str, Trust] = {}
    for start in range(0, len(wanted), 500):  # bounded IN lists, whatever the room's size
        rows = await session.execute(
            select(Identity.address, Volunteer.trust)
            .join(Volunteer, Volunteer.id == Identity.volunteer_id)
            .where(Identity.address.in_(wanted[start : start + 500]))
        )
        found.update({address: Trust(trust) for address, trust in rows})
    return found


async def by_id(session: AsyncSession, volunteer_id: int) -> Volunteer | None:
    return await session.get(Volunteer, volunteer_id)


async def create(
    session: AsyncSession,
    address: str,
    *,
    now: datetime,
    language: str = "fr",
    source: str | None = None,
    display_name: str | None = None,
) -> Volunteer:
    """A new person, as of `now`: asking the bot something is their consent."""
    volunteer = Volunteer(
        language=language,
        source=source,
        consent_at=now,
        created_at=now,
        last_active_at=now,
        skill_rows=[],
    )
    volunteer.identities.append(
        Identity(address=address, platform=platform_of(address), display_name=display_name)
    )
    session.add(volunteer)
    await session.flush()
    return volunteer


def add_identity(volunteer: Volunteer, address: str) -> None:
    """One more platform address for the same person (after `!lier`)."""
    volunteer.identities.append(Identity(address=address, platform=platform_of(address)))


async def set_skills(
    session: AsyncSession,
    volunteer: Volunteer,
    tags: Sequence[str],
    levels: Mapping[str, SkillLevel] | None = None,
) -> None:
    """Replace the volunteer's skills by `tags`, keeping their order; each keeps the level
    given in `levels`, else the one it had, else "stated"."""
    before = volunteer.skill_levels
    given = levels or {}
    volunteer.skill_rows.clear()
    await session.flush()  # the old rows go before new ones with the same key arrive
    volunteer.skill_rows.extend(
        VolunteerSkill(
            volunteer_id=volunteer.id,
            tag=tag,
            position=index,
            level=given.get(tag) or before.get(tag, SkillLevel.STATED),
        )
        for index, tag in enumerate(dict.fromkeys(tags))
    )
    await session.flush()


def set_refused(volunteer: Volunteer, tags: Iterable[str]) -> None:
    """The skills the person doesn't have or doesn't want (never proposed on), in order."""
    volunteer.refused_skills = list(dict.fromkeys(tags))


async def findable_with_skill(session: AsyncSession, tag: str) -> list[Volunteer]:
    """Volunteers who agreed to be found and stated `tag`."""
    query = (
        select(Volunteer)
        .join(VolunteerSkill)
        .where(VolunteerSkill.tag == tag, Volunteer.findable.is_(True))
        .order_by(Volunteer.last_active_at.desc())
    )
    return list((await session.scalars(query)).all())


async def alert_candidates(
    session: AsyncSession, tags: Iterable[str], not_alerted_since: datetime
) -> list[tuple[int, int]]:
    """(volunteer id, number of matching skills) for opted-in volunteers not alerted lately."""
    tag_list = list(tags)
    if not tag_list:
        return []
    query = (
        select(VolunteerSkill.volunteer_id, func.count())
        .join(Volunteer, Volunteer.id == VolunteerSkill.volunteer_id)
        .where(
            VolunteerSkill.tag.in_(tag_list),
            Volunteer.alerts.is_(True),
            (Volunteer.last_alert_at.is_(None)) | (Volunteer.last_alert_at < not_alerted_since),
        )
        .group_by(VolunteerSkill.volunteer_id)
    )
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]


async def by_ambassador_code(session: AsyncSession, code: str) -> Volunteer | None:
    return await session.scalar(select(Volunteer).where(Volunteer.ambassador_code == code))


async def count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count(Volunteer.id))) or 0)


async def with_skills_any(session: AsyncSession, tags: Iterable[str]) -> set[int]:
    query = select(VolunteerSkill.volunteer_id).where(and_(VolunteerSkill.tag.in_(list(tags))))
    return set((await session.scalars(query)).all())


async def inactive_since(session: AsyncSession, moment: datetime) -> list[Volunteer]:
    """Volunteers whose last activity is older than `moment` (the retention rule's reading)."""
    query = select(Volunteer).where(Volunteer.last_active_at < moment).order_by(Volunteer.id)
    return list((await session.scalars(query)).all())


async def merge_into(session: AsyncSession, target: Volunteer, source: Volunteer) -> None:
    """One person, one profile: `source`'s identities, skills and missions move to `target`.

    `target` keeps its own trust, language and choices; an engagement both have on the same
    mission stays `target`'s.
    """
    if source.id == target.id:
        return
    taken = set(
        (
            await session.scalars(
                select(Engagement.mission_id).where(Engagement.volunteer_id == target.id)
            )
        ).all()
    )
    for engagement in (
        await session.scalars(select(Engagement).where(Engagement.volunteer_id == source.id))
    ).all():
        if engagement.mission_id in taken:
            await session.delete(engagement)
        else:
            engagement.volunteer_id = target.id
    merged_skills = [*target.skills, *(tag for tag in source.skills if tag not in target.skills)]
    refused = [*target.refused_skills, *source.refused_skills]  # target's own word wins
    merged_skills = [tag for tag in merged_skills if tag not in target.refused_skills]
    set_refused(target, [tag for tag in refused if tag not in merged_skills])
    merged_levels = {**source.skill_levels, **target.skill_levels}
    if target.hours_per_month is None:
        target.hours_per_month = source.hours_per_month
    if source.skills_text and source.skills_text not in target.skills_text:
        target.skills_text = "\n".join(t for t in (target.skills_text, source.skills_text) if t)
    await session.flush()
    await session.execute(
        update(Identity).where(Identity.volunteer_id == source.id).values(volunteer_id=target.id)
    )
    session.expire(source, ["identities"])
    await session.delete(source)
    await session.flush()
    await session.refresh(target, ["identities"])
    await set_skills(session, target, merged_skills, merged_levels)


async def erase(
    session: AsyncSession,
    volunteer: Volunteer,
    now: datetime,
    *,
    mentions: Iterable[str] = (),
) -> list[str]:
    """Delete the person, identities, skills and free text, and every trace of them the
    product keeps; only anonymous counts stay (their engagements, with nobody attached, ended).

    Traces: the audit log's actor and target, where they came from on each engagement, the
    closing notes, the replies still owed to them (and any still owed to others that name
    them: `mentions` are the spellings a reply uses), codes they typed to link a profile, and
    their follow-up marks. Returns their addresses, for the connectors to forget them too.
    """
    addresses = [identity.address for identity in volunteer.identities]
    mine = Engagement.volunteer_id == volunteer.id
    await session.execute(  # nobody is on these missions any more: they wait for someone again
        update(Engagement)
        .where(mine, Engagement.status.in_(OPEN_ENGAGEMENTS))
        .values(status=EngagementStatus.DROPPED, ended_at=now)
    )
    await session.execute(
        update(Engagement).where(mine).values(volunteer_id=None, closing_note=None, source=None)
    )
    if addresses:
        await session.execute(
            update(AuditEntry).where(AuditEntry.actor.in_(addresses)).values(actor=ERASED)
        )
        await session.execute(
            update(AuditEntry).where(AuditEntry.target.in_(addresses)).values(target=ERASED)
        )
        await events.forget_sender(session, addresses, [*addresses, *mentions])
        await link_codes.forget_claims_of(session, addresses)
    await session.execute(
        delete(ReminderSent).where(
            (ReminderSent.subject == f"volunteer:{volunteer.id}")
            | ReminderSent.subject.startswith(f"volunteer:{volunteer.id}:")
        )
    )
    await session.delete(volunteer)
    await state.increment(session, ERASED_COUNTER, now)
    await session.flush()
    return addresses
