"""The public mission board, read as a visitor, a website and a feed reader would read it."""

from __future__ import annotations

import asyncio
import html
import json
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import update

from commands.appeals import AppealDraft, record_appeal
from commands.skills import Taxonomy
from storage import missions as mission_store
from storage.database import Database
from storage.models import Mission
from tests.conftest import EXAMPLE_CATALOGUE
from tests.conversation import Chat, Clock
from tests.web.conftest import PUBLIC_URL, Visitor, board_config, serve_board
from tests.web.reading import ATOM, atom_problems, read_page

pytestmark = pytest.mark.dates  # the feeds' dates: also run under faketime, years away

ENTRIES: list[dict[str, Any]] = yaml.safe_load(EXAMPLE_CATALOGUE.read_text("utf-8"))["missions"]
NUMBERED = list(enumerate(ENTRIES, 1))  # the import numbers missions in the file's order


def is_public_and_open(entry: dict[str, Any]) -> bool:
    return entry.get("sensitivity", "public") == "public" and entry.get("status", "open") == "open"


PUBLIC = [(number, entry) for number, entry in NUMBERED if is_public_and_open(entry)]
HIDDEN = [entry for _, entry in NUMBERED if not is_public_and_open(entry)]
# What the board promises: entry doors first, then by number.
EXPECTED = [
    entry["title"] for _, entry in sorted(PUBLIC, key=lambda p: (not p[1].get("entry_door"), p[0]))
]
NUMBER_OF = {entry["title"]: number for number, entry in NUMBERED}
FORMATS = ("/missions", "/missions.json", "/missions.atom")
TAXONOMY = Taxonomy.default()


def entry_titles(feed: ET.Element) -> list[str]:
    return [entry.findtext(ATOM + "title") or "" for entry in feed.iter(ATOM + "entry")]


def readable_text(body: str) -> str:
    """A body with its HTML, XML and JSON escapes undone (Atom's HTML content is escaped twice)."""
    return html.unescape(html.unescape(json.dumps(json.loads(body), ensure_ascii=False)))


async def everything_published(visitor: Visitor) -> str:
    """Every format, both languages, as readable text."""
    texts = []
    for path in FORMATS:
        for query in ("", "?lang=en"):
            body = await (await visitor.get(path + query)).text()
            texts.append(readable_text(body) if path.endswith(".json") else html.unescape(body))
            texts.append(html.unescape(texts[-1]))
    return "\n".join(texts)


def test_the_example_catalogue_has_what_these_tests_rely_on() -> None:
    doors = [bool(entry.get("entry_door")) for _, entry in PUBLIC]
    assert any(doors) and not all(doors)
    assert {e["sensitivity"] for e in HIDDEN} == {"internal", "confidential"}


async def test_the_board_shows_exactly_the_public_open_missions_entry_doors_first(
    visitor: Visitor,
) -> None:
    page = await visitor.page()
    assert page.language == "fr"
    assert page.h1 == ["Devenez bénévole technique"]
    assert page.titles == EXPECTED
    assert page.loads == []
    doors = [a for a in page.articles if "entry-door" in a.classes.split()]
    assert [a.heading for a in doors] == [
        f"#{n} {e['title']}" for n, e in PUBLIC if e.get("entry_door")
    ]
    assert all("Porte d'entrée · idéale pour commencer" in a.text for a in doors)
    assert "Compétences" in page.articles[0].text and "Engagement" in page.articles[0].text
    assert f"{len(PUBLIC)} missions ouvertes" in page.text
    for article in page.articles:
        number = article.id.removeprefix("mission-")
        assert article.heading.startswith(f"#{number} ")
        assert article.text.endswith(f"Pour vous lancer : !participer {number}")


async def test_a_mission_card_says_what_it_asks_in_plain_words(visitor: Visitor) -> None:
    page = await visitor.page()
    font = next(a for a in page.articles if a.heading.endswith("@font-face sur le site"))
    assert "Intégrer la police de la charte graphique" in font.text
    for label in ("HTML", "CSS", TAXONOMY.label("polices", "fr")):
        assert label in font.text
    assert "Engagement ponctuelle" in font.text and "Temps estimé 1 h" in font.text
    assert "En savoir plus" in font.text  # the description, folded
    wordpress = next(a for a in page.articles if "WordPress" in a.heading)
    assert "Engagement régulière" in wordpress.text and "2 h / mois" in wordpress.text
    assert "Porte d'entrée" not in wordpress.text


