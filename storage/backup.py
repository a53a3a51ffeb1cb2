"""Every table as plain rows and back: what `tremplin db backup` and restore carry.

Rows are dictionaries of JSON-ready values (datetimes as ISO 8601 text, vocabularies as
their strings), so a backup moves between SQLite and PostgreSQL. A backup is checked whole
before anything is written: its revision, every table, row, column, type and reference.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Enum,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError

from storage.database import Database, revisions
from storage.models import Base, UtcDateTime

Rows = dict[str, list[dict[str, Any]]]
INTEGER_RANGE = (-(2**31), 2**31 - 1)  # what an INTEGER column takes on every database


class BackupError(Exception):
    """The backup can't be restored here; the message says why, nothing was written."""


def _encode(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


async def dump(database: Database) -> tuple[str | None, Rows]:
    """The schema revision, and every row of every table."""
    tables: Rows = {}
    async with database.session() as session:
        try:
            version = await session.execute(text("SELECT version_num FROM alembic_version"))
        except DBAPIError:
            raise BackupError(
                "this database has no Tremplin tables yet (tremplin db upgrade creates them)"
            ) from None
        revision = version.scalar()
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(select(table))).mappings().all()
            tables[table.name] = [{k: _encode(v) for k, v in row.items()} for row in rows]
    return revision, tables


def check_revision(revision: Any) -> None:
    """A backup restores into this version only if it was written by this one or an older one."""
    known = revisions()
    if not isinstance(revision, str) or revision not in known:
        raise BackupError(
            f"it was written by another version of Tremplin (schema revision {revision!r}; "
            f"this one knows {', '.join(known)}): restore it with that version, or a newer one"
        )


def _json_shapes() -> dict[tuple[str, str], Any]:
    """The Python type each JSON column holds (`list[str]`, `dict[str, Any]`), from the models."""
    shapes: dict[tuple[str, str], Any] = {}
    for mapper in Base.registry.mappers:
        hints = typing.get_type_hints(mapper.class_)
        table = mapper.local_table
        if not isinstance(table, Table):
            continue
        for column in table.columns:
            if isinstance(column.type, JSON) and column.key in hints:
                (shape,) = typing.get_args(hints[column.key])  # Mapped[list[str]] → list[str]
                shapes[(str(table.name), column.key)] = shape
    return shapes


def _check_json(value: Any, shape: Any) -> bool:
    origin = typing.get_origin(shape)
    if origin is list:
        (item,) = typing.get_args(shape)
        return isinstance(value, list) and all(
            item is Any or isinstance(element, item) for element in value
        )
    if origin is dict:
        return isinstance(value, dict)
    return True


def _checker(
    table: Table, column: Column[Any], shapes: dict[tuple[str, str], Any]
) -> Callable[[Any], Any]:
    """A function that returns the column's value as the database takes it, or raises
    ValueError saying what it should be."""
    kind = column.type
    if isinstance(kind, UtcDateTime):

        def as_date(value: Any) -> datetime:
            if not isinstance(value, str):
                raise ValueError("is not a date")
            try:
                return datetime.fromisoformat(value)
            except ValueError:
                raise ValueError("is not a date") from None

        return as_date
    if isinstance(kind, Enum):
        allowed = list(kind.enums)

        def as_word(value: Any) -> Any:
            if value not in allowed:
                raise ValueError(f"is not one of: {', '.join(allowed)}")
            return value

        return as_word
    if isinstance(kind, Boolean):
        return _typed(bool, "is not true or false")
    if isinstance(kind, Integer):
        whole = _typed(int, "is not a whole number", refuse=bool)

        def as_integer(value: Any) -> int:
            if not INTEGER_RANGE[0] <= whole(value) <= INTEGER_RANGE[1]:
                raise ValueError("is out of range")
            return int(value)

        return as_integer
    if isinstance(kind, String | Text):
        length = getattr(kind, "length", None)

        def as_text(value: Any) -> str:
            if not isinstance(value, str):
                raise ValueError("is not text")
            if length is not None and len(value) > length:
                raise ValueError(f"is longer than {length} characters")
            return value

        return as_text
    if isinstance(kind, JSON):
        shape = shapes.get((str(table.name), column.key), Any)

        def as_json(value: Any) -> Any:
            if not _check_json(value, shape):
                raise ValueError(f"is not {_describe(shape)}")
            return value

        return as_json
    return lambda value: value


