"""Platform events already handled, and the replies still owed for them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedEvent


async def find(session: AsyncSession, platform: str, event_id: str) -> ProcessedEvent | None:
    return await session.get(ProcessedEvent, (platform, event_id))


async def record(
    session: AsyncSession,
    platform: str,
    event_id: str,
    replies: list[str],
    now: datetime,
    *,
    sender: str | None = None,
) -> None:
    session.add(
        ProcessedEvent(
            platform=platform, event_id=event_id, replies=replies, handled_at=now, sender=sender
        )
    )


async def replace_replies(
    session: AsyncSession, platform: str, event_id: str, replies: list[str]
) -> None:
    entry = await session.get(ProcessedEvent, (platform, event_id))
    if entry is not None and not entry.delivered:
        entry.replies = replies


async def mark_delivered(session: AsyncSession, platform: str, event_id: str) -> None:
    entry = await session.get(ProcessedEvent, (platform, event_id))
    if entry is not None:
        entry.delivered = True
        entry.replies = []  # sent: nothing personal needs to stay here


async def undelivered(session: AsyncSession, platform: str) -> list[ProcessedEvent]:
    query = select(ProcessedEvent).where(
        ProcessedEvent.platform == platform, ProcessedEvent.delivered.is_(False)
    )
    return list((await session.scalars(query)).all())


async def forget_older_than(session: AsyncSession, moment: datetime) -> None:
    await session.execute(delete(ProcessedEvent).where(ProcessedEvent.handled_at < moment))


async def forget_sender(
    session: AsyncSession, senders: Iterable[str], mentions: Iterable[str]
) -> None:
    """Erasure: the events of `senders` keep only their ids (so they are never handled
    again), and no reply still owed to anyone keeps one of `mentions`."""
    who = list(senders)
    await session.execute(
        update(ProcessedEvent).where(ProcessedEvent.sender.in_(who)).values(sender=None, replies=[])
    )
    words = [word for word in mentions if word]
    for entry in await session.scalars(
        select(ProcessedEvent).where(ProcessedEvent.delivered.is_(False))
    ):
        if any(word in reply for reply in entry.replies for word in words):
            entry.replies = []