async def test_the_board_in_english(visitor: Visitor) -> None:
    page = await visitor.page("?lang=en")
    assert page.language == "en"
    assert page.h1 == ["Become a tech volunteer"]
    assert page.titles == EXPECTED  # the missions' own words are not translated
    font = next(a for a in page.articles if a.heading.endswith("@font-face sur le site"))
    assert TAXONOMY.label("polices", "en") in font.text
    assert "Entry door · ideal to start with" in font.text
    assert "Commitment one-off" in font.text and "Estimated time 1 h" in font.text
    assert font.text.endswith(f"To join: !join {NUMBER_OF[EXPECTED[1]]}")
    assert "Write !join N with the mission's number" in page.text
    assert page.link_to("Version française") == "?lang=fr"
    raw = await (await visitor.get("/missions?lang=en")).text()
    assert '<span lang="fr">Traduire le site en anglais</span>' in raw  # read with a French voice


async def test_the_visitors_browser_language_is_honoured_unless_lang_says_otherwise(
    visitor: Visitor,
) -> None:
    cases = {
        "en-GB,en;q=0.9": "en",
        "de-DE, en;q=0.8, fr;q=0.5": "en",
        "en;q=0.2, fr-CA": "fr",
        "es, de": "fr",
        "": "fr",
    }
    for accepted, language in cases.items():
        page = await visitor.page(headers={"Accept-Language": accepted})
        assert page.language == language, accepted
    assert (await visitor.page("?lang=fr", {"Accept-Language": "en"})).language == "fr"
    assert (await visitor.page("?lang=xx", {"Accept-Language": "en"})).language == "fr"
    response = await visitor.get("/missions", {"Accept-Language": "en"})
    assert response.headers["Content-Language"] == "en"
    assert "Accept-Language" in response.headers["Vary"]


async def test_no_internal_or_confidential_mission_appears_in_any_format(
    visitor: Visitor,
) -> None:
    published = await everything_published(visitor)
    for entry in HIDDEN:
        assert entry["title"] not in published
        assert entry["summary"] not in published
    assert set((await visitor.page()).titles) == {e["title"] for _, e in PUBLIC}
    assert {m["title"] for m in (await visitor.json())["missions"]} == {
        e["title"] for _, e in PUBLIC
    }
    assert set(entry_titles(await visitor.atom())) == {f"#{n} {e['title']}" for n, e in PUBLIC}


async def test_staff_changes_show_on_the_board_at_once(visitor: Visitor, chat: Chat) -> None:
    font = EXPECTED[1]
    for path in FORMATS:  # every format seen once, so that a stale copy would show
        assert font in html.unescape(await (await visitor.get(path)).text())
    closed = await chat.say("staff", f"!mission fermer {NUMBER_OF[font]}")
    assert closed.startswith(f"Mission fermée : #{NUMBER_OF[font]}")
    assert font not in (await visitor.page()).titles
    assert font not in [m["title"] for m in (await visitor.json("?lang=en"))["missions"]]
    assert not any(font in title for title in entry_titles(await visitor.atom()))

    added = await chat.say(
        "staff",
        "!mission ajouter\ntitre: Relire la FAQ du site\nrésumé: Une relecture attentive\n"
        "compétences: rédaction\nporte: oui\nsensibilité: publique\ndurée: 1 h",
    )
    assert added.startswith("Mission ajoutée")
    hidden = await chat.say(
        "staff", "!mission ajouter\ntitre: Ranger le serveur interne\nsensibilité: interne"
    )
    assert hidden.startswith("Mission ajoutée")
    titles = (await visitor.page()).titles
    assert titles.index("Relire la FAQ du site") < titles.index(EXPECTED[4])  # an entry door
    assert "Ranger le serveur interne" not in await everything_published(visitor)