def _typed(kind: type, problem: str, refuse: type | None = None) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if not isinstance(value, kind) or (refuse is not None and isinstance(value, refuse)):
            raise ValueError(problem)
        return value

    return check


def _describe(shape: Any) -> str:
    return {list: "a list of text", dict: "a set of named values"}.get(
        typing.get_origin(shape), "valid"
    )


def _missing_value(column: Column[Any]) -> Any:
    """What a column absent from an older backup's rows takes: its default, else nothing."""
    default = column.default
    if default is not None and default.is_scalar:
        return getattr(default, "arg", None)
    if default is not None and default.is_callable:
        produced = getattr(default, "arg", None)
        return produced(None) if callable(produced) else None
    return None


def _decode_rows(
    table: Table, rows: Any, shapes: dict[tuple[str, str], Any]
) -> list[dict[str, Any]]:
    """Check and convert one table's rows, or say which row and column is wrong."""
    if not isinstance(rows, list):
        raise BackupError(f"table {table.name}: not a list of rows")
    checkers = {column.key: _checker(table, column, shapes) for column in table.columns}
    decoded = []
    for number, row in enumerate(rows, start=1):
        where = f"table {table.name}, row {number}"
        if not isinstance(row, dict):
            raise BackupError(f"{where}: not a row of named values")
        unknown = sorted(set(row) - set(table.columns.keys()))
        if unknown:
            raise BackupError(f"{where}: unknown column(s) {', '.join(unknown)}")
        values: dict[str, Any] = {}
        for column in table.columns:
            value = row[column.key] if column.key in row else _missing_value(column)
            if value is None:
                if not column.nullable and not (column.primary_key and column.autoincrement):
                    raise BackupError(f"{where}: {column.key} is missing")
                values[column.key] = None
                continue
            try:
                values[column.key] = checkers[column.key](value)
            except ValueError as problem:
                raise BackupError(f"{where}: {column.key} {value!r:.60} {problem}") from None
        decoded.append(values)
    return decoded


def _check_keys(decoded: dict[str, list[dict[str, Any]]]) -> None:
    """No two rows with the same key or unique value; every reference to a row that exists."""
    for table in Base.metadata.sorted_tables:
        rows = decoded[table.name]
        keys = [[c.key for c in table.primary_key.columns]]
        keys += [[c.key] for c in table.columns if c.unique]
        keys += [
            [c.key for c in constraint.columns]
            for constraint in table.constraints
            if isinstance(constraint, UniqueConstraint)
        ]
        for names in keys:
            seen: set[tuple[Any, ...]] = set()
            for number, row in enumerate(rows, start=1):
                value = tuple(row[name] for name in names)
                if None in value:
                    continue
                if value in seen:
                    raise BackupError(
                        f"table {table.name}, row {number}: {', '.join(names)} "
                        f"{value if len(value) > 1 else value[0]!r} appears twice"
                    )
                seen.add(value)
        for reference in table.foreign_keys:
            target = reference.column
            existing = {row[target.key] for row in decoded[str(target.table.name)]}
            name = reference.parent.key
            for number, row in enumerate(rows, start=1):
                if row[name] is not None and row[name] not in existing:
                    raise BackupError(
                        f"table {table.name}, row {number}: {name} {row[name]!r} names no row "
                        f"of {target.table.name}"
                    )


async def load(database: Database, tables: Any, revision: Any = None) -> int:
    """Insert the rows into a migrated, empty database; returns how many. Everything is
    checked first; a database that still refuses a row leaves nothing written."""
    check_revision(revision)
    if not isinstance(tables, dict):
        raise BackupError("no tables in this backup")
    known = {table.name for table in Base.metadata.sorted_tables}
    strangers = sorted(str(name) for name in tables if name not in known)
    if strangers:
        raise BackupError(f"unknown table(s) {', '.join(strangers)}")
    shapes = _json_shapes()
    decoded = {
        table.name: _decode_rows(table, tables.get(table.name, []), shapes)
        for table in Base.metadata.sorted_tables
    }
    _check_keys(decoded)
    await database.upgrade()
    count = 0
    try:
        async with database.session() as session:
            for table in Base.metadata.sorted_tables:
                if await session.scalar(select(func.count()).select_from(table)):
                    raise BackupError(
                        f"table {table.name} is not empty: restore into a new database"
                    )
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
    except DBAPIError as error:  # rolled back: nothing of it was written
        reason = str(error.orig).splitlines()[0] if error.orig else type(error).__name__
        raise BackupError(f"the database refused it ({reason}); nothing was restored") from None
    return count
