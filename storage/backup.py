"""Every table as plain rows and back: what `tremplin db backup` and restore carry.

Rows are dictionaries of JSON-ready values (datetimes as ISO 8601 text, vocabularies as
their strings), so a backup moves between SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Enum, Table, func, insert, select, text

from storage.database import Database
from storage.models import Base, UtcDateTime

Rows = dict[str, list[dict[str, Any]]]


class BackupError(Exception):
    """The backup can't be restored here; the message says why, nothing was written."""


def _encode(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


async def dump(database: Database) -> tuple[str | None, Rows]:
    """The schema revision, and every row of every table."""
    tables: Rows = {}
    async with database.session() as session:
        revision = (await session.execute(text("SELECT version_num FROM alembic_version"))).scalar()
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(select(table))).mappings().all()
            tables[table.name] = [{k: _encode(v) for k, v in row.items()} for row in rows]
    return revision, tables


def _decode_rows(table: Table, rows: Any) -> list[dict[str, Any]]:
    """Check and convert one table's rows, or say which row and column is wrong."""
    if not isinstance(rows, list):
        raise BackupError(f"table {table.name}: not a list of rows")
    dates = {c.name for c in table.columns if isinstance(c.type, UtcDateTime)}
    choices = {c.name: c.type.enums for c in table.columns if isinstance(c.type, Enum)}
    decoded = []
    for number, row in enumerate(rows, start=1):
        where = f"table {table.name}, row {number}"
        if not isinstance(row, dict):
            raise BackupError(f"{where}: not a row of named values")
        unknown = sorted(set(row) - set(table.columns.keys()))
        if unknown:
            raise BackupError(f"{where}: unknown column(s) {', '.join(unknown)}")
        values = dict(row)
        for name, allowed in choices.items():
            value = values.get(name)
            if value is not None and value not in allowed:
                raise BackupError(f"{where}: {name} {value!r} is not one of: {', '.join(allowed)}")
        for name in dates & set(values):
            if values[name]:
                try:
                    values[name] = datetime.fromisoformat(values[name])
                except (TypeError, ValueError):
                    raise BackupError(f"{where}: {name} {values[name]!r} is not a date") from None
        decoded.append(values)
    return decoded


async def load(database: Database, tables: Any) -> int:
    """Insert the rows into a migrated, empty database; returns how many."""
    if not isinstance(tables, dict):
        raise BackupError("no tables in this backup")
    decoded = {
        table.name: _decode_rows(table, tables.get(table.name, []))
        for table in Base.metadata.sorted_tables
    }
    await database.upgrade()
    count = 0
    async with database.session() as session:
        for table in Base.metadata.sorted_tables:
            if await session.scalar(select(func.count()).select_from(table)):
                raise BackupError(f"table {table.name} is not empty: restore into a new database")
        for table in Base.metadata.sorted_tables:
            if decoded[table.name]:
                await session.execute(insert(table), decoded[table.name])
                count += len(decoded[table.name])
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
