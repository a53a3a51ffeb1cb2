"""Staff change missions by chat; API Engagement, checking every request against its OpenAPI
document, receives exactly the public open ones: created, updated, withdrawn."""

from __future__ import annotations

import time

import pytest

from bot.connectors.api_engagement.payload import application_url
from storage import missions as mission_store
from storage.database import Database
from tests.api_engagement.conftest import ORGANIZATION, PUBLIC_URL, Diffusing, connect
from tests.conversation import Chat, Clock
from tests.fakes.api_engagement import FakeApiEngagement

PUBLIC_REFS = {
    "mastodon-compte",
    "site-police",
    "lettre-automatisation",
    "site-traduction",
    "wordpress-maj",
    "reseaux-animation",
    "visuels",
    "video-sous-titres",
    "site-accessibilite",
}


async def number_of(diffusing: Diffusing, ref: str) -> int:
    async with diffusing.database.session() as session:
        missions = await mission_store.all_missions(session)
    return next(mission.id for mission in missions if mission.ref == ref)


async def test_the_public_open_missions_are_published_once_each(diffusing: Diffusing) -> None:
    api = diffusing.api
    report = await diffusing.sync()
    assert report.ok and len(report.created) == len(PUBLIC_REFS)
    assert set(api.live()) == PUBLIC_REFS  # the refs are the clientIds
    assert api.refused_requests == []  # every request was what the document allows
    font = api.live()["site-police"].fields
    number = await number_of(diffusing, "site-police")
    assert font["title"] == "Ajouter une police avec @font-face sur le site"
    assert font["applicationUrl"] == f"{PUBLIC_URL}/missions/{number}?via=engagement"
    assert font["applicationUrl"] == application_url(PUBLIC_URL, number)
    assert font["organizationName"] == ORGANIZATION["name"]
    assert font["organizationRNA"] == ORGANIZATION["rna"]
    assert font["remote"] == "full" and font["type"] == "benevolat"
    assert font["domain"] == "numerique" and font["activities"] == ["informatique"]
    assert font["schedule"] == "1 h, mission ponctuelle"
    assert "<p>" in font["description"] and "Polices de caractères" in font["description"]
    assert "@coord" not in str(api.missions) and "sensitivity" not in str(api.calls)

    again = await diffusing.sync()
    assert again.ok and not (again.created or again.updated or again.withdrawn)
    assert len(api.operations()) == len(PUBLIC_REFS)  # nothing sent twice


async def test_an_edit_sends_only_what_changed(diffusing: Diffusing, chat: Chat) -> None:
    await diffusing.sync()
    number = await number_of(diffusing, "site-traduction")
    edited = await chat.say(
        "staff", f"!mission modifier {number}\ntitre: Traduire le site en anglais et en espagnol"
    )
    assert edited.startswith("Mission modifiée")
    await diffusing.sync()
    edited = await chat.say("staff", f"!mission modifier {number}\ndurée: 20 h")
    assert edited.startswith("Mission modifiée")
    await diffusing.sync()
    updates = [c for c in diffusing.api.calls if c.method == "PUT"]
    assert [sorted(c.body or {}) for c in updates] == [["title"], ["description", "schedule"]]
    assert {c.client_id for c in updates} == {"site-traduction"}
    held = diffusing.api.live()["site-traduction"]
    assert held.fields["title"] == "Traduire le site en anglais et en espagnol"
    assert held.fields["schedule"].startswith("20 h")


