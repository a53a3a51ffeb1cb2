"""The board's cache: told of this database's committed changes, never of a half-done one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.board.cache import PageCache, PageKey, Rendered
from bot.board.languages import language_from_header, requested_language
from commands.appeals import AppealDraft, record_appeal
from commands.i18n import LANGUAGES
from storage import missions as mission_store
from storage.changes import Change
from storage.database import Database

MOMENT = datetime(2026, 11, 24, 9, tzinfo=UTC)
KEY: PageKey = ("html", "fr", "https://benevoles.mla.example")


async def test_the_database_tells_its_subscribers_what_was_committed_and_nothing_else(
    database: Database,
) -> None:
    told: list[frozenset[Change]] = []
    stop = database.changes.subscribe(told.append)
    async with database.session() as session:  # reading changes nothing
        await mission_store.count(session)
    with pytest.raises(RuntimeError):
        async with database.session() as session:
            await mission_store.create(session, {"title": "Jamais enregistrée"}, MOMENT)
            raise RuntimeError("the transaction fails after the mission was written")
    assert told == []

    async with database.session() as session:
        mission = await mission_store.create(session, {"title": "Relire la FAQ"}, MOMENT)
    assert told == [{Change.MISSIONS}]
    async with database.session() as session:
        found = await mission_store.get(session, mission.id)
        assert found is not None
        unchanged = mission_store.apply(found, {"title": "Relire la FAQ"}, MOMENT)
        assert unchanged == {}  # nothing changes
    assert len(told) == 1
    async with database.session() as session:
        found = await mission_store.get(session, mission.id)
        assert found is not None
        mission_store.apply(found, {"status": "closed"}, MOMENT)
    async with database.session() as session:
        draft = AppealDraft([], "fr")
        await record_appeal(session, "discourse", ["42"], draft, "staff", now=MOMENT)
    assert told[1:] == [{Change.MISSIONS}, {Change.APPEALS}]

    stop()
    async with database.session() as session:
        await mission_store.create(session, {"title": "Personne n'écoute"}, MOMENT)
    assert len(told) == 3


async def test_a_failing_subscriber_does_not_undo_the_commit(database: Database) -> None:
    def broken(_changes: frozenset[Change]) -> None:
        raise RuntimeError("a subscriber with a bug")

    told: list[frozenset[Change]] = []
    database.changes.subscribe(broken)
    database.changes.subscribe(told.append)
    async with database.session() as session:
        created = await mission_store.create(session, {"title": "Gardée"}, MOMENT)
    assert told == [{Change.MISSIONS}]  # the next subscriber is told all the same
    async with database.session() as session:
        kept = await mission_store.get(session, created.id)
    assert kept is not None and kept.title == "Gardée"


class Renderer:
    """Renders numbered versions of a page; `during` runs inside the next rendering."""

    def __init__(self) -> None:
        self.count = 0
        self.during: list[PageCache] = []

    async def __call__(self, key: PageKey) -> Rendered:
        self.count += 1
        while self.during:
            self.during.pop().invalidate()  # a staff change committed while rendering
        return Rendered.of(f"{key[0]} v{self.count}".encode())


async def fixed_fingerprint() -> object:
    return ("3 missions", "no new call")


async def test_a_page_is_rendered_once_and_again_after_a_change() -> None:
    cache = PageCache(fixed_fingerprint)
    render = Renderer()
    first = await cache.page(KEY, render)
    assert await cache.page(KEY, render) is first and render.count == 1
    cache.invalidate()
    second = await cache.page(KEY, render)
    assert second.body == b"html v2" and second.etag != first.etag


async def test_a_page_rendered_while_the_board_changed_is_not_kept() -> None:
    cache = PageCache(fixed_fingerprint)
    render = Renderer()
    render.during.append(cache)
    stale = await cache.page(KEY, render)
    assert stale.body == b"html v1"  # this visitor gets it; the next one does not
    assert (await cache.page(KEY, render)).body == b"html v2"
    assert (await cache.page(KEY, render)).body == b"html v2"


async def test_a_change_told_while_the_fingerprint_is_read_is_read_again() -> None:
    reads = 0
    cache: PageCache

    async def fingerprint() -> object:
        nonlocal reads
        reads += 1
        if reads == 1:
            cache.invalidate()  # a commit lands while the query runs
        return reads

    cache = PageCache(fingerprint)
    render = Renderer()
    await cache.page(KEY, render)
    await cache.page(KEY, render)
    assert reads == 2 and render.count == 2  # the first page was not kept
    await cache.page(KEY, render)
    assert reads == 2 and render.count == 2


async def test_a_different_fingerprint_drops_the_pages_and_the_same_keeps_them() -> None:
    fingerprints = iter([1, 1, 2])

    async def fingerprint() -> object:
        return next(fingerprints)

    cache = PageCache(fingerprint, recheck_seconds=0.0)  # read it on every request
    render = Renderer()
    await cache.page(KEY, render)
    await cache.page(KEY, render)
    assert render.count == 1
    assert (await cache.page(KEY, render)).body == b"html v2"


async def test_the_cache_keeps_a_bounded_number_of_pages() -> None:
    cache = PageCache(fixed_fingerprint, max_pages=3)
    render = Renderer()
    for number in range(10):  # visitors sending ten different Host headers
        await cache.page(("html", "fr", f"http://host-{number}"), render)
    assert len(cache) <= 3


# --- the visitor's language ----------------------------------------------------------------

TAGS = st.sampled_from(["fr", "fr-FR", "FR-ca", "en", "en-GB", "En-us", "de", "es-419", "*", ""])
WEIGHTS = st.one_of(st.none(), st.integers(0, 1000).map(lambda n: n / 1000))


def header_of(entries: list[tuple[str, float | None]]) -> str:
    return ", ".join(tag if weight is None else f"{tag};q={weight:g}" for tag, weight in entries)


@given(entries=st.lists(st.tuples(TAGS, WEIGHTS), max_size=6))
def test_the_most_wanted_of_our_languages_wins_and_french_otherwise(
    entries: list[tuple[str, float | None]],
) -> None:
    wanted = [
        (1.0 if weight is None else weight, tag.split("-")[0].lower())
        for tag, weight in entries
        if tag.split("-")[0].lower() in LANGUAGES
    ]
    best_weight = max((weight for weight, _ in wanted), default=0.0)
    expected = next((code for weight, code in wanted if weight == best_weight and weight > 0), "fr")
    assert language_from_header(header_of(entries)) == expected


@given(header=st.text(max_size=200), asked=st.one_of(st.none(), st.text(max_size=20)))
def test_any_header_or_lang_parameter_gives_one_of_our_languages(
    header: str, asked: str | None
) -> None:
    assert requested_language(asked, header) in LANGUAGES
