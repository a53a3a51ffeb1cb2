"""Talking to Tremplin in Matrix rooms, threads and direct messages, on a real Synapse."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from tests.harness.synapse import SynapseServer
from tests.matrix.conftest import StartBot
from tests.matrix.people import Person, eventually, reply_target, room_with_bot, visible

pytestmark = pytest.mark.synapse

People = Callable[[str], Awaitable[Person]]
FONT_MISSION = "#2 Ajouter une police avec @font-face sur le site"


async def joined(person: Person, room_id: str, user_id: str) -> bool:
    return await person.membership_of(room_id, user_id) == "join"


async def test_invite_from_a_friend_is_accepted_from_a_stranger_refused(
    synapse: SynapseServer, people: People, start_bot: StartBot
) -> None:
    bot = await start_bot(synapse)
    alice, stranger = await people("alice"), await people("stranger")

    friendly = await alice.open_room(bot.id)
    unknown = await stranger.open_room(bot.id)

    assert await eventually(lambda: joined(alice, friendly, bot.id))

    async def refused() -> bool:
        return await stranger.membership_of(unknown, bot.id) == "leave"

    assert await eventually(refused)


async def test_missions_are_answered_with_a_notice_replying_to_the_asker(
    synapse: SynapseServer, people: People, start_bot: StartBot
) -> None:
    bot = await start_bot(synapse)
    alice, bob = await people("alice"), await people("bob")
    room = await room_with_bot(alice, bot.id, bob.id)

    command = await alice.say(room, "!missions")

    [reply] = await alice.replies_from(bot.id, room, command)
    content = reply["content"]
    assert content["msgtype"] == "m.notice"
    assert content["format"] == "org.matrix.custom.html"
    assert FONT_MISSION in visible(content["body"])
    assert FONT_MISSION in visible(content["formatted_body"])
    assert "<br" in content["formatted_body"] or "<p>" in content["formatted_body"]
    assert content["m.relates_to"] == {"m.in_reply_to": {"event_id": command}}
    assert content["m.mentions"] == {"user_ids": [alice.id]}


async def test_a_command_in_a_thread_is_answered_in_the_thread(
    synapse: SynapseServer, people: People, start_bot: StartBot
) -> None:
    bot = await start_bot(synapse)
    alice, bob = await people("alice"), await people("bob")
    room = await room_with_bot(alice, bot.id, bob.id)
    root = await alice.say(room, "Qui peut m'aider à trouver une mission ?")

    command = await alice.say(room, "!mission 2", thread=root)

    [reply] = await alice.replies_from(bot.id, room, command)
    assert reply["content"]["m.relates_to"] == {
        "rel_type": "m.thread",
        "event_id": root,
        "is_falling_back": True,
        "m.in_reply_to": {"event_id": command},
    }
    assert "Ajouter une police" in reply["content"]["body"]


async def test_a_direct_message_is_answered_and_reused_for_private_notes(
    synapse: SynapseServer, people: People, start_bot: StartBot
) -> None:
    bot = await start_bot(synapse)
    alice = await people("alice")
    direct = await alice.open_room(bot.id, direct=True)
    await eventually(lambda: joined(alice, direct, bot.id))

    hello = await alice.say(direct, "bonjour")
    [hint] = await alice.replies_from(bot.id, direct, hello)
    assert "!aide" in hint["content"]["body"]

    question = await alice.say(direct, "!aide")
    [help_text] = await alice.replies_from(bot.id, direct, question)
    assert "!participer" in help_text["content"]["body"]

    assert await bot.connector.send_direct(alice.id, "Une nouvelle mission pour vous : !mission 3")

    async def note_in_the_same_room() -> bool:
        events = await alice.timeline(direct)
        return any("nouvelle mission" in e["content"].get("body", "") for e in events)

    assert await eventually(note_in_the_same_room)


async def test_a_private_note_to_someone_new_opens_a_direct_room(
    synapse: SynapseServer, people: People, start_bot: StartBot
) -> None:
    bot = await start_bot(synapse)
    bob = await people("bob")

    assert await bot.connector.send_direct(bob.id, "Bonjour Bob !")

    async def invitation() -> str | None:
        answer = await synapse.sync(bob.user, timeout_ms=0)
        for room_id, room in answer.get("rooms", {}).get("invite", {}).items():
            for event in room["invite_state"]["events"]:
                if event["type"] == "m.room.member" and event["content"].get("is_direct"):
                    return str(room_id)
        return None

    room = await eventually(invitation)
    await synapse.join(bob.user, room)

    async def bot_wrote() -> bool:
        return any(
            e["sender"] == bot.id
            for e in await bob.timeline(room)
            if e["type"] in ("m.room.message", "m.room.encrypted")
        )

    assert await eventually(bot_wrote)


async def test_an_edited_command_is_answered_as_its_new_text(
    synapse: SynapseServer, people: People, start_bot: StartBot
) -> None:
    bot = await start_bot(synapse)
    alice, bob = await people("alice"), await people("bob")
    room = await room_with_bot(alice, bot.id, bob.id)
    typo = await alice.say(room, "!missoins")
    await alice.replies_from(bot.id, room, typo)

    await alice.edit(room, typo, "!missions")

    replies = await alice.replies_from(bot.id, room, typo, count=2)
    assert FONT_MISSION in visible(replies[-1]["content"]["body"])
    assert not replies[-1]["content"]["body"].startswith("* ")


async def test_at_room_in_someones_words_never_notifies_the_room(
    synapse: SynapseServer, people: People, start_bot: StartBot
) -> None:
    bot = await start_bot(synapse)
    alice, bob = await people("alice"), await people("bob")
    room = await room_with_bot(alice, bot.id, bob.id)

    command = await alice.say(room, "!missions @room")

    [reply] = await alice.replies_from(bot.id, room, command)
    content = reply["content"]
    assert content["m.mentions"] == {"user_ids": [alice.id]}
    assert "@room" not in content["body"]
    assert "@room" not in content["formatted_body"]
    assert "@room" in visible(content["body"])  # the words are still there, harmless


async def test_staff_rights_come_from_the_power_level_in_the_staff_room(
    synapse: SynapseServer, people: People, start_bot: StartBot
) -> None:
    admin, helper, visitor = await people("admin"), await people("helper"), await people("bob")
    bot_user = await synapse.new_user("tremplin")
    staff_room = await admin.open_room(bot_user.user_id, helper.id)
    await synapse.join(helper.user, staff_room)
    await synapse.set_power_level(admin.user, staff_room, helper.id, 50)
    bot = await start_bot(synapse, user=bot_user, staff_room=staff_room)
    await eventually(lambda: joined(admin, staff_room, bot.id))
    room = await admin.open_room(bot.id, helper.id, visitor.id)
    await eventually(lambda: joined(admin, room, bot.id))
    await synapse.join(helper.user, room)
    await synapse.join(visitor.user, room)
    new_mission = "!mission ajouter\ntitre: Relire la charte graphique\ncompétences: css"

    refused = await visitor.say(room, new_mission)
    accepted = await helper.say(room, new_mission)

    [no] = await visitor.replies_from(bot.id, room, refused)
    assert "réservée à l'équipe" in no["content"]["body"]
    [yes] = await helper.replies_from(bot.id, room, accepted)
    assert "Mission ajoutée" in yes["content"]["body"]
    assert "Relire la charte graphique" in yes["content"]["body"]


async def test_an_unreadable_encrypted_message_gets_one_note(
    synapse: SynapseServer, people: People, start_bot: StartBot
) -> None:
    bot = await start_bot(synapse)
    alice, bob = await people("alice"), await people("bob")
    room = await room_with_bot(alice, bot.id, bob.id)

    garbled = await synapse.send_event(
        alice.user,
        room,
        "m.room.encrypted",
        {
            "algorithm": "m.megolm.v1.aes-sha2",
            "sender_key": "c2VuZGVyIGtleSB0aGF0IGRvZXMgbm90IGV4aXN0IGF0IGFsbA",
            "ciphertext": "bm90IGEgcmVhbCBjaXBoZXJ0ZXh0",
            "session_id": "bm8gc3VjaCBzZXNzaW9u",
            "device_id": alice.user.device_id,
        },
    )

    [note] = await alice.replies_from(bot.id, room, garbled)
    assert "chiffré" in note["content"]["body"]
    assert note["content"]["m.mentions"] == {"user_ids": [alice.id]}
    await bot.connector.wait_until_synced()
    later = [e for e in await alice.timeline(room) if reply_target(e) == garbled]
    assert len(later) == 1
