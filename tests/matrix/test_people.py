"""Staff name people the way Element writes them: a pill (display name in the text, the id in
the link and in `m.mentions`), or a display name typed by hand, on a real Synapse."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from storage import volunteers as volunteer_store
from storage.enums import Trust
from tests.harness.synapse import SynapseServer
from tests.matrix.conftest import RunningBot, StartBot
from tests.matrix.people import Person, eventually, visible

pytestmark = pytest.mark.synapse

People = Callable[[str], Awaitable[Person]]


def element_pill(user_id: str, name: str) -> str:
    """What Element's composer puts in `formatted_body` for a person picked in its list."""
    return f'<a href="https://matrix.to/#/{user_id}">{name}</a>'


async def named(person: Person, name: str) -> Person:
    await person.synapse.set_display_name(person.user, name)
    return person


async def trust_of(bot: RunningBot, user_id: str) -> Trust | None:
    async with bot.database.session() as session:
        volunteer = await volunteer_store.by_address(session, user_id)
        return volunteer.trust if volunteer is not None else None


async def team_room(
    synapse: SynapseServer, people: People, start_bot: StartBot, *names: str
) -> tuple[RunningBot, Person, list[Person], str]:
    """A coordinator (staff) and people with these display names, in the staff room (where
    what staff learn about people may be said; elsewhere it goes to them privately)."""
    coord = await named(await people("admin"), "Camille (coordination)")  # invites accepted
    others = [await named(await people("alice"), name) for name in names]
    user = await synapse.new_user("tremplin")
    room = await coord.open_room(user.user_id, *(person.id for person in others))
    for person in others:
        await synapse.join(person.user, room)
    bot = await start_bot(
        synapse, user=user, staff_room=room, brain_settings={"staff": frozenset({coord.id})}
    )

    async def bot_joined() -> bool:
        return await coord.membership_of(room, bot.id) == "join"

    await eventually(bot_joined)
    return bot, coord, others, room


async def test_a_coordinator_picks_someone_with_elements_autocomplete(
    synapse: SynapseServer, people: People, start_bot: StartBot
) -> None:
    bot, coord, [alice, _bob], room = await team_room(
        synapse, people, start_bot, "Alice Martin", "Bob"
    )
    hello = await alice.say(room, "!competences css et traduction")
    await alice.replies_from(bot.id, room, hello)

    command = await coord.say(
        room,
        "!confiance Alice Martin confirmé",
        format="org.matrix.custom.html",
        formatted_body=f"!confiance {element_pill(alice.id, 'Alice Martin')} confirmé",
        **{"m.mentions": {"user_ids": [alice.id]}},
    )

    [reply] = await coord.replies_from(bot.id, room, command)
    assert f"{alice.id} est maintenant confirmé·e" in visible(reply["content"]["body"])
    assert reply["content"]["m.mentions"] == {"user_ids": [coord.id]}  # nobody else pinged
    assert await trust_of(bot, alice.id) == Trust.CONFIRMED


async def test_a_display_name_typed_by_hand_and_one_two_people_share(
    synapse: SynapseServer, people: People, start_bot: StartBot
) -> None:
    bot, coord, [alice, other_alice, bob], room = await team_room(
        synapse, people, start_bot, "Alice", "Alice", "Bob Dupont"
    )
    for person in (alice, bob):
        hello = await person.say(room, "!competences css")
        await person.replies_from(bot.id, room, hello)

    by_hand = await coord.say(room, "!confiance bob dupont confiance")
    ambiguous = await coord.say(room, "!confiance Alice confirmé")

    [trusted] = await coord.replies_from(bot.id, room, by_hand)
    assert f"{bob.id} est maintenant de confiance" in visible(trusted["content"]["body"])
    [question] = await coord.replies_from(bot.id, room, ambiguous)
    asked = visible(question["content"]["body"])
    assert "Plusieurs personnes s'appellent « Alice » ici. Laquelle ?" in asked
    assert f"- Alice : {alice.id}" in asked and f"- Alice : {other_alice.id}" in asked
    assert question["content"]["m.mentions"] == {"user_ids": [coord.id]}
    assert await trust_of(bot, alice.id) == Trust.NEWCOMER

    picked = await coord.say(
        room,
        "!confiance Alice confirmé",
        format="org.matrix.custom.html",
        formatted_body=f"!confiance {element_pill(alice.id, 'Alice')} confirmé",
        **{"m.mentions": {"user_ids": [alice.id]}},
    )
    [done] = await coord.replies_from(bot.id, room, picked)
    assert f"{alice.id} est maintenant confirmé·e" in visible(done["content"]["body"])
    assert await trust_of(bot, alice.id) == Trust.CONFIRMED


async def test_a_team_room_is_answered_for_its_least_trusted_reader(
    synapse: SynapseServer, people: People, start_bot: StartBot
) -> None:
    bot, coord, [tess, noa], staff_room = await team_room(synapse, people, start_bot, "Tess", "Noa")
    hello = await tess.say(staff_room, "!competences linux et chiffrement")
    await tess.replies_from(bot.id, staff_room, hello)
    trusted = await coord.say(staff_room, "!confiance Tess confiance")
    await coord.replies_from(bot.id, staff_room, trusted)
    assert await trust_of(bot, tess.id) == Trust.TRUSTED
    team = await coord.open_room(bot.id, tess.id, noa.id, name="Équipe")
    for person in (tess, noa):
        await synapse.join(person.user, team)

    async def bot_in_team() -> bool:
        return await coord.membership_of(team, bot.id) == "join"

    await eventually(bot_in_team)
    secret = "Maintenir le système d'information sécurisé"

    asked = await tess.say(team, "!missions")
    [with_noa] = await tess.replies_from(bot.id, team, asked)
    assert secret not in visible(with_noa["content"]["body"])  # Noa, a newcomer, reads along
    assert "Traduire le site en anglais" in visible(with_noa["content"]["body"])

    await synapse.leave(noa.user, team)
    asked_again = await tess.say(team, "!missions")
    [among_trusted] = await tess.replies_from(bot.id, team, asked_again)
    assert secret in visible(among_trusted["content"]["body"])  # only Tess and staff now
