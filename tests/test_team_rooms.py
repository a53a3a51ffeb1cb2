"""A team room is read by everyone in it: nothing is said there that one of them may not see.

The Matrix connector names who reads a team room (members and invitees); a trusted volunteer
or a coordinator asking there gets the answer the least trusted reader could get, and what
only they may read goes to them in private.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from commands.i18n import Translator
from tests.conversation import Chat, RecordingPlatform

pytestmark = pytest.mark.dates  # run again under faketime by ./dev test

FR = Translator("fr")
TESS = "@tess:mla.example"  # trusted
NOA = "@noa:mla.example"  # a newcomer
COORD = "@coord:mla.example"  # staff
SECRET = "Maintenir le système d'information sécurisé"
REGISTER = "Tenir à jour le registre RGPD"
WITH_A_NEWCOMER = {TESS: False, NOA: False, COORD: True}
ONLY_TRUSTED = {TESS: False, COORD: True}


@pytest.fixture
async def team(chat: Chat) -> Chat:
    platform = RecordingPlatform(platform="matrix")
    chat.brain.services.hub.register(platform)
    room = Chat(chat.brain, platform)
    settings = room.brain.services.settings
    room.brain.services.settings = replace(settings, staff=settings.staff | {COORD})
    await room.say(TESS, "!competences linux, chiffrement", direct=True)
    await room.say(COORD, f"!confiance {TESS} de-confiance", staff_room=True)
    return room


async def number_of(room: Chat, title: str) -> int:
    listing = await room.say(COORD, "!missions", direct=True)
    line = next(line for line in listing.splitlines() if title in line)
    return int(line.split("#", 1)[1].split()[0])


async def test_in_a_room_only_trusted_people_read_a_trusted_volunteer_sees_everything(
    team: Chat,
) -> None:
    answer = await team.say(TESS, "!missions", direct=False, readers=ONLY_TRUSTED)
    assert SECRET in answer and REGISTER in answer


async def test_with_a_newcomer_reading_along_no_confidential_title_is_said_in_the_room(
    team: Chat,
) -> None:
    answer = await team.say(TESS, "!missions", direct=False, readers=WITH_A_NEWCOMER)
    assert SECRET not in answer and REGISTER not in answer
    assert "Traduire le site en anglais" in answer  # the rest of the list is there
    matches = await team.say(TESS, "!pourmoi", direct=False, readers=WITH_A_NEWCOMER)
    assert SECRET not in matches
    assert SECRET in await team.say(TESS, "!missions", direct=True)  # in private, all of it


async def test_a_confidential_number_reads_as_missing_in_the_room_and_the_asker_learns_why(
    team: Chat,
) -> None:
    number = await number_of(team, SECRET)
    missing = FR("error.no_such_mission", id=number)
    for ask in (f"!mission {number}", f"!participer {number}"):
        in_room = await team.say(TESS, ask, direct=False, readers=WITH_A_NEWCOMER)
        assert in_room == missing  # exactly what the newcomer would read for a missing number
        address, text = team.platform.direct[-1]
        assert address == TESS
        assert f"#{number}" in text and "confidentielle" in text and "en privé" in text
    assert team.platform.threads == []  # nothing was joined from the room


async def test_a_coordinator_editing_a_confidential_mission_in_a_team_room_reads_it_in_private(
    team: Chat,
) -> None:
    number = await number_of(team, SECRET)
    in_room = await team.say(
        COORD,
        f"!mission modifier {number}\ndurée: 5 h / mois",
        direct=False,
        readers=WITH_A_NEWCOMER,
    )
    assert in_room == FR("private.continued")
    address, text = team.platform.direct[-1]
    assert address == COORD and SECRET in text and "modifiée" in text
    in_staff_room = await team.say(
        COORD, f"!mission modifier {number}\ndurée: 6 h / mois", staff_room=True
    )
    assert SECRET in in_staff_room


async def test_a_newcomers_question_costs_no_look_at_the_readers(team: Chat) -> None:
    asked: list[str] = []

    def readers() -> dict[str, bool]:
        asked.append("readers")
        return WITH_A_NEWCOMER

    answer = await team.say(NOA, "!missions", direct=False, readers=readers)
    assert SECRET not in answer and asked == []
