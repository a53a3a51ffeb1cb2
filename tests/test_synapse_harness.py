"""The Synapse test harness itself: start, users, rooms, messages, restart, rate limits."""

from __future__ import annotations

import pytest

from tests.harness.synapse import SynapseError, SynapseServer

pytestmark = pytest.mark.synapse


async def test_server_answers_versions(synapse: SynapseServer) -> None:
    versions = await synapse.request("GET", "/_matrix/client/versions")
    assert "v1.11" in versions["versions"]
    assert synapse.base_url.startswith("http://127.0.0.1:")
    assert synapse.log_path.exists()


async def test_users_room_and_message_round_trip(synapse: SynapseServer) -> None:
    alice = await synapse.new_user("alice")
    bob = await synapse.new_user("bob")
    assert alice.user_id.endswith(":tremplin.test")
    whoami = await synapse.request("GET", "/_matrix/client/v3/account/whoami", user=bob)
    assert whoami["user_id"] == bob.user_id
    assert whoami["device_id"] == bob.device_id

    room_id = await synapse.create_room(alice, name="harness", invite=[bob.user_id])
    assert await synapse.join(bob, room_id) == room_id
    assert await synapse.room_members(alice, room_id) == {
        alice.user_id: "join",
        bob.user_id: "join",
    }
    event_id = await synapse.send_text(bob, room_id, "bonjour", extra_content={"x.test": 1})
    last = (await synapse.messages(alice, room_id, limit=5))[-1]
    assert last["event_id"] == event_id
    assert last["content"]["body"] == "bonjour"
    assert last["content"]["x.test"] == 1

    await synapse.set_power_level(alice, room_id, bob.user_id, 50)
    assert (await synapse.power_levels(bob, room_id))["users"][bob.user_id] == 50


async def test_encrypted_room_and_errors(synapse: SynapseServer) -> None:
    alice = await synapse.new_user("alice")
    room_id = await synapse.create_room(alice, encrypted=True, is_direct=True)
    encryption = await synapse.get_state(alice, room_id, "m.room.encryption")
    assert encryption["algorithm"] == "m.megolm.v1.aes-sha2"
    stranger = await synapse.new_user("stranger")
    with pytest.raises(SynapseError) as caught:
        await synapse.send_text(stranger, room_id, "not a member")
    assert caught.value.status == 403
    assert caught.value.errcode == "M_FORBIDDEN"


async def test_restart_keeps_data_and_tokens(synapse: SynapseServer) -> None:
    alice = await synapse.new_user("alice")
    room_id = await synapse.create_room(alice)
    event_id = await synapse.send_text(alice, room_id, "before restart")
    port = synapse.port

    await synapse.restart()

    assert synapse.port == port
    events = await synapse.messages(alice, room_id, limit=3)
    assert event_id in [event["event_id"] for event in events]
    await synapse.send_text(alice, room_id, "after restart")


async def test_pause_freezes_and_resume_recovers(synapse: SynapseServer) -> None:
    await synapse.pause()
    try:
        with pytest.raises(TimeoutError):
            await synapse.request("GET", "/_matrix/client/versions", time_limit=0.5)
    finally:
        await synapse.resume()
    versions = await synapse.request("GET", "/_matrix/client/versions", time_limit=5)
    assert versions["versions"]


async def test_relaxed_limits_allow_bursts(synapse: SynapseServer) -> None:
    user = await synapse.new_user("burst")
    rooms = [await synapse.create_room(user) for _ in range(12)]
    for index in range(30):
        await synapse.send_text(user, rooms[0], f"message {index}")
    assert len(set(rooms)) == 12


async def test_stock_limits_throttle_messages(synapse_stock: SynapseServer) -> None:
    user = await synapse_stock.new_user("chatty")
    room_id = await synapse_stock.create_room(user)
    with pytest.raises(SynapseError) as caught:
        for index in range(30):
            await synapse_stock.send_text(user, room_id, f"message {index}")
    assert caught.value.status == 429
    assert caught.value.retry_after_ms is not None
