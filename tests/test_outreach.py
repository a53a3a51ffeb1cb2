"""Outreach: the call on every channel within its limits, ambassadors, the funnel figures."""

from __future__ import annotations

import struct
from datetime import timedelta

import pytest

from commands.appeals import appeal_missions
from commands.channels import CHANNELS, Links, render_for_channel
from commands.chart import funnel_png
from commands.i18n import Translator
from storage.models import Mission
from storage.stats import funnel
from tests.conversation import Chat

pytestmark = pytest.mark.dates  # run again under faketime by ./dev test

HIDDEN_TITLES = (
    "Administrer le Nextcloud de l'équipe",
    "Améliorer les tableaux de suivi de l'activité",
    "Former l'équipe aux outils libres",
    "Maintenir le système d'information sécurisé",
    "Tenir à jour le registre RGPD",
)
LINKS = Links(
    matrix="https://matrix.to/#/#benevoles:mla.example",
    forum="https://forum.chatons.org",
    board="https://mla.example/missions",
)


async def public_missions(chat: Chat) -> list[Mission]:
    async with chat.brain.database.session() as session:
        return await appeal_missions(session)


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_every_channel_render_respects_its_limits(chat: Chat, language: str) -> None:
    missions = await public_missions(chat)
    assert 2 <= len(missions) <= 4 and all(m.entry_door for m in missions)
    for channel in CHANNELS.values():
        for links in (LINKS, Links()):
            rendered = render_for_channel(channel, missions, Translator(language), links)
            if channel.limit:
                assert len(rendered.text) <= channel.limit, channel.name
            assert f"!start {channel.code}" in rendered.text, channel.name
            for title in HIDDEN_TITLES:
                assert title not in rendered.text
            if channel.name != "website":  # an HTML page has no mentions
                assert "@font" not in rendered.text.replace("@\u2060font", "")
    email = render_for_channel(CHANNELS["email"], missions, Translator(language), LINKS)
    assert email.subject


async def test_short_channels_stay_short_even_with_long_titles(chat: Chat) -> None:
    long = [
        Mission(id=i, title="Très " * 60 + str(i), summary="x", entry_door=True) for i in range(4)
    ]
    for name in ("x", "mastodon"):
        rendered = render_for_channel(CHANNELS[name], long, Translator("fr"), LINKS)
        assert len(rendered.text) <= CHANNELS[name].limit  # type: ignore[operator]
    mastodon = render_for_channel(CHANNELS["mastodon"], long, Translator("fr"), LINKS)
    assert "#bénévolat" in mastodon.text


async def test_channel_codes_attribute_newcomers(chat: Chat) -> None:
    await chat.say("alice", "!start masto")
    await chat.say("bob", "!start MASTO")
    await chat.say("carol", "!start")
    async with chat.brain.database.session() as session:
        result = await funnel(session, chat.brain.services.clock())
    assert result.by_source["masto"]["started"] == 2
    assert result.by_source["direct"]["started"] == 1


async def test_ambassadors_need_a_first_mission_then_get_a_code(chat: Chat) -> None:
    await chat.say("alice", "!start")
    refused = await chat.say("alice", "!ambassadeur")
    assert "confirmé·es" in refused
    await chat.say("staff", "!confiance console:alice confirmé")
    answer = await chat.say("alice", "!ambassadeur")
    code = answer.split("code d'ambassadeur·ice : ")[1].split(".")[0]
    assert code.startswith("amb-")
    assert code in await chat.say("alice", "!ambassadeur")  # the same code every time
    await chat.say("zoe", f"!start {code}")
    stats = await chat.say("staff", "!stats")
    assert f"ambassadeur·ice {code} : 1 →" in stats


async def test_stats_follow_a_scripted_scenario(chat: Chat, clock) -> None:
    await chat.say("alice", "!start masto")
    await chat.say("alice", "!competences css")
    await chat.say("alice", "!participer 2")
    await chat.say("bob", "!start masto")
    await chat.say("bob", "!competences graphisme")
    await chat.say("carol", "!start chatons")
    await chat.say("carol", "!participer 1")
    clock.advance(hours=5)
    await chat.brain.note_thread_message("console", "thread-1", "console:coord")
    clock.advance(hours=7)
    await chat.brain.note_thread_message("console", "thread-2", "console:coord")
    await chat.say("staff", "!terminer console:alice 2")
    clock.advance(days=61)
    await chat.say("alice", "!mesmissions")  # alice is still around two months later

    answer = await chat.say("staff", "!stats")
    assert "mastodon (masto) : 2 → 2 → 1 → 1 → 1 → 1" in answer
    assert "forum (chatons) : 1 → 0 → 1 → 1 → 0 → 0" in answer
    assert "Total : 3 → 2 → 2 → 2 → 1 → 1" in answer
    assert (
        "Délai médian avant la première réponse de la coordination : 8.5 h" in answer
    )  # 5 h and 12 h
    assert "#3 Automatiser la lettre d'information" in answer
    assert "#7 Créer les visuels des campagnes" in answer
    assert "ces compétences sont venues par : mastodon (masto) (1)" in answer
    assert "Cette commande est réservée" in await chat.say("alice", "!stats")


async def test_the_chart_is_a_valid_png(chat: Chat) -> None:
    await chat.say("alice", "!start masto")
    async with chat.brain.database.session() as session:
        result = await funnel(session, chat.brain.services.clock() + timedelta(days=1))
    png = funnel_png(result, Translator("fr"))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (900, 480)


async def test_a_filled_mission_is_updated_where_the_call_was_published(chat: Chat) -> None:
    from storage.models import Appeal

    async with chat.brain.database.session() as session:
        session.add(
            Appeal(
                channel="matrix",
                place="!room:mla.example",
                language="fr",
                mission_ids=["1", "2", "3", "4"],
                created_at=chat.brain.services.clock(),
            )
        )
    chat.platform.platform = "matrix"
    chat.brain.services.hub.register(chat.platform)
    await chat.say("staff", "!mission modifier 2\nstatut: pourvue")
    await chat.say("staff", "!mission fermer 9")  # not in the call: nothing to update
    assert chat.platform.in_threads == [
        (
            "!room:mla.example",
            "Mise à jour : #2 Ajouter une police avec @font-face sur le site a trouvé ses "
            "bénévoles, merci ! Les autres missions restent ouvertes.",
        )
    ]
