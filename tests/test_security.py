"""Nobody gets in where they don't belong, and hostile words stay harmless words."""

from __future__ import annotations

import asyncio
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from bot.render import to_html, to_plain
from commands.alerts import announce_new_mission
from commands.appeals import appeal_missions
from commands.channels import CHANNELS, Links, render_for_channel
from commands.help import is_staff_command
from commands.i18n import Translator
from commands.registry import build_router
from storage import missions as mission_store
from storage.enums import MissionStatus, Sensitivity, Trust
from storage.models import AuditEntry, Mission
from storage.visibility import ANONYMOUS, Surface, Viewer
from tests.conversation import Chat, RecordingPlatform, make_brain

ROUTER = build_router()
STAFF_COMMANDS = sorted(
    {
        command.qualified_name
        for top in ROUTER.unique_commands()
        for command in (top, *top.subcommands.values())
        if is_staff_command(command)
    }
)
OUTSIDERS = [  # (identity, its platform, where it writes)
    ("console:mallory", "console", Surface.CHAT),
    ("@mallory:evil.example", "matrix", Surface.CHAT),
    ("discourse:mallory", "discourse", Surface.PUBLIC),
]


def test_the_staff_commands_are_the_expected_ones() -> None:
    assert STAFF_COMMANDS == [
        "appel",
        "benevoles",
        "confiance",
        "diffusion",
        "mission ajouter",
        "mission fermer",
        "mission modifier",
        "stats",
        "suivi",
        "terminer",
    ]


@pytest.mark.parametrize(("outsider", "network", "surface"), OUTSIDERS)
async def test_every_staff_command_is_refused_and_audited(
    chat: Chat, outsider: str, network: str, surface: Surface
) -> None:
    there = RecordingPlatform(platform=network)
    chat.brain.services.hub.register(there)
    on_platform = Chat(chat.brain, there)
    for name in STAFF_COMMANDS:
        answer = await on_platform.say(
            outsider, f"!{name} 1 console:alice x\ntitre: x", surface=surface
        )
        assert answer == "Cette commande est réservée à l'équipe de la MLA.", name
    async with chat.brain.database.session() as session:
        refused = (await session.scalars(select(AuditEntry))).all()
    assert sorted(entry.action for entry in refused) == sorted(
        "refused:" + name.replace(" ", ".") for name in STAFF_COMMANDS
    )
    assert all(entry.actor == outsider and not entry.allowed for entry in refused)
    assert all(entry.details == {"platform": network} for entry in refused)
    assert "#15" not in await chat.say("staff", "!missions")


async def test_staff_by_platform_rights_only_count_where_the_connector_says(chat: Chat) -> None:
    assert "réservée" in await chat.say("@mod:mla.example", "!stats")


HOSTILE = [
    "@room urgent !!!",
    "@everyone regardez",
    "@mla-coordination @alice:example.org coucou",
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[cliquez ici](javascript:alert(1))",
    "**gras** _italique_ `code` # titre",
    "\u202eeludom\u202c !participer 1",
    "ligne\x00nulle\x07cloche",
    "a" * 50_000,
    "\n".join(["ligne"] * 10_000),
]


@pytest.mark.parametrize("words", HOSTILE, ids=range(len(HOSTILE)))
async def test_hostile_words_are_echoed_harmlessly(chat: Chat, words: str) -> None:
    for command in ("!competences", "!missions", "!participer", "!lier", "!start"):
        replies = await chat.brain.handle(
            __import__("tests.conversation", fromlist=["x"]).IncomingMessage(
                sender="console:eve",
                text=f"{command} {words}",
                place=__import__("commands.context", fromlist=["Place"]).Place("console"),
            )
        )
        for reply in replies:
            html = to_html(reply)
            assert not re.search(r"<(script|img|iframe)\b", html)  # escaped text is fine
            assert 'href="javascript' not in html
            plain = to_plain(reply, keep_mention_guards=True)
            assert not re.search(r"@(room|everyone|mla-coordination|alice)\b", plain)
            assert len(reply) < 20_000
    await chat.say("staff", f"!mission ajouter\ntitre: {words[:150]}\nstatut: brouillon")