async def test_a_change_made_outside_this_process_shows_after_a_few_seconds(
    visitor: Visitor, database: Database
) -> None:
    first = EXPECTED[0]
    assert first in (await visitor.page()).titles
    async with database.session() as session:  # a bulk UPDATE, as another process would do
        await session.execute(update(Mission).where(Mission.title == first).values(status="closed"))
    assert first in (await visitor.page()).titles  # the cached page, for a few seconds at most
    visitor.board.cache.recheck_seconds = 0.05
    await asyncio.sleep(0.1)
    assert first not in (await visitor.page()).titles


async def test_a_change_in_another_database_does_not_reach_this_board(
    visitor: Visitor, database: Database, chat: Chat, tmp_path: Path, clock: Clock
) -> None:
    first = EXPECTED[0]
    assert first in (await visitor.page()).titles
    async with database.session() as session:  # as another process would: this board can't know
        await session.execute(update(Mission).where(Mission.title == first).values(status="closed"))
    elsewhere = Database(f"sqlite+aiosqlite:///{tmp_path / 'elsewhere.db'}")
    await elsewhere.upgrade()
    try:
        async with elsewhere.session() as session:
            await mission_store.create(session, {"title": "Une mission d'une autre base"}, clock())
    finally:
        await elsewhere.dispose()
    assert first in (await visitor.page()).titles  # still the kept page: not this board's news
    added = await chat.say("staff", "!mission ajouter\ntitre: Relire la FAQ du site\nporte: oui")
    assert added.startswith("Mission ajoutée")
    titles = (await visitor.page()).titles
    assert first not in titles and "Relire la FAQ du site" in titles


async def test_the_feeds_tell_the_time_of_the_bots_clock(
    visitor: Visitor, chat: Chat, clock: Clock
) -> None:
    assert (await visitor.json())["generated_at"] == f"{clock():%Y-%m-%dT%H:%M:%SZ}"
    clock.advance(days=400)
    for title in EXPECTED:
        closed = await chat.say("staff", f"!mission fermer {NUMBER_OF[title]}")
        assert closed.startswith("Mission fermée")
    later = f"{clock():%Y-%m-%dT%H:%M:%SZ}"
    data = await visitor.json()
    assert data["missions"] == [] and data["generated_at"] == later
    feed = await visitor.atom()  # nothing to show: the feed was updated now, by the bot's clock
    assert feed.findtext(ATOM + "updated") == later


async def test_hostile_words_in_a_mission_are_shown_as_text(
    visitor: Visitor, database: Database, clock: Clock
) -> None:
    async with database.session() as session:
        mission = await mission_store.create(
            session,
            {
                "title": "<script>alert(1)</script>",
                "summary": "@room venez tous <b>vite</b> & merci",
                "description": "</details><iframe src=//evil.example>",
                "skills": ["<i>x</i>"],
                "effort": "<img src=x onerror=alert(2)>",
                "entry_door": True,
            },
            clock(),
        )
    response = await visitor.get("/missions")
    raw = await response.text()
    assert "<script>alert(1)</script>" not in raw and "<img src=x" not in raw
    page = read_page(raw)
    assert page.loads == []  # nothing runs, nothing is fetched
    card = next(a for a in page.articles if a.id == f"mission-{mission.id}")
    assert card.heading == f"#{mission.id} <script>alert(1)</script>"
    assert "@room venez tous <b>vite</b> & merci" in card.text
    assert "<img src=x onerror=alert(2)>" in card.text and "<i>x</i>" in card.text

    data = await visitor.json()
    shown = next(m for m in data["missions"] if m["id"] == mission.id)
    assert shown["title"] == "<script>alert(1)</script>" and shown["skills"] == ["<i>x</i>"]
    feed = await visitor.atom()
    entry = next(
        e for e in feed.iter(ATOM + "entry") if e.findtext(ATOM + "title", "").endswith(">")
    )
    assert entry.findtext(ATOM + "title") == f"#{mission.id} <script>alert(1)</script>"
    content = read_page(entry.findtext(ATOM + "content") or "")
    assert content.loads == [] and "<img src=x onerror=alert(2)>" in content.text


