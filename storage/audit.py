"""The audit log of staff actions, and of refused attempts at them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry


async def record(
    session: AsyncSession,
    actor: str,
    action: str,
    target: str | None = None,
    details: dict[str, Any] | None = None,
    *,
    now: datetime,
    allowed: bool = True,
) -> None:
    session.add(
        AuditEntry(
            at=now,
            actor=actor,
            action=action,
            target=target,
            details=details or {},
            allowed=allowed,
        )
    )


async def entries(session: AsyncSession, limit: int = 100) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    return list((await session.scalars(query)).all())
