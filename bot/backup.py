"""`tremplin db backup` and restore: every table as portable JSON (SQLite ⇄ PostgreSQL)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from storage.backup import BackupError, dump, load
from storage.database import Database

FORMAT = "tremplin-backup/1"

__all__ = ["BackupError", "read_backup", "write_backup"]


def _write_atomically(path: Path, content: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    try:
        temporary.write_text(content, "utf-8")
        temporary.replace(path)
    except OSError:
        temporary.unlink(missing_ok=True)  # no half-written copy of every table left behind
        raise


async def write_backup(database: Database, path: Path) -> int:
    """Write all rows to `path` atomically; returns how many."""
    revision, tables = await dump(database)
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
    try:
        return await load(database, document.get("tables"), document.get("revision"))
    except BackupError as error:
        raise BackupError(f"{path}: {error}") from None
