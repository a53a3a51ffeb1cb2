"""Bad input never reaches a traceback, and nothing already stored is lost or declassified.

Catalogue files are held to the chat's own rules; backups are checked whole before anything
is written; an output file that can't be written is named, with why.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.backup import BackupError, read_backup, write_backup
from commands.catalogue import CatalogueError, decode_catalogue, import_catalogue
from commands.skills import Taxonomy
from storage import missions as mission_store
from storage.database import Database, head_revision
from storage.enums import Sensitivity
from tests.test_cli import config_file, tremplin  # noqa: F401 (a fixture)

MOMENT = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
TAXONOMY = Taxonomy.default()
FULL = """
missions:
  - ref: coffre
    title: Le coffre-fort numérique
    summary: Tenir le coffre à jour
    skills: [chiffrement, linux]
    sensitivity: confidentielle
    entry_door: non
    coordinators: ["@coord:mla.example"]
"""


async def imported(database: Database, text: str) -> Any:
    async with database.session() as session:
        return await import_catalogue(session, text, TAXONOMY, now=MOMENT)


async def the_mission(database: Database, ref: str = "coffre") -> Any:
    async with database.session() as session:
        [mission] = [m for m in await mission_store.all_missions(session) if m.ref == ref]
        return mission


async def test_a_partial_update_changes_only_what_it_names(database: Database) -> None:
    await imported(database, FULL)
    report = await imported(database, "missions:\n  - ref: coffre\n    summary: Autre résumé\n")
    assert report.updated == ["Le coffre-fort numérique"]
    mission = await the_mission(database)
    assert mission.summary == "Autre résumé"
    assert mission.sensitivity is Sensitivity.CONFIDENTIAL  # never declassified by omission
    assert mission.skills == ["chiffrement", "linux"]
    assert mission.coordinators == ["@coord:mla.example"]
    await imported(database, "missions:\n  - ref: coffre\n    sensitivity: public\n")
    assert (await the_mission(database)).sensitivity is Sensitivity.PUBLIC  # when said


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "missions:\n  - {ref: a, title: A}\n  - {ref: a, title: B}\n",
            "missions.1: the ref 'a' is already used by missions.0",
        ),
        (
            "missions:\n  - {title: Même}\n  - {title: Même, summary: x}\n",
            "missions.1: the title 'Même' is already used by missions.0",
        ),
        ("missions:\n  - {ref: inconnue}\n", "no mission has the ref 'inconnue'"),
        ("missions:\n  - {summary: x}\n", "an entry needs a title or a ref"),
        (f"missions:\n  - title: {'x' * 201}\n", "at most 200 characters"),
        ("missions:\n  - {title: X, coordinators: [alice]}\n", '"alice" is not an identity'),
        ("missions:\n  - {title: X, entry_door: peut-être}\n", "expects yes or no"),
        ("missions:\n  - {title: 2024}\n", "missions.0.title: should be text"),
        ("missions:\n  - {title: X, skills: [1, 2]}\n", "missions.0.skills.0"),
        ("missions:\n  - {title: ''}\n", "is empty"),
        ("missions: oui\n", "missions: Input should be a valid list"),
        ("- a\n- b\n", "Input should be a valid dictionary"),
    ],
)
async def test_a_bad_catalogue_is_refused_whole_and_says_where(
    database: Database, text: str, problem: str
) -> None:
    await imported(database, FULL)
    with pytest.raises(CatalogueError) as refused:
        await imported(database, text + ("  - {title: Neuve}\n" if "\n  - " in text else ""))
    assert problem in str(refused.value)
    async with database.session() as session:
        assert [m.title for m in await mission_store.all_missions(session)] == [
            "Le coffre-fort numérique"
        ]


def test_a_catalogue_that_is_not_utf8_is_named_as_such() -> None:
    with pytest.raises(CatalogueError, match=r"not UTF-8 text \(byte 0xe9 at position 19\)"):
        decode_catalogue("missions:\n- title: é\n".encode("latin-1"))


async def backup_of(database: Database, tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    await imported(database, FULL)
    path = tmp_path / "backup.json"
    await write_backup(database, path)
    return path, json.loads(path.read_text("utf-8"))


TAMPERINGS = {
    "a future revision": (
        lambda d: d.update(revision="0099_from_the_future"),
        "schema revision '0099_from_the_future'",
    ),
    "no revision": (lambda d: d.pop("revision"), "schema revision None"),
    "an unknown table": (lambda d: d["tables"].update(secrets=[]), "unknown table(s) secrets"),
    "a number as text": (
        lambda d: d["tables"]["missions"][0].update(id="un"),
        "table missions, row 1: id 'un' is not a whole number",
    ),
    "a boolean as text": (
        lambda d: d["tables"]["missions"][0].update(entry_door="yes"),
        "entry_door 'yes' is not true or false",
    ),
    "skills as text": (
        lambda d: d["tables"]["missions"][0].update(skills="css"),
        "skills 'css' is not a list of text",
    ),
    "an unknown word": (
        lambda d: d["tables"]["missions"][0].update(sensitivity="secret"),
        "sensitivity 'secret' is not one of: public, internal, confidential",
    ),
    "a missing title": (
        lambda d: d["tables"]["missions"][0].pop("title"),
        "table missions, row 1: title is missing",
    ),
    "a title too long": (
        lambda d: d["tables"]["missions"][0].update(title="x" * 201),
        "is longer than 200 characters",
    ),
    "a date that isn't one": (
        lambda d: d["tables"]["missions"][0].update(created_at=12),
        "created_at 12 is not a date",
    ),
    "the same key twice": (
        lambda d: d["tables"]["missions"].append(dict(d["tables"]["missions"][0])),
        "table missions, row 2: id 1 appears twice",
    ),
    "a reference to nobody": (
        lambda d: d["tables"]["identities"].append(
            {"id": 9, "volunteer_id": 42, "address": "console:x", "platform": "console"}
        ),
        "table identities, row 1: volunteer_id 42 names no row of volunteers",
    ),
    "rows that aren't rows": (
        lambda d: d["tables"].update(missions=[1]),
        "table missions, row 1: not a row of named values",
    ),
}


@pytest.mark.parametrize("tampering", list(TAMPERINGS))
async def test_a_tampered_backup_is_refused_before_anything_is_written(
    database: Database, tmp_path: Path, tampering: str
) -> None:
    path, document = await backup_of(database, tmp_path)
    change, problem = TAMPERINGS[tampering]
    change(document)
    path.write_text(json.dumps(document), "utf-8")
    target = Database(f"sqlite+aiosqlite:///{tmp_path / 'restored.db'}")
    try:
        with pytest.raises(BackupError) as refused:
            await read_backup(target, path)
        assert problem in str(refused.value)
        await target.upgrade()
        async with target.session() as session:
            assert await mission_store.all_missions(session) == []
    finally:
        await target.dispose()


async def test_a_backup_of_an_older_version_restores(database: Database, tmp_path: Path) -> None:
    path, document = await backup_of(database, tmp_path)
    document["revision"] = "0002"
    for row in document["tables"]["processed_events"]:
        row.pop("sender", None)  # columns that version didn't have
    path.write_text(json.dumps(document), "utf-8")
    target = Database(f"sqlite+aiosqlite:///{tmp_path / 'restored.db'}")
    try:
        assert await read_backup(target, path) >= 1
        assert (await the_mission(target)).title == "Le coffre-fort numérique"
    finally:
        await target.dispose()
    assert document["revision"] != head_revision()


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    column=st.sampled_from(["id", "title", "skills", "entry_door", "status", "created_at"]),
    value=JSON_VALUES,
)
async def test_any_value_in_a_backup_is_restored_or_refused_clearly(
    tmp_path: Path, column: str, value: Any
) -> None:
    source = Database(f"sqlite+aiosqlite:///{tmp_path / 'source.db'}")
    await source.upgrade()
    try:
        path, document = await backup_of(source, tmp_path)
    finally:
        await source.dispose()
    document["tables"]["missions"][0][column] = value
    path.write_text(json.dumps(document), "utf-8")
    name = tmp_path / f"restored-{abs(hash((column, repr(value))))}.db"
    target = Database(f"sqlite+aiosqlite:///{name}")
    try:
        try:
            await read_backup(target, path)
        except BackupError:
            return
        async with target.session() as session:
            [mission] = await mission_store.all_missions(session)
            assert isinstance(mission.title, str) and isinstance(mission.skills, list)
    finally:
        await target.dispose()


def test_unwritable_outputs_and_bad_files_are_named_without_a_traceback(
    config_file: Path,  # noqa: F811 (the fixture)
    tmp_path: Path,
) -> None:
    result = tremplin("db", "backup", str(tmp_path / "b.json"), config=config_file)
    assert result.returncode == 1 and "tremplin db upgrade" in result.stderr
    assert "Traceback" not in result.stderr
    assert tremplin("db", "upgrade", config=config_file).returncode == 0
    nowhere = tmp_path / "no-such-directory" / "out"
    for args in (
        ("db", "backup", str(nowhere)),
        ("db", "backup", str(tmp_path)),  # a directory
        ("missions", "export", str(nowhere)),
        ("stats", "--png", str(nowhere)),
    ):
        result = tremplin(*args, config=config_file)
        assert result.returncode == 1, (args, result.stderr)
        assert f"tremplin: cannot write {args[-1]}" in result.stderr, args
        assert "Traceback" not in result.stderr, args
    assert not list(tmp_path.glob("*.tmp"))
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("missions:\n  - title: Café\n".encode("latin-1"))
    result = tremplin("missions", "import", str(latin), config=config_file)
    assert result.returncode == 1 and "not UTF-8 text" in result.stderr
    assert "nothing was imported" in result.stderr and "Traceback" not in result.stderr
    backup = tmp_path / "b.json"
    assert tremplin("db", "backup", str(backup), config=config_file).returncode == 0
    document = json.loads(backup.read_text("utf-8"))
    document["revision"] = "9999"
    backup.write_text(json.dumps(document), "utf-8")
    empty = tmp_path / "empty.yaml"
    empty.write_text(
        f"database_url: sqlite+aiosqlite:///{tmp_path / 'new.db'}\nweb: {{enabled: false}}\n"
    )
    result = tremplin("db", "restore", str(backup), config=empty)
    assert result.returncode == 1 and "schema revision '9999'" in result.stderr
    assert "Traceback" not in result.stderr
