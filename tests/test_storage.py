"""Storage on SQLite and PostgreSQL: migrations, visibility gates, dedupe, state, backup."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.backup import BackupError, read_backup, write_backup
from storage import events, state
from storage import missions as mission_store
from storage.database import Database, head_revision
from storage.enums import Commitment, MissionStatus, Sensitivity, SkillLevel, Trust
from storage.models import Mission, Volunteer
from storage.visibility import Surface, Viewer, allowed_sensitivities, can_see

MOMENT = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # whenever: these tests don't compare dates


async def add(db: Database, **fields: object) -> int:
    async with db.session() as session:
        mission = await mission_store.create(session, {"title": "m", **fields}, MOMENT)
        return mission.id


async def test_migrations_can_run_twice(database: Database) -> None:
    await database.upgrade()
    await database.upgrade()


async def test_visibility_gates_in_the_query_layer(database: Database) -> None:
    public = await add(database, sensitivity="public")
    internal = await add(database, sensitivity="internal")
    secret = await add(database, sensitivity="confidential")
    closed = await add(database, status="closed")
    draft = await add(database, status="draft")

    async def ids(viewer: Viewer, surface: Surface) -> set[int]:
        async with database.session() as session:
            return {m.id for m in await mission_store.list_visible(session, viewer, surface)}

    newcomer = Viewer(Trust.NEWCOMER)
    trusted = Viewer(Trust.TRUSTED)
    staff = Viewer(Trust.NEWCOMER, is_staff=True)
    assert await ids(newcomer, Surface.CHAT) == {public, internal}
    assert await ids(trusted, Surface.CHAT) == {public, internal, secret}
    assert await ids(staff, Surface.CHAT) == {public, internal, secret}
    for viewer in (newcomer, trusted, staff):
        assert await ids(viewer, Surface.PUBLIC) == {public}
    async with database.session() as session:
        every = await mission_store.list_visible(
            session, staff, Surface.CHAT, [s.value for s in MissionStatus]
        )
        assert {closed, draft} <= {m.id for m in every}


async def test_processed_events_keep_replies_until_delivered(database: Database) -> None:
    async with database.session() as session:
        await events.record(session, "matrix", "$a", ["bonjour"], MOMENT)
    async with database.session() as session:
        [pending] = await events.undelivered(session, "matrix")
        assert pending.replies == ["bonjour"]
        await events.mark_delivered(session, "matrix", "$a")
    async with database.session() as session:
        entry = await events.find(session, "matrix", "$a")
        assert entry is not None and entry.delivered and entry.replies == []
        assert await events.undelivered(session, "matrix") == []


async def test_state_values_and_counters(database: Database) -> None:
    async with database.session() as session:
        assert await state.get_value(session, "matrix:since") is None
        await state.set_value(session, "matrix:since", "s1", MOMENT)
        await state.set_value(session, "matrix:since", "s2", MOMENT)
        assert await state.increment(session, "count:x", MOMENT) == 1
        assert await state.increment(session, "count:x", MOMENT, 2) == 3
    async with database.session() as session:
        assert await state.get_value(session, "matrix:since") == "s2"


async def test_backup_and_restore_across_databases(database: Database, tmp_path: Path) -> None:
    await add(database, title="Traduire le site", skills=["traduction", "anglais"])
    await add(database, title="Ajouter une police")
    backup = tmp_path / "backup.json"
    assert await write_backup(database, backup) >= 2
    target = Database(f"sqlite+aiosqlite:///{tmp_path / 'restored.db'}")
    try:
        await read_backup(target, backup)
        async with target.session() as session:
            titles = [m.title for m in await mission_store.all_missions(session)]
            assert titles == ["Traduire le site", "Ajouter une police"]
            created = await mission_store.create(session, {"title": "après"}, MOMENT)
            assert created.id == 3
    finally:
        await target.dispose()


async def test_a_backup_with_an_unknown_word_is_refused_clearly(
    database: Database, tmp_path: Path
) -> None:
    await add(database, title="Traduire le site")
    backup = tmp_path / "backup.json"
    await write_backup(database, backup)
    document = json.loads(backup.read_text("utf-8"))
    assert document["tables"]["missions"][0]["status"] == "open"  # stored as the plain word
    document["tables"]["missions"][0]["status"] = "ouverte"
    backup.write_text(json.dumps(document), "utf-8")
    target = Database(f"sqlite+aiosqlite:///{tmp_path / 'restored.db'}")
    await target.upgrade()
    try:
        with pytest.raises(BackupError) as refused:
            await read_backup(target, backup)
        assert str(refused.value) == (
            f"{backup}: table missions, row 1: status 'ouverte' is not one of: "
            "draft, open, filled, closed"
        )
        async with target.session() as session:
            assert await mission_store.all_missions(session) == []  # nothing half-restored
    finally:
        await target.dispose()


async def test_vocabularies_are_read_as_enums_and_stored_as_the_same_words(
    database: Database,
) -> None:
    number = await add(database, sensitivity=Sensitivity.INTERNAL, commitment="recurring")
    async with database.session() as session:
        mission = await mission_store.get(session, number)
        assert mission is not None
        assert mission.sensitivity is Sensitivity.INTERNAL
        assert mission.commitment is Commitment.RECURRING
        assert mission.status is MissionStatus.OPEN
        raw = (
            await session.execute(
                text("SELECT sensitivity, commitment, status FROM missions WHERE id = :id"),
                {"id": number},
            )
        ).one()
    assert tuple(raw) == ("internal", "recurring", "open")


async def test_a_row_written_without_its_time_fails_loudly(database: Database) -> None:
    with pytest.raises(IntegrityError):
        async with database.session() as session:
            session.add(Mission(title="sans date"))  # no created_at: no wall clock fills it in
    async with database.session() as session:
        assert await mission_store.all_missions(session) == []


@given(
    sensitivity=st.sampled_from(list(Sensitivity)),
    status=st.sampled_from(list(MissionStatus)),
    trust=st.sampled_from(list(Trust)),
    is_staff=st.booleans(),
    surface=st.sampled_from(list(Surface)),
)
def test_visibility_rule(
    sensitivity: Sensitivity,
    status: MissionStatus,
    trust: Trust,
    is_staff: bool,
    surface: Surface,
) -> None:
    mission = Mission(title="m", sensitivity=sensitivity.value, status=status.value)
    viewer = Viewer(trust, is_staff)
    visible = can_see(mission, viewer, surface)
    if sensitivity is Sensitivity.CONFIDENTIAL and visible:
        assert surface is Surface.CHAT and (is_staff or trust is Trust.TRUSTED)
    if sensitivity is Sensitivity.INTERNAL and visible:
        assert surface is Surface.CHAT
    if visible and not (is_staff and surface is Surface.CHAT):
        assert status is MissionStatus.OPEN
    assert set(allowed_sensitivities(viewer, surface)) <= {s.value for s in Sensitivity}


async def test_upgrading_an_older_database_keeps_its_data(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import text

    from storage.database import alembic_config

    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")

    def to_first_revision(connection: object) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")

    async with database.engine.begin() as connection:
        await connection.run_sync(to_first_revision)
        await connection.execute(
            text(
                "INSERT INTO missions (title, summary, description, skills, entry_door,"
                " sensitivity, commitment, effort, coordinators, status, created_at, updated_at)"
                " VALUES ('Traduire le site', '', '', '[\"traduction\"]', 1, 'public', 'one-off',"
                " '', '[]', 'open', '2026-01-01', '2026-01-01')"
            )
        )
        await connection.execute(
            text(
                "INSERT INTO volunteers (id, language, trust, skills_text, alerts, findable,"
                " created_at, last_active_at) VALUES (7, 'fr', 'newcomer', 'css', 0, 0,"
                " '2026-01-01', '2026-01-01')"
            )
        )
        await connection.execute(
            text("INSERT INTO volunteer_skills (volunteer_id, tag, position) VALUES (7, 'css', 0)")
        )
    await database.upgrade()
    async with database.session() as session:
        [mission] = await mission_store.all_missions(session)
        assert mission.title == "Traduire le site" and mission.skills == ["traduction"]
        version = (await session.execute(text("SELECT version_num FROM alembic_version"))).scalar()
        volunteer = await session.get(Volunteer, 7)
        assert volunteer is not None and volunteer.skills == ["css"]
        # Skills stated before levels existed are as stated; nothing was refused then.
        assert volunteer.skill_levels == {"css": SkillLevel.STATED}
        assert volunteer.refused_skills == [] and volunteer.hours_per_month is None
    assert version == head_revision()
    await database.dispose()
