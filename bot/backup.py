"""`tremplin db backup` and restore: every table as portable JSON (SQLite ⇄ PostgreSQL)."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text

from storage.database import Database
from storage.models import Base, UtcDateTime

FORMAT = "tremplin-backup/1"


class BackupError(Exception):
    pass


def _encode(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _write_atomically(path: Path, content: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(content, "utf-8")
    temporary.replace(path)


async def write_backup(database: Database, path: Path) -> int:
    """Write all rows to `path` atomically; returns how many."""
    tables: dict[str, list[dict[str, Any]]] = {}
    async with database.session() as session:
        revision = (await session.execute(text("SELECT version_num FROM alembic_version"))).scalar()
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(select(table))).mappings().all()
            tables[table.name] = [{k: _encode(v) for k, v in row.items()} for row in rows]
    document = {"format": FORMAT, "revision": revision, "tables": tables}
    await asyncio.to_thread(_write_atomically, path, json.dumps(document, ensure_ascii=False))
    return sum(len(rows) for rows in tables.values())


async def read_backup(database: Database, path: Path) -> int:
    """Load `path` into a migrated, empty database; returns how many rows."""
    try:
        document = json.loads(await asyncio.to_thread(path.read_text, "utf-8"))
    except (OSError, ValueError) as error:
        raise BackupError(f"cannot read {path}: {error}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BackupError(f"{path} is not a Tremplin backup")
    await database.upgrade()
    count = 0
    async with database.session() as session:
        for table in Base.metadata.sorted_tables:
            if await session.scalar(select(func.count()).select_from(table)):
                raise BackupError(f"table {table.name} is not empty: restore into a new database")
        for table in Base.metadata.sorted_tables:
            rows = document["tables"].get(table.name, [])
            dates = {c.name for c in table.columns if isinstance(c.type, UtcDateTime)}
            decoded = [
                {k: datetime.fromisoformat(v) if k in dates and v else v for k, v in row.items()}
                for row in rows
            ]
            if decoded:
                await session.execute(insert(table), decoded)
                count += len(decoded)
        if not database.is_sqlite:
            for table in Base.metadata.sorted_tables:
                if "id" in table.columns and table.columns["id"].autoincrement is True:
                    await session.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                            f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                        )
                    )
    return count