async def test_filled_closed_drafted_or_hidden_missions_are_withdrawn(
    diffusing: Diffusing, chat: Chat
) -> None:
    await diffusing.sync()
    changes = {
        "site-police": "statut: pourvue",
        "visuels": "statut: brouillon",
        "wordpress-maj": "sensibilité: interne",
        "reseaux-animation": "sensibilité: confidentielle",
    }
    for ref, line in changes.items():
        number = await number_of(diffusing, ref)
        assert (await chat.say("staff", f"!mission modifier {number}\n{line}")).startswith(
            "Mission modifiée"
        )
    closed = await chat.say("staff", f"!mission fermer {await number_of(diffusing, 'visuels')}")
    assert closed.startswith("Mission fermée")
    closing = await number_of(diffusing, "mastodon-compte")
    assert (await chat.say("staff", f"!mission fermer {closing}")).startswith("Mission fermée")
    report = await diffusing.sync()
    assert len(report.withdrawn) == 5
    gone = {*changes, "mastodon-compte"}
    assert set(diffusing.api.live()) == PUBLIC_REFS - gone
    deletions = [str(cid) for method, cid in diffusing.api.operations() if method == "DELETE"]
    assert sorted(deletions) == sorted(gone)  # each once
    await diffusing.sync()
    assert [m for m, _ in diffusing.api.operations()].count("DELETE") == 5


async def test_a_reopened_mission_is_published_under_a_new_client_id(
    diffusing: Diffusing, chat: Chat
) -> None:
    await diffusing.sync()
    number = await number_of(diffusing, "video-sous-titres")
    await chat.say("staff", f"!mission modifier {number}\nstatut: pourvue")
    await diffusing.sync()
    await chat.say("staff", f"!mission modifier {number}\nstatut: ouverte")
    await diffusing.sync()
    assert diffusing.api.operations("video-sous-titres") == [
        ("POST", "video-sous-titres"),
        ("DELETE", "video-sous-titres"),
    ]
    assert diffusing.api.operations("video-sous-titres-2") == [("POST", "video-sous-titres-2")]
    assert await diffusing.client_id_of(number) == "video-sous-titres-2"
    assert diffusing.api.refused_requests == []


async def test_a_mission_added_by_chat_is_published_under_its_number(
    diffusing: Diffusing, chat: Chat
) -> None:
    added = await chat.say(
        "staff",
        "!mission ajouter\ntitre: Relire la FAQ du site\nrésumé: Une relecture attentive\n"
        "compétences: relecture, anglais\ndurée: 2 h",
    )
    assert added.startswith("Mission ajoutée")
    internal = await chat.say(
        "staff", "!mission ajouter\ntitre: Ranger le serveur interne\nsensibilité: interne"
    )
    assert internal.startswith("Mission ajoutée")
    await diffusing.sync()
    number = int(added.split("#")[1].split()[0])
    faq = diffusing.api.live()[str(number)]
    assert faq.fields["activities"] == ["documentation-traduction"]
    assert faq.fields["domain"] == "benevolat-competences"
    assert "Ranger le serveur interne" not in str([c.body for c in diffusing.api.calls])


async def test_a_refused_mission_shows_its_reason_and_the_staff_are_told_once(
    diffusing: Diffusing, chat: Chat
) -> None:
    added = await chat.say("staff", "!mission ajouter\ntitre: Traduction\ncompétences: anglais")
    number = int(added.split("#")[1].split()[0])
    await diffusing.sync()
    told = [text for text in chat.platform.staff if "refusé" in text]
    assert told == [
        f"API Engagement a refusé la mission #{number} Traduction : Le titre est trop court "
        f"(1 seul mot). Corrigez-la avec !mission modifier {number} : elle sera renvoyée "
        "d'elle-même. (!diffusion pour tout voir)"
    ]
    seen = await chat.say("staff", "!diffusion")
    assert (
        f"#{number} Traduction — refusée par API Engagement : Le titre est trop court "
        "(1 seul mot)" in seen
    )
    assert "acceptée par API Engagement" in seen
    await diffusing.sync()
    assert len([text for text in chat.platform.staff if "refusé" in text]) == 1  # once

    await chat.say("staff", f"!mission modifier {number}\ntitre: Traduire nos fiches pratiques")
    await diffusing.sync()
    assert diffusing.api.operations(str(number)) == [("POST", str(number)), ("PUT", str(number))]
    fixed = await chat.say("staff", "!distribution")
    assert f"#{number} Traduire nos fiches pratiques — accepté" in fixed
    english = [line for line in fixed.splitlines() if f"#{number} " in line]
    assert english and "refus" not in english[0]


