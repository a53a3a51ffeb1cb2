"""Outreach: the call on every channel within its limits, ambassadors, the funnel figures."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import select

from commands.appeals import appeal_missions
from commands.channels import CHANNELS, Links, render_for_channel
from commands.chart import funnel_png
from commands.i18n import Translator
from commands.ports import AppealText
from storage import events
from storage.database import Database
from storage.models import Appeal, Mission
from storage.stats import funnel
from tests.conversation import Chat, RecordingPlatform

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


@dataclass
class PublishingPlatform(RecordingPlatform):
    """A platform that publishes calls and has a staff room taking images (like Matrix).

    When asked to publish, it notes whether the staff's command is already committed: the
    platform must never be kept waiting on an open transaction, nor keep one open.
    """

    platform: str = "matrix"
    database: Database | None = None
    down: bool = False
    published: list[AppealText] = field(default_factory=list)
    command_committed: list[bool] = field(default_factory=list)
    images: list[tuple[bytes, str]] = field(default_factory=list)

    async def publish_appeal(self, appeal: AppealText) -> list[str]:
        assert self.database is not None
        async with self.database.session() as session:
            self.command_committed.append(
                await events.find(session, "matrix", "$appel") is not None
            )
        if self.down:
            raise ConnectionError("homeserver unreachable")
        self.published.append(appeal)
        return ["!lobby:mla.example"]

    async def send_staff_image(self, png: bytes, filename: str, caption: str) -> bool:
        self.images.append((png, caption))
        return True


def publishing(chat: Chat, *, down: bool = False) -> PublishingPlatform:
    platform = PublishingPlatform(database=chat.brain.database, down=down)
    chat.platform = platform
    chat.brain.services.hub.register(platform)
    return platform


async def published_calls(chat: Chat) -> list[Appeal]:
    async with chat.brain.database.session() as session:
        return list((await session.scalars(select(Appeal))).all())


async def test_a_call_is_published_once_the_command_is_committed(chat: Chat) -> None:
    platform = publishing(chat)
    answer = await chat.say("staff", "!appel publier matrix", event_id="$appel")
    assert answer == "Appel publié sur matrix (1 endroit·s). Les réponses y seront suivies."
    assert platform.command_committed == [True]
    [call] = platform.published
    assert call.title == "La MLA renforce son équipe bénévole — novembre 2026"
    [appeal] = await published_calls(chat)
    assert (appeal.channel, appeal.place) == ("matrix", "!lobby:mla.example")
    assert appeal.created_at == chat.brain.services.clock()
    async with chat.brain.database.session() as session:  # what a restart would send again
        stored = await events.find(session, "matrix", "$appel")
        assert stored is not None and stored.replies == [answer]


async def test_a_call_the_platform_refuses_is_not_recorded_and_staff_are_told(chat: Chat) -> None:
    platform = publishing(chat, down=True)
    answer = await chat.say("staff", "!appel publier matrix", event_id="$appel")
    assert answer == (
        "Je n'ai pas réussi à publier l'appel sur matrix. "
        "Réessayez dans quelques minutes avec !appel publier matrix."
    )
    assert platform.command_committed == [True]
    assert await published_calls(chat) == []


async def test_the_funnel_chart_reaches_the_staff_room_after_the_figures(chat: Chat) -> None:
    platform = publishing(chat)
    await chat.say("alice", "!start masto")
    answer = await chat.say("staff", "!stats")
    assert "mastodon (masto) : 1 →" in answer
    [(png, caption)] = platform.images
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and caption == "Parcours des bénévoles par canal"