async def test_a_flood_opens_one_thread_per_mission(chat: Chat) -> None:
    matrix = RecordingPlatform(platform="matrix")
    flooded = Chat(make_brain(chat.brain.database, flood_burst=8, flood_per_second=0.5), matrix)
    flooded.brain.services.hub.register(matrix)
    answers = await asyncio.gather(
        *(flooded.say("@eve:evil.example", "!participer 1") for _ in range(100))
    )
    assert len(matrix.threads) == 1
    assert sum("Doucement" in answer for answer in answers) == 1
    assert sum(bool(answer) for answer in answers) <= 9


CATALOGUES = st.lists(
    st.tuples(
        st.sampled_from(list(Sensitivity)), st.sampled_from(list(MissionStatus)), st.booleans()
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(catalogue=CATALOGUES, trust=st.sampled_from(list(Trust)))
async def test_no_hidden_mission_reaches_a_surface_it_must_not(
    chat: Chat, catalogue: list[tuple[Sensitivity, MissionStatus, bool]], trust: Trust
) -> None:
    async with chat.brain.database.session() as session:
        await session.execute(delete(Mission))
        for index, (sensitivity, status, door) in enumerate(catalogue):
            await mission_store.create(
                session,
                {
                    "title": f"{sensitivity.value}-{status.value}-{index}",
                    "skills": ["css"],
                    "sensitivity": sensitivity.value,
                    "status": status.value,
                    "entry_door": door,
                },
                chat.brain.services.clock(),
            )
    viewer = Viewer(trust)
    async with chat.brain.database.session() as session:
        chat_view = await mission_store.list_visible(session, viewer, Surface.CHAT)
        public_view = await mission_store.list_visible(session, viewer, Surface.PUBLIC)
        anonymous = await mission_store.list_visible(session, ANONYMOUS, Surface.PUBLIC)
        appeal = await appeal_missions(session)
    for mission in chat_view:
        assert mission.status == "open"
        assert mission.sensitivity != "confidential" or trust is Trust.TRUSTED
    for mission in [*public_view, *anonymous, *appeal]:
        assert mission.sensitivity == "public" and mission.status == "open"
    texts = [
        render_for_channel(c, appeal, Translator("fr"), Links()).text for c in CHANNELS.values()
    ]
    hidden = [
        f"{s.value}-{st_.value}-{i}"
        for i, (s, st_, _) in enumerate(catalogue)
        if s is not Sensitivity.PUBLIC or st_ is not MissionStatus.OPEN
    ]
    for text in texts:
        for title in hidden:
            assert title not in text
    # And on the forum (a public surface), nobody sees internal or confidential missions.
    forum = await chat.say("discourse:x", "!missions", surface=Surface.PUBLIC)
    for title in hidden:
        assert f" {title}" not in forum


async def test_confidential_alerts_only_reach_trusted_people(chat: Chat) -> None:
    for person, level in (("newbie", None), ("sure", "confirmé"), ("trusty", "confiance")):
        await chat.say(person, "!competences chiffrement")
        await chat.say(person, "!alertes oui")
        if level:
            await chat.say("staff", f"!confiance console:{person} {level}")
    async with chat.brain.database.session() as session:
        secret = await mission_store.create(
            session,
            {"title": "Coffre", "skills": ["chiffrement"], "sensitivity": "confidential"},
            chat.brain.services.clock(),
        )
    await chat.say("staff", f"!mission modifier {secret.id}\nstatut: brouillon")
    await chat.say("staff", f"!mission modifier {secret.id}\nstatut: ouverte")
    assert [address for address, _ in chat.platform.direct] == ["console:trusty"]
    assert announce_new_mission  # the same function serves every new or reopened mission