async def test_what_jeveuxaider_decides_is_read_back(diffusing: Diffusing, chat: Chat) -> None:
    await diffusing.sync()
    diffusing.api.moderate_on_partner(
        "visuels", "REFUSED", "Le contenu est insuffisant / non qualitatif"
    )
    diffusing.api.moderate_on_partner("site-police", "PENDING", None)
    await diffusing.sync()
    seen = await chat.say("staff", "!diffusion")
    assert (
        "Créer les visuels des campagnes — refusée par JeVeuxAider.gouv.fr : Le contenu est "
        "insuffisant / non qualitatif" in seen
    )
    assert "sur le site — en attente de modération par JeVeuxAider.gouv.fr" in seen
    assert any("Créer les visuels des campagnes" in text for text in chat.platform.staff)


@pytest.mark.dates  # the last pass is told by the bot's clock, whatever the date
async def test_only_staff_see_the_diffusion(diffusing: Diffusing, chat: Chat) -> None:
    assert "réservée à l'équipe" in await chat.say("alice", "!diffusion")
    before = await chat.say("staff", "!diffusion")
    assert "pas encore envoyée" in before and "Aucun passage n'a encore eu lieu." in before
    await diffusing.sync()
    after = await chat.say("staff", "!diffusion")
    assert "Dernier passage le 24/11/2026 à 09:00 (UTC) : 9 créée(s)" in after


async def test_a_wrong_key_stops_the_pass_and_nothing_is_lost(
    chat: Chat, database: object, api: FakeApiEngagement
) -> None:
    wrong = connect(chat, database, api)  # type: ignore[arg-type]
    wrong.connector.client._key = "not-the-key"
    report = await wrong.sync()
    assert report.stopped is not None and "401" in report.stopped
    assert api.missions == {}
    assert wrong.connector.health.parts["api_engagement"]["ok"] is False
    seen = await chat.say("staff", "!diffusion")
    assert "Il s'est arrêté en route : api_engagement refused: 401 UNAUTHORIZED" in seen
    right = connect(chat, database, api)  # type: ignore[arg-type]
    assert (await right.sync()).ok and set(api.live()) == PUBLIC_REFS
    await wrong.connector.stop()
    await right.connector.stop()


async def test_a_rate_limit_is_waited_for_then_the_pass_goes_on(diffusing: Diffusing) -> None:
    diffusing.api.throttle(2, retry_after=1)
    started = time.monotonic()
    report = await diffusing.sync()
    assert report.ok and set(diffusing.api.live()) == PUBLIC_REFS
    assert time.monotonic() - started >= 1.0  # Retry-After honoured
    assert [c.status for c in diffusing.api.calls].count(429) == 2


async def test_a_long_rate_limit_stops_the_pass_and_is_honoured(
    diffusing: Diffusing, chat: Chat, database: Database
) -> None:
    api = diffusing.api
    api.throttle(1, retry_after=3600)  # more than max_wait_seconds (5 in tests)
    report = await diffusing.sync()
    assert report.stopped is not None and "rate limited" in report.stopped
    assert api.live() == {}
    asked = len(api.calls)
    again = await diffusing.sync()  # within the hour: nothing is sent at all
    assert again.stopped is not None and "rate limited" in again.stopped
    assert api.calls[asked:] == []  # the key was told to wait: not even the listing
    later = connect(chat, database, api)  # the hour has passed (a process started afresh)
    assert (await later.sync()).ok and set(api.live()) == PUBLIC_REFS
    await later.connector.stop()


