"""Encrypted messages the bot can't read: the sender hears why and what to do, at once when
their app withholds the key, and never only at the end of a 30-second long-poll."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tests.harness.synapse import SynapseServer
from tests.matrix.conftest import RunningBot, StartBot
from tests.matrix.people import Person, room_with_bot, visible

pytestmark = pytest.mark.synapse

People = Callable[[str], Awaitable[Person]]
LONG_POLL = 30  # seconds, as in production: nothing below may wait for one to end
FEW_SECONDS = 8.0


def megolm_content(person: Person, session_id: str, sender_key: str) -> dict[str, Any]:
    """An m.room.encrypted event whose session the bot never received."""
    return {
        "algorithm": "m.megolm.v1.aes-sha2",
        "sender_key": sender_key,
        "ciphertext": "bm90IGEgcmVhbCBjaXBoZXJ0ZXh0",
        "session_id": session_id,
        "device_id": person.user.device_id,
    }


async def withhold_key(
    synapse: SynapseServer, person: Person, bot: RunningBot, room: str, content: dict[str, Any]
) -> None:
    """What a sender's client does for a device it won't share a room key with: an
    m.room_key.withheld to-device message (matrix-rust-sdk,
    crates/matrix-sdk-crypto/src/session_manager/group_sessions/share_strategy.rs,
    `split_recipients_withhelds_for_user`: m.unverified when only trusted devices get keys)."""
    assert bot.connector.client is not None
    withheld = {
        "algorithm": "m.megolm.v1.aes-sha2",
        "code": "m.unverified",
        "reason": "The sender has disabled encrypting to unverified devices.",
        "room_id": room,
        "session_id": content["session_id"],
        "sender_key": content["sender_key"],
    }
    await synapse.send_to_device(
        person.user,
        "m.room_key.withheld",
        {bot.id: {bot.connector.client.device_id: withheld}},
    )


async def test_the_couldnt_read_note_comes_after_its_grace_not_after_a_long_poll(
    synapse: SynapseServer, people: People, start_bot: StartBot
) -> None:
    bot = await start_bot(synapse, sync_timeout_seconds=LONG_POLL, unreadable_grace_seconds=1)
    alice, bob = await people("alice"), await people("bob")
    room = await room_with_bot(alice, bot.id, bob.id)

    garbled = await synapse.send_event(
        alice.user,
        room,
        "m.room.encrypted",
        megolm_content(alice, "bm8gc3VjaCBzZXNzaW9u", "c2VuZGVyIGtleSBvZiBhbGljZQ"),
    )

    [note] = await alice.replies_from(bot.id, room, garbled, within=FEW_SECONDS)
    assert "la clé ne m'est pas parvenue" in visible(note["content"]["body"])


async def test_a_withheld_key_is_explained_to_its_sender_within_seconds(
    synapse: SynapseServer, people: People, start_bot: StartBot
) -> None:
    # A grace period and a long-poll both longer than the wait below: only the withheld
    # notice itself can make the bot answer in time.
    bot = await start_bot(synapse, sync_timeout_seconds=LONG_POLL, unreadable_grace_seconds=60)
    alice, bob = await people("alice"), await people("bob")
    room = await room_with_bot(alice, bot.id, bob.id)
    first = megolm_content(alice, "c2Vzc2lvbiBvbmU", "c2VuZGVyIGtleSBvZiBhbGljZQ")
    second = megolm_content(alice, "c2Vzc2lvbiB0d28", "c2VuZGVyIGtleSBvZiBhbGljZQ")

    unread = await synapse.send_event(alice.user, room, "m.room.encrypted", first)
    await withhold_key(synapse, alice, bot, room, first)  # after the message…
    await withhold_key(synapse, alice, bot, room, second)  # …and before it
    later = await synapse.send_event(alice.user, room, "m.room.encrypted", second)

    for event_id in (unread, later):
        [note] = await alice.replies_from(bot.id, room, event_id, within=FEW_SECONDS)
        body = visible(note["content"]["body"])
        assert "ne partage vos messages chiffrés qu'avec les personnes que vous avez" in body
        assert "vérifiez Tremplin" in body and "renvoyez votre message" in body
        assert note["content"]["m.mentions"] == {"user_ids": [alice.id]}
