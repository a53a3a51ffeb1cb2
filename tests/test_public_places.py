"""Where answers are given: personal and staff answers never in public, public posts re-checked.

Every command declares the most open place it may answer in (a public room or forum topic,
the team's rooms, or the person's private conversation). Asked for somewhere more open, the
answer goes to the person in private, and the place they asked in reads one short sentence
with nothing personal in it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from commands.context import Where
from commands.help import is_staff_command
from commands.i18n import Translator
from commands.ports import PortError
from commands.registry import build_router
from storage import appeals as appeal_store
from storage.visibility import Surface
from tests.conversation import Chat, RecordingPlatform, make_brain

pytestmark = pytest.mark.dates  # run again under faketime by ./dev test

FR = Translator("fr")
CONTINUED = FR("private.continued")
ROUTER = build_router()
EVERY_COMMAND = [
    command
    for top in ROUTER.unique_commands()
    for command in (top, *dict.fromkeys(top.subcommands.values()))
]


def on_forum(chat: Chat, *staff: str) -> Chat:
    """People writing on the forum, to a brain on the same database (with `staff` as staff
    identities besides console:staff)."""
    forum = RecordingPlatform(platform="discourse")
    brain = chat.brain
    if staff:
        everyone = frozenset({*brain.services.settings.staff, *staff})
        brain = make_brain(brain.database, brain.services.clock, staff=everyone)
    brain.services.hub.register(forum)
    return Chat(brain, forum)


def test_every_command_declares_where_it_may_answer() -> None:
    undeclared = [command.qualified_name for command in EVERY_COMMAND if command.answers is None]
    assert undeclared == []


def test_no_staff_or_personal_answer_is_declared_for_public_places() -> None:
    public = {c.qualified_name for c in EVERY_COMMAND if c.answers is Where.PUBLIC}
    for command in EVERY_COMMAND:
        if is_staff_command(command):
            assert command.qualified_name not in public
    for personal in ("lier", "mesdonnees", "mesmissions", "bilan"):
        assert personal not in public
    private = {c.qualified_name for c in EVERY_COMMAND if c.answers is Where.PRIVATE}
    assert {"lier", "mesdonnees", "mesmissions"} <= private
    # What staff commands say about other people: in private, or in the staff's own room.
    about_people = {c.qualified_name for c in EVERY_COMMAND if c.answers >= Where.STAFF_ROOM}
    assert {"benevoles", "confiance", "terminer"} <= about_people


async def test_my_data_asked_in_a_forum_topic_is_answered_in_a_private_message(
    chat: Chat,
) -> None:
    forum = on_forum(chat)
    await forum.say("discourse:alice", "!competences je fais du css, signé Alice Secrète")
    public = await forum.say("discourse:alice", "!mesdonnees", surface=Surface.PUBLIC)
    assert public == CONTINUED
    [(address, text)] = forum.platform.direct
    assert address == "discourse:alice"
    assert "Tout ce que je garde sur vous" in text and "Alice Secrète" in text


async def test_a_link_code_is_never_posted_where_others_read(chat: Chat) -> None:
    forum = on_forum(chat)
    for place in ({"surface": Surface.PUBLIC}, {"direct": False}):
        answer = await forum.say("discourse:alice", "!lier", **place)
        assert answer.startswith(CONTINUED) and "code" not in answer
    assert [address for address, _ in forum.platform.direct] == ["discourse:alice"] * 2
    assert all("Votre code :" in text for _, text in forum.platform.direct)


@pytest.mark.parametrize(
    "command",
    [
        "!stats",
        "!benevoles css",
        "!terminer console:alice 2",
        "!confiance console:alice confirmé",
        "!suivi",
        "!mission ajouter\ntitre: Une mission de l'équipe",
        "!mission modifier 2\nrésumé: autre chose",
        "!mission fermer 3",
        "!appel",
    ],
)
async def test_staff_answers_asked_in_public_continue_in_private(chat: Chat, command: str) -> None:
    await chat.say("alice", "!competences css")
    await chat.say("alice", "!trouvable oui")
    await chat.say("alice", "!participer 2")
    staff = "discourse:staff"
    forum = on_forum(chat, staff)
    assert await forum.say(staff, command, surface=Surface.PUBLIC) == CONTINUED
    sent = [text for address, text in forum.platform.direct if address == staff]
    assert len(sent) == 1 and sent[0] and sent[0] != CONTINUED


async def test_personal_answers_in_the_team_room_go_private_but_a_check_in_stays(
    chat: Chat,
) -> None:
    team = RecordingPlatform(platform="matrix")
    chat.brain.services.hub.register(team)
    room = Chat(chat.brain, team)
    who = "@bob:mla.example"
    await room.say(who, "!participer 4", direct=True)
    assert await room.say(who, "!mesmissions", direct=False) == CONTINUED
    assert "#4 Traduire le site en anglais" in team.direct[-1][1]
    # An onboarding thread is one of the team's rooms: a check-in is answered there.
    assert "J'ai prévenu la coordination" in await room.say(who, "!bilan 4 aide", direct=False)


async def test_what_staff_learn_about_people_stays_out_of_team_rooms_but_not_the_staff_room(
    chat: Chat,
) -> None:
    team = RecordingPlatform(platform="matrix")
    chat.brain.services.hub.register(team)
    room = Chat(chat.brain, team)
    staff = "@coord:mla.example"
    room.brain.services.settings = replace(room.brain.services.settings, staff=frozenset({staff}))
    await room.say("@bob:mla.example", "!competences css", direct=True)
    in_team = await room.say(staff, "!confiance @bob:mla.example confirmé", direct=False)
    assert in_team == CONTINUED  # a volunteer's trust is not for every member of a team room
    assert "@bob:mla.example est maintenant confirmé·e" in team.direct[-1][1]
    in_staff_room = await room.say(
        staff, "!confiance @bob:mla.example de-confiance", staff_room=True
    )
    assert "@bob:mla.example est maintenant de confiance" in in_staff_room
    assert len(team.direct) == 1  # nothing more sent privately


@dataclass
class Unreachable(RecordingPlatform):
    """A platform that can't write to someone privately (a forum that refuses the private
    message, a Matrix server that can't open a direct room)."""

    raises: bool = False

    async def send_direct(self, address: str, text: str) -> bool:
        if self.raises:
            raise PortError(self.platform, "private message refused", refused=True)
        return False