async def test_the_json_document_for_websites(visitor: Visitor) -> None:
    data = await visitor.json()
    assert set(data) >= {"missions", "generated_at"}
    assert datetime.fromisoformat(data["generated_at"].replace("Z", "+00:00")).tzinfo is not None
    assert [m["title"] for m in data["missions"]] == EXPECTED
    required = {"id", "title", "summary", "skills", "skill_labels", "entry_door", "commitment"}
    for mission in data["missions"]:
        assert set(mission) >= required | {"effort", "url"}
        assert isinstance(mission["id"], int) and isinstance(mission["entry_door"], bool)
        assert mission["skills"] and all(tag in TAXONOMY.tags for tag in mission["skills"])
        assert mission["skill_labels"] == [TAXONOMY.label(t, "fr") for t in mission["skills"]]
        assert mission["commitment"] in ("one-off", "recurring")
        assert mission["url"] == f"{PUBLIC_URL}/missions#mission-{mission['id']}"
    english = await visitor.json("?lang=en")
    first = english["missions"][0]
    assert first["skill_labels"] == [TAXONOMY.label(t, "en") for t in first["skills"]]
    assert first["url"] == f"{PUBLIC_URL}/missions?lang=en#mission-{first['id']}"
    response = await visitor.get("/missions.json")
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.headers["Access-Control-Allow-Origin"] == "*"


async def test_the_atom_feed_follows_rfc_4287(visitor: Visitor, database: Database) -> None:
    response = await visitor.get("/missions.atom")
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = ET.fromstring(await response.read())
    assert atom_problems(feed) == []
    entries = feed.findall(ATOM + "entry")
    assert [e.findtext(ATOM + "title") for e in entries] == [
        f"#{NUMBER_OF[t]} {t}" for t in EXPECTED
    ]
    ids = [e.findtext(ATOM + "id") for e in entries]
    assert len(set(ids)) == len(ids)
    links = {link.get("rel"): link.get("href") for link in feed.findall(ATOM + "link")}
    assert links == {"self": f"{PUBLIC_URL}/missions.atom", "alternate": f"{PUBLIC_URL}/missions"}
    async with database.session() as session:
        first = await mission_store.get(session, NUMBER_OF[EXPECTED[0]])
    assert first is not None
    updated = datetime.fromisoformat(
        (entries[0].findtext(ATOM + "updated") or "").replace("Z", "+00:00")
    )
    assert updated == first.updated_at.replace(microsecond=0)
    entry_link = entries[0].find(ATOM + "link")
    assert entry_link is not None
    assert entry_link.get("href") == f"{PUBLIC_URL}/missions#mission-{first.id}"
    english = await visitor.atom("?lang=en")
    assert english.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    assert atom_problems(english) == []


async def test_feed_entry_ids_stay_the_same_across_requests_and_changes(
    visitor: Visitor, chat: Chat
) -> None:
    def ids_by_title(feed: ET.Element) -> dict[str, str]:
        return {
            e.findtext(ATOM + "title") or "": e.findtext(ATOM + "id") or ""
            for e in feed.iter(ATOM + "entry")
        }

    before = ids_by_title(await visitor.atom())
    assert ids_by_title(await visitor.atom()) == before
    await chat.say("staff", f"!mission fermer {NUMBER_OF[EXPECTED[-1]]}")
    after = ids_by_title(await visitor.atom())
    assert after == {title: ident for title, ident in before.items() if EXPECTED[-1] not in title}
    assert all(ident.startswith("tag:benevoles.mla.example,") for ident in after.values())


def test_the_feed_checker_does_catch_a_broken_feed() -> None:
    broken = ET.fromstring(
        f'<feed xmlns="{ATOM[1:-1]}"><title>x</title><updated>yesterday</updated>'
        "<entry><id>relative</id><title>a</title><title>b</title></entry></feed>"
    )
    problems = atom_problems(broken)
    assert "feed: 0 atom:id, exactly one required" in problems
    assert any("not an RFC 3339 date" in p for p in problems)
    assert "entry 1: 2 atom:title, exactly one required" in problems
    assert "entry 1: 0 atom:updated, exactly one required" in problems
    assert any("not an absolute IRI" in p for p in problems)
    assert "entry 1: no atom:author here nor on the feed" in problems
    assert "entry 1: neither atom:content nor an alternate link" in problems


