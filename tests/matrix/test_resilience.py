"""Restarts, crashes, a homeserver that goes away and Synapse's own rate limits: every command
is answered, and answered once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable

import pytest

from tests.harness.synapse import SynapseServer
from tests.matrix.conftest import StartBot
from tests.matrix.people import Person, eventually, reply_target, room_with_bot

pytestmark = pytest.mark.synapse

People = Callable[[str], Awaitable[Person]]


async def replies_per_command(person: Person, room: str, bot: str) -> Counter[str]:
    """How many messages of the bot answer each event, as read in the room."""
    events = await person.timeline(room, limit=1000)
    return Counter(
        target for e in events if e["sender"] == bot and (target := reply_target(e)) is not None
    )


async def all_answered(
    person: Person, room: str, bot: str, commands: list[str], within: float
) -> Counter[str]:
    async def probe() -> Counter[str] | None:
        counts = await replies_per_command(person, room, bot)
        return counts if all(counts[c] >= 1 for c in commands) else None

    return await eventually(probe, within, every=0.25)


async def test_a_restarted_bot_does_not_answer_again(
    synapse: SynapseServer, people: People, start_bot: StartBot
) -> None:
    first = await start_bot(synapse)
    alice, bob = await people("alice"), await people("bob")
    room = await room_with_bot(alice, first.id, bob.id)
    before = await alice.say(room, "!missions")
    await alice.replies_from(first.id, room, before)
    await first.connector.stop()

    second = await start_bot(synapse, database=first.database, user=first.user)
    after = await alice.say(room, "!mission 2")
    await alice.replies_from(second.id, room, after)

    counts = await replies_per_command(alice, room, first.id)
    assert counts[before] == 1
    assert counts[after] == 1


async def test_commands_sent_while_the_bot_was_down_are_all_answered(
    synapse: SynapseServer, people: People, start_bot: StartBot
) -> None:
    first = await start_bot(synapse)
    alice, bob = await people("alice"), await people("bob")
    room = await room_with_bot(alice, first.id, bob.id)
    await first.connector.stop()

    # More than the 50 events a sync timeline carries: the bot must fetch the gap.
    commands = [await alice.say(room, f"!mission {1 + n % 9}") for n in range(60)]
    second = await start_bot(synapse, database=first.database, user=first.user)

    counts = await all_answered(alice, room, second.id, commands, within=60)
    await second.connector.wait_until_synced()
    counts = await replies_per_command(alice, room, second.id)
    assert [counts[c] for c in commands] == [1] * 60


async def test_a_bot_killed_during_a_burst_answers_every_command_exactly_once(
    synapse: SynapseServer, people: People, start_bot: StartBot
) -> None:
    first = await start_bot(synapse)
    alice, bob = await people("alice"), await people("bob")
    room = await room_with_bot(alice, first.id, bob.id)
    commands: list[str] = []

    async def burst() -> None:
        for n in range(20):
            commands.append(await alice.say(room, f"!mission {1 + n % 9}"))
            await asyncio.sleep(0.03)

    sending = asyncio.create_task(burst())

    async def some_answered() -> bool:
        return len(await replies_per_command(alice, room, first.id)) >= 3

    await eventually(some_answered, every=0.02)
    await first.connector.kill()  # no clean shutdown: mid-batch, mid-send perhaps
    await sending
    answered_before = len(await replies_per_command(alice, room, first.id))
    assert answered_before < 20, "the kill came too late to test anything"

    second = await start_bot(synapse, database=first.database, user=first.user)
    await all_answered(alice, room, second.id, commands, within=30)
    await second.connector.wait_until_synced()
    await asyncio.sleep(0.5)  # room for a duplicate to show up, if there were one

    counts = await replies_per_command(alice, room, second.id)
    assert [counts[c] for c in commands] == [1] * 20


async def test_the_bot_comes_back_by_itself_after_the_homeserver_restarts(
    synapse: SynapseServer, people: People, start_bot: StartBot
) -> None:
    bot = await start_bot(synapse)
    alice, bob = await people("alice"), await people("bob")
    room = await room_with_bot(alice, bot.id, bob.id)
    await alice.replies_from(bot.id, room, await alice.say(room, "!missions"))
    assert bot.health.parts["matrix"]["ok"]

    await synapse.stop()
    try:

        async def noticed() -> bool:
            part = bot.health.parts["matrix"]
            return not part["ok"] and part["failures"] >= 1

        await eventually(noticed, within=20)
        await asyncio.sleep(2)
    finally:
        await synapse.start()

    command = await alice.say(room, "!mission 1")
    await alice.replies_from(bot.id, room, command, within=30)
    assert bot.health.parts["matrix"]["ok"]
    assert bot.health.parts["matrix"]["failures"] == 0


async def test_with_stock_rate_limits_a_burst_is_answered_slowly_but_completely(
    synapse_stock: SynapseServer, start_bot: StartBot
) -> None:
    synapse = synapse_stock
    admin = await synapse.new_user("admin", admin=True)
    alice = Person(synapse, await synapse.new_user("alice"))
    # Only the bot is throttled: the person may send the whole burst at once.
    await synapse.request(
        "POST",
        f"/_synapse/admin/v1/users/{alice.id}/override_ratelimit",
        user=admin,
        json_body={"messages_per_second": 0, "burst_count": 0},
    )
    bot = await start_bot(synapse, max_retries=5)
    room = await room_with_bot(alice, bot.id, admin.user_id)

    commands = [await alice.say(room, f"!mission {1 + n % 9}") for n in range(20)]

    await all_answered(alice, room, bot.id, commands, within=120)
    counts = await replies_per_command(alice, room, bot.id)
    assert [counts[c] for c in commands] == [1] * 20
    assert bot.connector.sync_loop.backoff.failures == 0  # throttled, never broken


async def test_a_reply_the_room_refused_is_sent_after_a_restart_once_the_bot_may_speak(
    synapse: SynapseServer, people: People, start_bot: StartBot
) -> None:
    first = await start_bot(synapse)
    alice, bob = await people("alice"), await people("bob")
    room = await room_with_bot(alice, first.id, bob.id)
    levels = await synapse.power_levels(alice.user, room)
    levels.setdefault("events", {})["m.room.message"] = 50  # only moderators may talk
    await synapse.set_state(alice.user, room, "m.room.power_levels", levels)

    command = await alice.say(room, "!missions")

    async def kept_for_later() -> bool:
        return command in first.connector.ledger.unsent

    await eventually(kept_for_later)
    await first.connector.stop()
    await synapse.set_power_level(alice.user, room, first.id, 50)

    second = await start_bot(synapse, database=first.database, user=first.user)

    await alice.replies_from(second.id, room, command)
    await second.connector.wait_until_synced()
    assert (await replies_per_command(alice, room, second.id))[command] == 1
    assert await second.brain.pending("matrix") == []
