"""Naming people in staff commands the way each client writes them: pills, mentions, forum
`@name`, terminal names, display names, and the question when a name is ambiguous."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.render import to_plain
from commands.brain import Brain
from commands.context import IncomingMessage, Mention, Place
from commands.errors import BadArgument
from commands.people import AmbiguousPerson, read_person
from commands.text import fold
from tests.conversation import Chat

ROOM = "!equipe:mla.example"
ALICE = "@alice:mla.example"
ALICE_TOO = "@alice.b:autre.example"
BOB = "@bob:mla.example"
COORD = "@coord:mla.example"


def matrix_message(
    text: str,
    *,
    sender: str = COORD,
    mentions: tuple[Mention, ...] = (),
    members: Mapping[str, str] | None = None,
) -> IncomingMessage:
    return IncomingMessage(
        sender=sender,
        text=text,
        place=Place(platform="matrix", room=ROOM, is_staff_room=True),  # the coordinators' room
        event_id=None,
        staff_by_platform=True,
        mentions=mentions,
        members=(lambda: members) if members is not None else None,
    )


async def say_on_matrix(brain: Brain, text: str, **details: object) -> str:
    replies = await brain.handle(matrix_message(text, **details))  # type: ignore[arg-type]
    return "\n\n".join(to_plain(reply) for reply in replies)


async def introduced(chat: Chat, who: str) -> None:
    """`who` says what they can do, so Tremplin knows them and staff can name them."""
    message = IncomingMessage(
        sender=who, text="!competences css", place=Place(platform="matrix", room="!lobby:x")
    )
    await chat.brain.handle(message)


# -- conversations -----------------------------------------------------------------------


async def test_an_element_pill_names_the_person_behind_the_display_name(chat: Chat) -> None:
    await introduced(chat, ALICE)

    answer = await say_on_matrix(
        chat.brain,
        "!confiance Alice Martin confirmé",
        mentions=(Mention(ALICE, "Alice Martin"),),
        members={ALICE: "Alice Martin", BOB: "Bob", COORD: "Coord"},
    )

    assert f"{ALICE} est maintenant confirmé·e" in answer


async def test_a_display_name_written_by_hand_is_found_among_the_room_members(
    chat: Chat,
) -> None:
    await introduced(chat, ALICE)
    members = {ALICE: "Alice Martin", BOB: "Bob", COORD: "Coord"}

    answer = await say_on_matrix(chat.brain, "!terminer alice martin 2 Merci !", members=members)

    assert f"{ALICE} n'est pas inscrit·e sur la mission #2" in answer


async def test_two_people_with_the_same_name_the_bot_asks_which_one(chat: Chat) -> None:
    await introduced(chat, ALICE)
    members = {ALICE: "Alice", ALICE_TOO: "Alice", COORD: "Coord"}

    answer = await say_on_matrix(chat.brain, "!confiance Alice confirmé", members=members)

    assert "Plusieurs personnes s'appellent « Alice » ici. Laquelle ?" in answer
    assert f"- Alice : {ALICE}" in answer and f"- Alice : {ALICE_TOO}" in answer
    assert "!confiance PERSONNE NIVEAU" in answer
    assert "est maintenant" not in answer


async def test_a_mention_settles_which_of_two_namesakes_is_meant(chat: Chat) -> None:
    await introduced(chat, ALICE)
    members = {ALICE: "Alice", ALICE_TOO: "Alice", COORD: "Coord"}

    answer = await say_on_matrix(
        chat.brain, "!confiance Alice confirmé", members=members, mentions=(Mention(ALICE),)
    )

    assert f"{ALICE} est maintenant confirmé·e" in answer


async def test_a_display_name_nobody_in_the_room_has_is_explained(chat: Chat) -> None:
    answer = await say_on_matrix(
        chat.brain, "!confiance Zoé confirmé", members={BOB: "Bob", COORD: "Coord"}
    )
    assert "Je ne trouve personne qui s'appelle « Zoé » ici" in answer
    assert "@alice:exemple.org" in answer


async def test_hostile_display_names_are_listed_harmlessly(chat: Chat) -> None:
    members = {ALICE: "@room <b>x</b>", ALICE_TOO: "@room <b>x</b>"}
    replies = await chat.brain.handle(
        matrix_message("!confiance @room <b>x</b> confirmé", members=members)
    )
    [reply] = replies
    assert "<b>" not in reply.replace("\\<b\\>", "")
    assert "@room" not in reply  # every @ from someone's words carries the mention guard


async def test_on_the_forum_an_at_name_is_a_forum_member(chat: Chat) -> None:
    await chat.say("discourse:alice", "!competences css")
    message = IncomingMessage(
        sender="discourse:coord",
        text="!confiance @Alice confirmé",
        place=Place(platform="discourse", room="42", is_direct=True),  # a private message
        staff_by_platform=True,
    )
    [answer] = await chat.brain.handle(message)
    assert "discourse:alice est maintenant confirmé·e" in to_plain(answer)


async def test_on_the_terminal_a_plain_name_is_a_terminal_user(chat: Chat) -> None:
    await chat.say("alice", "!competences css")
    assert "console:alice est maintenant confirmé·e" in await chat.say(
        "staff", "!confiance alice confirmé"
    )


# -- the reader itself -------------------------------------------------------------------


def test_a_pill_beats_a_namesake_and_leaves_the_rest() -> None:
    message = matrix_message(
        "x",
        mentions=(Mention(ALICE_TOO, "Alice"),),
        members={ALICE: "Alice", ALICE_TOO: "Alice"},
    )
    assert read_person("  Alice confirmé", message) == (ALICE_TOO, " confirmé")


def test_links_to_matrix_users_and_full_identities_are_read_as_they_are() -> None:
    message = matrix_message("x")
    assert read_person("https://matrix.to/#/%40alice%3Amla.example 2", message) == (ALICE, " 2")
    assert read_person("https://matrix.to/#/@alice:mla.example?via=mla.example 2", message)[0] == (
        ALICE
    )
    assert read_person("matrix:u/alice:mla.example 2", message)[0] == ALICE
    assert read_person("discourse:Alice 2", message) == ("discourse:alice", " 2")


def test_the_longest_name_wins_and_quotes_work() -> None:
    members = {ALICE: "Alice", BOB: "Alice Martin"}
    message = matrix_message("x", members=members)
    assert read_person("Alice Martin 2", message) == (BOB, " 2")
    assert read_person("Alice 2", message) == (ALICE, " 2")
    assert read_person('"alice martin" 2', message) == (BOB, " 2")
    assert read_person("@Alice: 2", message) == (ALICE, " 2")


def test_someone_mentioned_without_a_pill_is_named_by_their_localpart() -> None:
    message = matrix_message("x", mentions=(Mention(BOB),))  # Bob has left the room since
    assert read_person("@bob confirmé", message) == (BOB, " confirmé")


def test_the_localpart_of_a_member_names_them() -> None:
    message = matrix_message("x", members={BOB: "Robert"})
    assert read_person("bob confiance", message) == (BOB, " confiance")


def test_on_matrix_a_name_without_members_is_not_a_person() -> None:
    with pytest.raises(BadArgument):
        read_person("alice confirmé", matrix_message("x"))


# -- properties --------------------------------------------------------------------------

NAME_WORD = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "S")), min_size=1, max_size=8
)
DISPLAY_NAME = st.lists(NAME_WORD, min_size=1, max_size=3).map(" ".join)
REST = st.sampled_from(["", " confirmé", " 2 merci", "\n2"])


@settings(max_examples=200, deadline=None)
@given(
    names=st.lists(DISPLAY_NAME, min_size=1, max_size=6),
    chosen=st.integers(min_value=0, max_value=5),
    rest=REST,
)
def test_a_unique_display_name_always_names_its_member(
    names: list[str], chosen: int, rest: str
) -> None:
    members = {f"@u{index}:mla.example": name for index, name in enumerate(names)}
    target = f"@u{chosen % len(names)}:mla.example"
    name = members[target]
    key = " ".join(fold(name).split()).removeprefix("@").rstrip(":,").strip()
    same = [other for other in members.values() if other != name and fold(other).startswith(key)]
    assume(key and not same and name[0] not in '"«“')
    assume(sum(1 for other in members.values() if fold(other) == fold(name)) == 1)
    assume(not any(f"u{index}" == key for index in range(len(names))))

    person, left = read_person(name + rest, matrix_message("x", members=members))

    assert person == target
    assert left == rest


@settings(max_examples=200, deadline=None)
@given(
    label=DISPLAY_NAME,
    namesakes=st.integers(min_value=0, max_value=3),
    rest=REST,
)
def test_a_pill_always_names_its_target(label: str, namesakes: int, rest: str) -> None:
    assume(label.strip() and label[0] not in '"«“' and fold(label).strip(" @:,"))
    members = {f"@other{index}:x.example": label for index in range(namesakes)}
    message = matrix_message("x", mentions=(Mention(BOB, label),), members=members)

    assert read_person(label + rest, message) == (BOB, rest)


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60),
    names=st.lists(DISPLAY_NAME, max_size=4),
    platform=st.sampled_from(["matrix", "discourse", "console"]),
)
def test_any_text_gives_a_person_and_a_tail_of_it_or_a_clear_refusal(
    text: str, names: list[str], platform: str
) -> None:
    assume(text.strip())
    members = {f"@m{index}:x.example": name for index, name in enumerate(names)}
    message = IncomingMessage(
        sender="@coord:x.example",
        text=text,
        place=Place(platform=platform),
        members=lambda: members,
    )
    try:
        person, rest = read_person(text, message)
    except AmbiguousPerson as ambiguous:
        assert ambiguous.key == "people.which_one"
        return
    except BadArgument as refused:
        assert refused.key == "error.not_a_person"
        return
    assert text.endswith(rest) and len(rest) < len(text)
    assert person
