"""A small key/value store for bot state: sync tokens, poll cursors, counters."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import StateEntry


async def get_value(session: AsyncSession, key: str) -> str | None:
    entry = await session.get(StateEntry, key)
    return entry.value if entry is not None else None


async def set_value(session: AsyncSession, key: str, value: str, now: datetime) -> None:
    entry = await session.get(StateEntry, key)
    if entry is None:
        session.add(StateEntry(key=key, value=value, updated_at=now))
    elif entry.value != value:
        entry.value = value
        entry.updated_at = now


async def increment(session: AsyncSession, key: str, now: datetime, by: int = 1) -> int:
    current = int(await get_value(session, key) or 0) + by
    await set_value(session, key, str(current), now)
    return current