@pytest.mark.parametrize(("network", "raises"), [("discourse", True), ("matrix", False)])
async def test_when_no_private_message_can_be_sent_the_person_is_told_how_to_reach_the_bot(
    chat: Chat, network: str, raises: bool
) -> None:
    there = Unreachable(platform=network, raises=raises)
    chat.brain.services.hub.register(there)
    people = Chat(chat.brain, there)
    who = "discourse:alice" if network == "discourse" else "@alice:mla.example"
    await people.say(who, "!competences je fais du css, signé Alice Secrète", direct=True)
    answer = await people.say(who, "!mesdonnees", surface=Surface.PUBLIC, event_id="$ask")
    assert answer == FR(f"private.unreachable.{network}")
    assert "Alice" not in answer and "css" not in answer
    # What a restart would send again is that sentence too, never the personal answer.
    assert await people.say(who, "!mesdonnees", surface=Surface.PUBLIC, event_id="$ask") == answer


async def test_help_says_where_each_command_answers(chat: Chat) -> None:
    forum = on_forum(chat)
    listing = await forum.say("discourse:alice", "!aide", surface=Surface.PUBLIC)
    assert "!mesdonnees [!mydata] — tout ce que je garde sur vous · en privé" in listing
    assert "!missions [mot-clé] — les missions ouvertes, les portes d'entrée d'abord\n" in listing
    one = await forum.say("discourse:alice", "!aide mesdonnees", surface=Surface.PUBLIC)
    assert FR("help.where_detail.private") in one


async def test_help_for_adding_a_mission_explains_the_fields(chat: Chat) -> None:
    answer = await chat.say("staff", "!aide mission ajouter")
    assert answer.startswith("!mission ajouter clé: valeur… [!mission add] — ajouter une mission")
    for field in ("titre (obligatoire)", "sensibilité (publique, interne, confidentielle)"):
        assert field in answer
    assert "titre: Relire la charte graphique" in answer
    english = await chat.say("staff", "!help mission add")
    assert "title (required)" not in english  # the person's language, not the command's
    await chat.say("staff", "!langue en")
    assert "title (required)" in await chat.say("staff", "!help mission add")
    assert "réservée" not in await chat.say("alice", "!aide mission ajouter")


async def test_staff_details_of_a_mission_stay_out_of_public_places(chat: Chat) -> None:
    forum = on_forum(chat, "discourse:s")
    in_public = await forum.say("discourse:s", "!mission 2", surface=Surface.PUBLIC)
    assert "#2 Ajouter une police" in in_public and "Pour l'équipe" not in in_public
    assert "Pour l'équipe" in await chat.say("staff", "!mission 2")


async def test_a_call_is_never_updated_with_a_mission_hidden_since(chat: Chat) -> None:
    async with chat.brain.database.session() as session:
        await appeal_store.record(
            session,
            "forum",
            ["77"],
            language="fr",
            mission_ids=[2, 3],
            now=chat.brain.services.clock(),
        )
    forum = RecordingPlatform(platform="discourse")
    chat.brain.services.hub.register(forum)
    await chat.say("staff", "!mission modifier 2\nsensibilité: confidentielle")
    await chat.say("staff", "!mission modifier 2\nstatut: pourvue")
    await chat.say("staff", "!mission modifier 3\nsensibilité: interne\nstatut: fermée")
    assert forum.in_threads == []
    await chat.say("staff", "!mission modifier 2\nsensibilité: publique")
    await chat.say("staff", "!mission fermer 2")
    assert forum.in_threads == [
        (
            "77",
            "Mise à jour : #2 Ajouter une police avec @font-face sur le site est fermée. "
            "Les autres missions restent ouvertes.",
        )
    ]
