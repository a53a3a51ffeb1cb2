"""One-time codes that join a second platform identity to a volunteer (`!lier`).

A code is issued to a profile; the identity that types it claims it; the two are joined only
once both sides have confirmed. An unconfirmed claim dies with the code.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import LinkCode


async def issue(
    session: AsyncSession,
    volunteer_id: int,
    code: str,
    *,
    owner_address: str,
    now: datetime,
    expires_at: datetime,
) -> None:
    """`code` replaces any code the volunteer had; expired codes of anyone go too."""
    await session.execute(delete(LinkCode).where(LinkCode.expires_at < now))
    await session.execute(delete(LinkCode).where(LinkCode.volunteer_id == volunteer_id))
    session.add(
        LinkCode(
            code=code, volunteer_id=volunteer_id, owner_address=owner_address, expires_at=expires_at
        )
    )


async def claim(session: AsyncSession, code: str, claimant: str, now: datetime) -> LinkCode | None:
    """The valid `code`, now claimed by `claimant`; None if unknown, expired, or already
    claimed by someone else (a code serves one claim only)."""
    await session.execute(delete(LinkCode).where(LinkCode.expires_at < now))
    entry = await session.get(LinkCode, code)
    if entry is None or entry.expires_at < now:
        return None
    if entry.claimant not in (None, claimant):
        return None
    if entry.claimant is None:
        entry.claimant = claimant
        entry.owner_confirmed = False
        entry.claimant_confirmed = False
    return entry


async def pending_for(
    session: AsyncSession, address: str, volunteer_id: int | None, now: datetime
) -> LinkCode | None:
    """The claimed, unexpired code `address` is a side of: as the one who typed it, or as a
    identity of the profile it belongs to."""
    sides = [LinkCode.claimant == address]
    if volunteer_id is not None:
        sides.append(LinkCode.volunteer_id == volunteer_id)
    query = (
        select(LinkCode)
        .where(LinkCode.claimant.is_not(None), LinkCode.expires_at >= now, or_(*sides))
        .order_by(LinkCode.expires_at.desc())
        .limit(1)
    )
    return await session.scalar(query)


async def discard(session: AsyncSession, entry: LinkCode) -> None:
    await session.delete(entry)


async def forget_claims_of(session: AsyncSession, addresses: Iterable[str]) -> None:
    """Erasure: codes these identities typed (the codes a profile owns go with the profile)."""
    wanted = list(addresses)
    if wanted:
        await session.execute(delete(LinkCode).where(LinkCode.claimant.in_(wanted)))
