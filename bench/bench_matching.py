"""Matching speed: rank 10,000 missions; find opted-in volunteers among 100,000 (both databases).

Run: ``python -m bench.bench_matching`` from the repository root (``./dev bench`` runs them all).
Targets: ranking under 10 ms and the alert query under 200 ms, at the median.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.engine import make_url

from bench.table import print_table
from commands.matching import Profile, rank
from commands.skills import Taxonomy
from storage import volunteers as volunteer_store
from storage.database import Database
from storage.enums import Commitment, SkillLevel
from storage.models import Mission, Volunteer, VolunteerSkill

POSTGRES_URL = os.environ.get(
    "TREMPLIN_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def random_missions(taxonomy: Taxonomy, count: int, rng: random.Random) -> list[Mission]:
    tags = sorted(taxonomy.tags)
    return [
        Mission(
            id=index + 1,
            title=f"Mission {index + 1}",
            skills=rng.sample(tags, rng.randint(1, 4)),
            entry_door=rng.random() < 0.2,
            commitment=rng.choice(list(Commitment)),
            effort=rng.choice(["", "2 h", "15 h", "2 h / mois", "2 h / semaine"]),
        )
        for index in range(count)
    ]


def bench_ranking(repeats: int, *, full_profile: bool = False) -> float:
    """Rank 10,000 missions for five skills; with `full_profile`, also levels, two refused
    skills, a rhythm and the time offered, as `!pourmoi` does after `!competences`."""
    taxonomy = Taxonomy.default()
    rng = random.Random(7)
    missions = random_missions(taxonomy, 10_000, rng)
    tags = rng.sample(sorted(taxonomy.tags), 7)
    person: Sequence[str] | Profile = tags[:5]
    if full_profile:
        levels = dict(zip(tags[:5], rng.choices(list(SkillLevel), k=5), strict=True))
        person = Profile(tuple(tags[:5]), levels, frozenset(tags[5:]), Commitment.ONE_OFF, 4.0)
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        rank(missions, person, taxonomy, newcomer=True, commitment=Commitment.ONE_OFF)
        samples.append(time.perf_counter() - started)
    return median_ms(samples)


def bench_floor(repeats: int) -> float:
    """The same run's baseline: visit the 10,000 missions and test each for a shared skill,
    the least any ranking does (the machine's speed, not the scoring)."""
    taxonomy = Taxonomy.default()
    rng = random.Random(7)
    missions = random_missions(taxonomy, 10_000, rng)
    stated = frozenset(rng.sample(sorted(taxonomy.tags), 7)[:5])
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        [mission for mission in missions if not stated.isdisjoint(mission.skills)]
        samples.append(time.perf_counter() - started)
    return median_ms(samples)


async def fill_volunteers(database: Database, count: int, tags: list[str]) -> None:
    rng = random.Random(11)
    long_ago = datetime.now(UTC) - timedelta(days=30)
    batch = 5_000
    async with database.session() as session:
        for start in range(0, count, batch):
            people = [
                {
                    "id": start + i + 1,
                    "language": "fr",
                    "trust": "newcomer",
                    "skills_text": "",
                    "alerts": rng.random() < 0.3,
                    "findable": False,
                    "created_at": long_ago,
                    "last_active_at": long_ago,
                }
                for i in range(min(batch, count - start))
            ]
            await session.execute(insert(Volunteer), people)
            skills = [
                {"volunteer_id": person["id"], "tag": tag, "position": position}
                for person in people
                for position, tag in enumerate(rng.sample(tags, rng.randint(1, 5)))
            ]
            await session.execute(insert(VolunteerSkill), skills)


async def time_async(action: Callable[[], Awaitable[object]], repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        await action()
        samples.append(time.perf_counter() - started)
    return median_ms(samples)


async def bench_alert_query(database: Database, count: int, repeats: int) -> tuple[float, int]:
    tags = sorted(Taxonomy.default().tags)
    await database.upgrade()
    await fill_volunteers(database, count, tags)
    wanted = ["css", "html", "polices"]
    since = datetime.now(UTC) - timedelta(days=1)
    found: list[tuple[int, int]] = []

    async def query() -> None:
        nonlocal found
        async with database.session() as session:
            found = await volunteer_store.alert_candidates(session, wanted, since)

    return await time_async(query, repeats), len(found)


async def postgres_database() -> tuple[str, str] | None:
    import asyncpg

    admin = make_url(POSTGRES_URL).set(drivername="postgresql").render_as_string(False)
    try:
        connection = await asyncpg.connect(admin, timeout=3)
    except Exception:
        return None
    name = f"tremplin_bench_{uuid.uuid4().hex[:8]}"
    await connection.execute(f'CREATE DATABASE "{name}"')
    await connection.close()
    return name, make_url(POSTGRES_URL).set(database=name).render_as_string(False)


async def drop_postgres(name: str) -> None:
    import asyncpg

    admin = make_url(POSTGRES_URL).set(drivername="postgresql").render_as_string(False)
    connection = await asyncpg.connect(admin)
    await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await connection.close()


async def run(volunteers: int, repeats: int) -> list[tuple[str, str, str]]:
    floor = bench_floor(repeats)
    rows = [
        ("baseline: visit 10,000 missions, test for a shared skill", f"{floor:.2f} ms", ""),
        ("rank 10,000 missions (median)", f"{bench_ranking(repeats):.2f} ms", "< 10 ms"),
        (
            "… for a full profile (levels, refusals, rhythm, time)",
            f"{bench_ranking(repeats, full_profile=True):.2f} ms",
            "< 10 ms",
        ),
    ]
    with tempfile.TemporaryDirectory() as directory:
        sqlite = Database(f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}")
        elapsed, found = await bench_alert_query(sqlite, volunteers, repeats)
        await sqlite.dispose()
    rows.append(
        (
            f"alert query, {volunteers:,} volunteers, SQLite ({found:,} found)",
            f"{elapsed:.1f} ms",
            "< 200 ms",
        )
    )
    created = await postgres_database()
    if created is None:
        rows.append(("alert query, PostgreSQL", "skipped: no server", "< 200 ms"))
    else:
        name, url = created
        try:
            postgres = Database(url)
            elapsed, found = await bench_alert_query(postgres, volunteers, repeats)
            await postgres.dispose()
        finally:
            await drop_postgres(name)
        rows.append(
            (
                f"alert query, {volunteers:,} volunteers, PostgreSQL ({found:,} found)",
                f"{elapsed:.1f} ms",
                "< 200 ms",
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--volunteers", type=int, default=100_000)
    parser.add_argument("-n", "--repeats", type=int, default=30)
    args = parser.parse_args()
    rows = asyncio.run(run(args.volunteers, args.repeats))
    print_table("matching", ("", "measured", "target"), rows)


if __name__ == "__main__":
    main()
