"""Missions published on API Engagement: under which clientId, what was sent, how moderated."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.enums import Moderation
from storage.missions import list_visible
from storage.models import Diffusion, Mission, StateEntry
from storage.visibility import ANONYMOUS, Surface

LEASE_KEY = "api_engagement.lease"
LAST_PASS_KEY = "api_engagement.last_pass"


async def publishable(session: AsyncSession) -> list[Mission]:
    """What may leave the association: the missions anyone may see in public, open ones only
    (the board's rule, from `storage.visibility`)."""
    return await list_visible(session, ANONYMOUS, Surface.PUBLIC)


async def current(session: AsyncSession) -> list[Diffusion]:
    """Every publication not withdrawn, in the order they were made."""
    query = (
        select(Diffusion)
        .where(Diffusion.withdrawn_at.is_(None))
        .order_by(Diffusion.created_at, Diffusion.client_id)
    )
    return list((await session.scalars(query)).all())


async def get(session: AsyncSession, client_id: str) -> Diffusion | None:
    return await session.get(Diffusion, client_id)


async def allocate(
    session: AsyncSession, mission: Mission, pending: dict[str, Any], now: datetime
) -> Diffusion:
    """A new publication of `mission`, under a clientId never used before: its `ref`, else its
    number, with `-2`, `-3`… when an earlier publication (of it or another mission) had it."""
    base = mission.ref or str(mission.id)
    candidate, number = base, 1
    while await session.get(Diffusion, candidate) is not None:
        number += 1
        candidate = f"{base}-{number}"
    diffusion = Diffusion(
        client_id=candidate, mission_id=mission.id, pending=pending, created_at=now
    )
    session.add(diffusion)
    await session.flush()
    return diffusion


async def mark_sent(
    session: AsyncSession, client_id: str, sent: dict[str, Any], now: datetime
) -> None:
    """API Engagement now holds `sent` under `client_id`."""
    diffusion = await session.get(Diffusion, client_id)
    if diffusion is not None:
        diffusion.sent = sent
        diffusion.pending = None
        diffusion.error = None
        diffusion.synced_at = now


async def mark_withdrawn(session: AsyncSession, client_id: str, now: datetime) -> None:
    """Deleted on API Engagement, or never created there: the clientId stays used for good."""
    diffusion = await session.get(Diffusion, client_id)
    if diffusion is not None and diffusion.withdrawn_at is None:
        diffusion.withdrawn_at = now
        diffusion.pending = None


async def mark_failed(session: AsyncSession, client_id: str, error: str, now: datetime) -> None:
    diffusion = await session.get(Diffusion, client_id)
    if diffusion is not None:
        diffusion.error = error[:500]
        diffusion.synced_at = now


async def note_moderation(
    session: AsyncSession,
    client_id: str,
    moderation: Moderation | None,
    comment: str | None,
    moderated_by: str | None,
) -> bool:
    """Keep what the moderation said; True when it changed."""
    diffusion = await session.get(Diffusion, client_id)
    if diffusion is None:
        return False
    before = (diffusion.moderation, diffusion.moderation_comment, diffusion.moderated_by)
    diffusion.moderation = moderation
    diffusion.moderation_comment = comment or None
    diffusion.moderated_by = moderated_by
    return before != (moderation, comment or None, moderated_by)


async def note_moderations(
    session: AsyncSession,
    said: dict[str, tuple[Moderation | None, str | None, str | None]],
) -> int:
    """`note_moderation` for many publications at once (one query): clientId → (status,
    comment, who). Returns how many changed."""
    if not said:
        return 0
    query = select(Diffusion).where(Diffusion.client_id.in_(list(said)))
    changed = 0
    for diffusion in (await session.scalars(query)).all():
        moderation, comment, moderated_by = said[diffusion.client_id]
        now = (moderation, comment or None, moderated_by)
        if (diffusion.moderation, diffusion.moderation_comment, diffusion.moderated_by) != now:
            diffusion.moderation, diffusion.moderation_comment, diffusion.moderated_by = now
            changed += 1
    return changed


async def untold_refusals(session: AsyncSession) -> list[tuple[Diffusion, Mission | None]]:
    """Current publications refused by the moderation whose reason the staff have not read."""
    query = (
        select(Diffusion, Mission)
        .outerjoin(Mission, Mission.id == Diffusion.mission_id)
        .where(Diffusion.withdrawn_at.is_(None), Diffusion.moderation == Moderation.REFUSED)
        .order_by(Diffusion.created_at)
    )
    rows = (await session.execute(query)).all()
    return [
        (diffusion, mission)
        for diffusion, mission in rows
        if diffusion.refusal_told != refusal_key(diffusion)
    ]


def refusal_key(diffusion: Diffusion) -> str:
    """One refusal, as told: a new reason is a new refusal to tell."""
    return f"{diffusion.moderated_by or ''}:{diffusion.moderation_comment or ''}"


async def mark_told(session: AsyncSession, client_id: str, told: str) -> None:
    diffusion = await session.get(Diffusion, client_id)
    if diffusion is not None:
        diffusion.refusal_told = told


@dataclass(frozen=True)
class Overview:
    """For `!diffusion`: each publishable mission with its publication (None: not sent yet),
    the publications waiting to be withdrawn, and the last pass."""

    published: list[tuple[Mission, Diffusion | None]]
    to_withdraw: list[tuple[Diffusion, Mission | None]]
    last_pass: dict[str, Any] | None


async def overview(session: AsyncSession) -> Overview:
    missions = await publishable(session)
    wanted = {mission.id for mission in missions}
    by_mission: dict[int, Diffusion] = {}
    to_withdraw: list[tuple[Diffusion, Mission | None]] = []
    for diffusion in await current(session):
        if diffusion.mission_id in wanted:
            by_mission[diffusion.mission_id] = diffusion  # type: ignore[index]
        else:
            mission = (
                await session.get(Mission, diffusion.mission_id) if diffusion.mission_id else None
            )
            to_withdraw.append((diffusion, mission))
    published = [(mission, by_mission.get(mission.id)) for mission in missions]
    return Overview(published, to_withdraw, await last_pass(session))


async def last_pass(session: AsyncSession) -> dict[str, Any] | None:
    entry = await session.get(StateEntry, LAST_PASS_KEY)
    if entry is None:
        return None
    value: dict[str, Any] = json.loads(entry.value)
    return value


async def record_pass(session: AsyncSession, summary: dict[str, Any], now: datetime) -> None:
    """What the last pass did, for `!diffusion` (`summary` holds plain JSON values)."""
    text = json.dumps({**summary, "at": now.isoformat()}, ensure_ascii=False)
    entry = await session.get(StateEntry, LAST_PASS_KEY)
    if entry is None:
        session.add(StateEntry(key=LAST_PASS_KEY, value=text, updated_at=now))
    else:
        entry.value = text
        entry.updated_at = now


async def take_lease(
    session: AsyncSession, holder: str, now: datetime, duration: timedelta
) -> bool:
    """One pass at a time, across processes (`tremplin run` and `tremplin diffuse`): True when
    `holder` may go on until `now + duration`.

    A compare-and-set on one row, atomic on SQLite and PostgreSQL alike; an expired lease is
    taken over (its holder died).
    """
    until = (now + duration).isoformat()
    value = json.dumps({"holder": holder, "until": until})
    entry = await session.get(StateEntry, LEASE_KEY)
    if entry is None:
        try:
            async with session.begin_nested():
                await session.execute(
                    insert(StateEntry).values(key=LEASE_KEY, value=value, updated_at=now)
                )
        except IntegrityError:  # another process took it first
            return False
        return True
    held = json.loads(entry.value)
    if held.get("holder") != holder and datetime.fromisoformat(held["until"]) > now:
        return False
    result = await session.execute(
        update(StateEntry)
        .where(StateEntry.key == LEASE_KEY, StateEntry.value == entry.value)
        .values(value=value, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(entry)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def release_lease(session: AsyncSession, holder: str, now: datetime) -> None:
    entry = await session.get(StateEntry, LEASE_KEY)
    if entry is not None and json.loads(entry.value).get("holder") == holder:
        entry.value = json.dumps({"holder": "", "until": now.isoformat()})
        entry.updated_at = now