async def test_the_page_can_be_embedded_and_loads_nothing_from_elsewhere(visitor: Visitor) -> None:
    for path, content_type in zip(
        FORMATS,
        ("text/html", "application/json", "application/atom+xml"),
        strict=True,
    ):
        response = await visitor.get(path)
        assert response.headers["Content-Type"] == f"{content_type}; charset=utf-8"
        assert response.headers["Cache-Control"] == "public, max-age=60"
        assert "X-Frame-Options" not in response.headers
        policy = [part.strip() for part in response.headers["Content-Security-Policy"].split(";")]
        assert "default-src 'none'" in policy and "frame-ancestors *" in policy
        assert "Set-Cookie" not in response.headers
    head = await visitor.client.head("/missions")
    assert head.status == 200 and await head.read() == b""
    raw = await (await visitor.get("/missions")).text()
    assert raw.startswith("<!doctype html>") and "<style>" in raw
    assert "http://" not in raw and "src=" not in raw
    page = read_page(raw)
    assert page.loads == []
    outside = {href for href, _ in page.links if "://" in href}
    assert outside == {
        "https://matrix.to/#/#benevoles:mla.example",
        "https://forum.chatons.example",
    }


async def test_a_copy_the_visitor_already_has_is_not_sent_again(
    visitor: Visitor, chat: Chat
) -> None:
    first = await visitor.get("/missions")
    etag = first.headers["ETag"]
    again = await visitor.get("/missions", {"If-None-Match": etag})
    assert again.status == 304 and await again.read() == b""
    assert again.headers["ETag"] == etag and again.headers["Cache-Control"] == "public, max-age=60"
    assert (await visitor.get("/missions", {"If-None-Match": f'"x", {etag}'})).status == 304
    assert (await visitor.get("/missions?lang=en", {"If-None-Match": etag})).status == 200
    await chat.say("staff", f"!mission fermer {NUMBER_OF[EXPECTED[0]]}")
    changed = await visitor.get("/missions", {"If-None-Match": etag})
    assert changed.status == 200 and changed.headers["ETag"] != etag


async def test_how_to_apply_points_to_the_room_and_to_the_newest_forum_call(
    visitor: Visitor, database: Database, clock: Clock
) -> None:
    page = await visitor.page()
    assert page.link_to("salon Matrix") == "https://matrix.to/#/#benevoles:mla.example"
    assert page.link_to("forum") == "https://forum.chatons.example"
    assert "Écrivez !participer N avec le numéro de la mission" in page.text
    draft = AppealDraft([], "fr")  # calls recorded as the bot records them once published
    async with database.session() as session:
        await record_appeal(session, "matrix", ["!equipe:mla.example"], draft, "staff", now=clock())
        await record_appeal(session, "discourse", ["41"], draft, "staff", now=clock())
    async with database.session() as session:
        await record_appeal(session, "discourse", ["42"], draft, "staff", now=clock())
    page = await visitor.page()
    call = page.link_to("appel à bénévoles sur le forum")
    assert call == "https://forum.chatons.example/t/42"
    english = await visitor.page("?lang=en")
    assert english.link_to("call for volunteers on the forum") == call
    assert (await visitor.json())["apply"]["forum"] == call


async def test_a_board_without_chat_room_forum_or_address_still_works(
    database: Database, chat: Chat
) -> None:
    config = board_config(matrix={}, discourse={}, web={})
    async with serve_board(database, chat, config) as bare:
        page = await bare.page()
        assert "Écrivez à Tremplin, le robot qui accueille les bénévoles" in page.text
        assert not [href for href, _ in page.links if "://" in href]
        origin = str(bare.client.make_url("/")).rstrip("/")
        data = await bare.json()
        assert data["missions"][0]["url"].startswith(f"{origin}/missions#mission-")
        feed = await bare.atom()
        assert atom_problems(feed) == []
        assert feed.findtext(ATOM + "id") == f"{origin}/missions.atom"


async def test_an_empty_board_says_so(database: Database, chat: Chat, visitor: Visitor) -> None:
    async with database.session() as session:
        for mission in await mission_store.all_missions(session):
            mission.status = "closed"
    page = await visitor.page()
    assert page.articles == []
    assert "Aucune mission n'est ouverte en ce moment" in page.text
    feed = await visitor.atom()
    assert atom_problems(feed) == [] and feed.findall(ATOM + "entry") == []
    assert (await visitor.json())["missions"] == []