async def test_one_failing_mission_does_not_stop_the_others(diffusing: Diffusing) -> None:
    api = diffusing.api
    api.fail(1, status=502, method="POST")  # a proxy fails one creation
    report = await diffusing.sync()
    assert len(report.failed) == 1 and len(report.created) == len(PUBLIC_REFS) - 1
    [failed] = [c.client_id for c in api.calls if c.status == 502]
    assert failed not in api.live()
    seen = await diffusing.chat.say("staff", "!diffusion")
    assert "pas encore envoyée, le dernier essai a échoué (api_engagement unavailable: 502" in seen
    report = await diffusing.sync()  # the next pass sends it, under the same clientId
    assert report.ok and report.created and set(api.live()) == PUBLIC_REFS
    assert api.operations(failed) == [("POST", failed)]


async def test_a_creation_whose_answer_was_lost_is_not_sent_twice(diffusing: Diffusing) -> None:
    api = diffusing.api
    api.lose_responses(1, method="POST")  # created on the API, but the bot never hears of it
    first = await diffusing.sync()
    assert len(first.failed) == 1 and len(api.live()) == len(PUBLIC_REFS)
    second = await diffusing.sync()  # found on the API: kept, not created again
    assert second.ok and len(second.created) == 1
    posts = [str(cid) for method, cid in api.operations() if method == "POST"]
    assert sorted(posts) == sorted(PUBLIC_REFS)  # each created once
    assert [c.method for c in api.calls].count("POST") == len(PUBLIC_REFS)
    assert all(d.sent is not None for d in await diffusing.publications())


async def test_a_mission_deleted_on_api_engagement_by_someone_is_published_anew(
    diffusing: Diffusing, chat: Chat
) -> None:
    await diffusing.sync()
    api = diffusing.api
    api.missions["site-accessibilite"].deleted_at = api.clock()  # from its back office
    await diffusing.sync()
    assert api.operations("site-accessibilite-2") == [("POST", "site-accessibilite-2")]
    assert api.operations("site-accessibilite") == [("POST", "site-accessibilite")]


async def test_a_dry_run_says_what_it_would_do_and_does_nothing(
    diffusing: Diffusing, chat: Chat
) -> None:
    report = await diffusing.connector.reconcile(dry_run=True)
    assert len(report.planned) == len(PUBLIC_REFS)
    assert all(step.startswith("create #") for step in report.planned)
    assert diffusing.api.missions == {} and await diffusing.publications() == []
    assert "Aucun passage n'a encore eu lieu." in await chat.say("staff", "!diffusion")


@pytest.mark.dates  # the lease runs out by the bot's clock
async def test_two_passes_never_run_at_once(diffusing: Diffusing, clock: Clock) -> None:
    from datetime import timedelta

    from storage import diffusion as diffusion_store

    async with diffusing.database.session() as session:  # another process is in a pass
        assert await diffusion_store.take_lease(session, "elsewhere", clock(), timedelta(hours=1))
    async with diffusing.database.session() as session:
        assert not await diffusion_store.take_lease(session, "mine", clock(), timedelta(hours=1))
        assert await diffusion_store.take_lease(session, "elsewhere", clock(), timedelta(hours=1))
    report = await diffusing.sync()
    assert report.busy and report.stopped == "another pass is running"
    assert diffusing.api.calls == []
    assert diffusing.connector.health.parts["api_engagement"]["ok"] is True  # nothing wrong
    clock.advance(hours=2)  # it died without letting go: its lease runs out
    assert (await diffusing.sync()).ok and set(diffusing.api.live()) == PUBLIC_REFS


async def test_a_server_down_ends_the_pass_soon_and_the_next_one_catches_up(
    diffusing: Diffusing,
) -> None:
    api = diffusing.api
    api.fail(1000, status=503, method="POST")  # the listing answers, every creation fails
    report = await diffusing.sync()
    assert len(report.failed) == 3 and report.stopped and "3 times in a row" in report.stopped
    assert [c.method for c in api.calls].count("POST") == 3  # not all nine, not retried
    api.fail(0)
    assert (await diffusing.sync()).ok and set(api.live()) == PUBLIC_REFS
