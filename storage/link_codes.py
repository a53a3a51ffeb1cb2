"""One-time codes that join a second platform identity to a volunteer (`!lier`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import LinkCode


async def issue(
    session: AsyncSession, volunteer_id: int, code: str, *, now: datetime, expires_at: datetime
) -> None:
    """`code` replaces any code the volunteer had; expired codes of anyone go too."""
    await session.execute(delete(LinkCode).where(LinkCode.expires_at < now))
    await session.execute(delete(LinkCode).where(LinkCode.volunteer_id == volunteer_id))
    session.add(LinkCode(code=code, volunteer_id=volunteer_id, expires_at=expires_at))


async def redeem(session: AsyncSession, code: str, now: datetime) -> int | None:
    """The volunteer a valid `code` belongs to; the code is used up. None if unknown or expired."""
    await session.execute(delete(LinkCode).where(LinkCode.expires_at < now))
    entry = await session.get(LinkCode, code)
    if entry is None or entry.expires_at < now:
        return None
    await session.delete(entry)
    return entry.volunteer_id
