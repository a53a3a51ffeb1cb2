"""Which follow-ups were already sent, so that each goes out exactly once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ReminderSent


async def already_sent(session: AsyncSession, kind: str, subject: str) -> bool:
    query = select(ReminderSent.id).where(
        ReminderSent.kind == kind, ReminderSent.subject == subject
    )
    return await session.scalar(query) is not None


async def claim(
    session: AsyncSession, kind: str, subject: str, due_at: datetime, now: datetime
) -> None:
    """Record the reminder as sent (committed before sending: never twice)."""
    session.add(ReminderSent(kind=kind, subject=subject, due_at=due_at, sent_at=now))


async def release(session: AsyncSession, kind: str, subject: str) -> None:
    """Sending failed: the reminder is due again at the next pass."""
    await session.execute(
        delete(ReminderSent).where(ReminderSent.kind == kind, ReminderSent.subject == subject)
    )
