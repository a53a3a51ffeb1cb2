"""Each mission's own page, where API Engagement's platforms send volunteers: what it asks, how
to join, in French and English, for public open missions only."""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET

import pytest

from storage import missions as mission_store
from storage.database import Database
from tests.conversation import Chat, Clock
from tests.web.conftest import PUBLIC_URL, Visitor, board_config, serve_board
from tests.web.reading import ATOM, read_page
from tests.web.test_board import EXPECTED, HIDDEN, NUMBER_OF, PUBLIC
from tests.web.test_browser import find_chromium, screenshot


async def test_a_mission_page_says_what_it_asks_and_how_to_join(visitor: Visitor) -> None:
    title = "Traduire le site en anglais"
    number = NUMBER_OF[title]
    response = await visitor.get(f"/missions/{number}")
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
    page = read_page(await response.text())
    assert page.language == "fr" and page.loads == []
    assert f"#{number} {title}" in page.text
    assert "Traduction" in page.text and "Engagement" in page.text
    assert "Pour participer à cette mission" in page.text
    assert page.link_to("salon Matrix") == "https://matrix.to/#/#benevoles:mla.example"
    assert f"Écrivez !participer {number} : la personne qui coordonne" in page.text
    assert "!start" not in page.text  # nobody said where the visitor came from
    assert page.link_to("Toutes les missions") == f"{PUBLIC_URL}/missions"

    english = read_page(await (await visitor.get(f"/missions/{number}?lang=en")).text())
    assert english.language == "en" and f"Write !join {number}" in english.text
    assert english.link_to("Every mission") == f"{PUBLIC_URL}/missions?lang=en"
    assert english.link_to("Version française") == "?lang=fr"


async def test_a_volunteer_sent_by_api_engagement_is_asked_for_the_code(
    visitor: Visitor, chat: Chat
) -> None:
    number = NUMBER_OF[EXPECTED[0]]
    page = read_page(await (await visitor.get(f"/missions/{number}?via=engagement")).text())
    steps = page.text[page.text.index("Pour participer") :]
    assert steps.index("!start engagement") < steps.index(f"!participer {number}")
    assert page.link_to("English version") == "?lang=en&via=engagement"
    ignored = await (await visitor.get(f"/missions/{number}?via=<script>")).text()
    assert "!start" not in read_page(ignored).text and "<script>" not in ignored

    # The volunteer does as the page says: `!stats` counts them for API Engagement.
    await chat.say("newcomer", "!start engagement")
    await chat.say("newcomer", f"!participer {number}")
    stats = await chat.say("staff", "!stats")
    assert "api-engagement (engagement) : 1 → 0 → 1" in stats


async def test_no_page_for_a_mission_anyone_may_not_see(
    visitor: Visitor, database: Database, clock: Clock
) -> None:
    numbers = [NUMBER_OF[entry["title"]] for entry in HIDDEN]  # internal, confidential
    async with database.session() as session:
        draft = await mission_store.create(
            session, {"title": "Un brouillon", "status": "draft"}, clock()
        )
    for number in [*numbers, draft.id, 9999]:
        response = await visitor.get(f"/missions/{number}")
        assert response.status == 404, number
        text = await response.text()
        assert "Cette mission n'existe pas ou n'est plus ouverte." in read_page(text).text
        assert all(entry["title"] not in text for entry in HIDDEN)
    assert (await visitor.get("/missions/abc")).status == 404


async def test_a_page_follows_the_mission_as_staff_change_it(visitor: Visitor, chat: Chat) -> None:
    number = NUMBER_OF[EXPECTED[2]]
    first = await visitor.get(f"/missions/{number}")
    assert first.status == 200
    etag = first.headers["ETag"]
    assert (await visitor.get(f"/missions/{number}", {"If-None-Match": etag})).status == 304
    await chat.say("staff", f"!mission modifier {number}\ntitre: Un nouveau titre pour elle")
    renamed = await visitor.get(f"/missions/{number}", {"If-None-Match": etag})
    assert renamed.status == 200 and "Un nouveau titre pour elle" in await renamed.text()
    await chat.say("staff", f"!mission fermer {number}")
    assert (await visitor.get(f"/missions/{number}")).status == 404


async def test_the_board_and_its_feeds_link_to_each_mission_page(visitor: Visitor) -> None:
    page = await visitor.page()
    for number, entry in PUBLIC:
        assert page.link_to(entry["title"]) == f"missions/{number}"
    assert (await visitor.page("?lang=en")).link_to(EXPECTED[0]).endswith("?lang=en")
    data = await visitor.json()
    for mission in data["missions"]:
        assert mission["page"] == f"{PUBLIC_URL}/missions/{mission['id']}"
    feed: ET.Element = await visitor.atom()
    for entry in feed.iter(ATOM + "entry"):
        related = [
            link.get("href")
            for link in entry.findall(ATOM + "link")
            if link.get("rel") == "related"
        ]
        number = (entry.findtext(ATOM + "title") or "").split()[0].lstrip("#")
        assert related == [f"{PUBLIC_URL}/missions/{number}"]


async def test_a_mission_page_on_a_board_without_room_or_forum(
    database: Database, chat: Chat
) -> None:
    config = board_config(matrix={}, discourse={}, web={})
    async with serve_board(database, chat, config) as bare:
        number = NUMBER_OF[EXPECTED[0]]
        page = read_page(await (await bare.get(f"/missions/{number}")).text())
        assert "Écrivez à Tremplin, le robot qui accueille les bénévoles" in page.text
        origin = str(bare.client.make_url("/")).rstrip("/")
        assert page.link_to("Toutes les missions") == f"{origin}/missions"


@pytest.mark.browser
@pytest.mark.parametrize("database", ["sqlite"], indirect=True)  # one backend is enough here
async def test_chromium_renders_a_mission_page(visitor: Visitor) -> None:
    find_chromium()
    number = NUMBER_OF[EXPECTED[0]]
    url = str(visitor.client.make_url(f"/missions/{number}"))
    shots = await asyncio.gather(
        screenshot(f"{url}?lang=fr&via=engagement", "mission-page-fr.png", "1280,1100"),
        screenshot(f"{url}?lang=en", "mission-page-phone-en.png", "390,1300"),
    )
    assert all(shot.stat().st_size > 15_000 for shot in shots)
