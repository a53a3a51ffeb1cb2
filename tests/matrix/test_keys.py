"""The bot's keys as people's apps see them, on a real Synapse: its device is cross-signed by
its account (no red shield in Element), and a lost key store never means a deaf bot: it comes
back as a new device, or refuses to start and says exactly what to do."""

from __future__ import annotations

import logging
import shutil
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from nio import AsyncClient, MatrixRoom, RoomMessageNotice, RoomSendResponse
from signedjson.key import decode_verify_key_base64
from signedjson.sign import verify_signed_json

from bench.echo_bot import nio_client
from bot.connectors.matrix.cross_signing import KEYS_FILE
from tests.harness.synapse import RegisteredUser, SynapseServer
from tests.matrix.conftest import RunningBot, StartBot
from tests.matrix.people import Person, eventually, password_only, sync_until, visible

pytestmark = pytest.mark.synapse

KEYS_QUERY = "/_matrix/client/v3/keys/query"


async def keys_seen_by(synapse: SynapseServer, viewer: RegisteredUser, user_id: str) -> Any:
    """What any app of `viewer` learns about `user_id`'s keys (`POST /keys/query`)."""
    return await synapse.request(
        "POST", KEYS_QUERY, user=viewer, json_body={"device_keys": {user_id: []}}
    )


def the_key(published: dict[str, Any]) -> tuple[str, Any]:
    """The public key of a published cross-signing key, and the key to verify with."""
    [(key_id, public)] = published["keys"].items()
    algorithm, version = key_id.split(":", 1)
    return public, decode_verify_key_base64(algorithm, version, public)


def emptied(store: Path) -> None:
    """The store folder, there but empty."""
    shutil.rmtree(store)
    store.mkdir()


def bot_device_id(bot: RunningBot) -> str:
    assert bot.connector.client is not None
    return str(bot.connector.client.device_id)


async def test_the_bots_device_is_verified_by_its_owner_as_other_apps_see_it(
    synapse: SynapseServer, start_bot: StartBot
) -> None:
    bot = await start_bot(synapse)
    alice = await synapse.new_user("alice")
    device_id = bot_device_id(bot)

    seen = await keys_seen_by(synapse, alice, bot.id)

    master = seen["master_keys"][bot.id]
    self_signing = seen["self_signing_keys"][bot.id]
    device = seen["device_keys"][bot.id][device_id]
    assert master["usage"] == ["master"] and self_signing["usage"] == ["self_signing"]
    master_public, master_key = the_key(master)
    self_signing_public, self_signing_key = the_key(self_signing)
    # each signature checked with the keys as the server publishes them (ed25519)
    verify_signed_json(self_signing, bot.id, master_key)
    verify_signed_json(device, bot.id, self_signing_key)
    assert f"ed25519:{self_signing_public}" in device["signatures"][bot.id]
    # and the device keys are the device's own (signed by itself), not some other device's
    own_key = decode_verify_key_base64("ed25519", device_id, device["keys"][f"ed25519:{device_id}"])
    verify_signed_json(device, bot.id, own_key)

    saved = Path(bot.config.store_path) / KEYS_FILE
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    await bot.connector.stop()
    again = await start_bot(synapse, database=bot.database, user=bot.user)
    assert bot_device_id(again) == device_id
    after = await keys_seen_by(synapse, alice, bot.id)
    assert the_key(after["master_keys"][bot.id])[0] == master_public  # the same identity


def replies_to(app: AsyncClient, room_id: str, bot: str, event_id: str) -> Callable[[], str | None]:
    """The decrypted text of the bot's answer to `event_id`, once `app` has received it."""
    found: dict[str, str] = {}

    async def on_notice(room: MatrixRoom, event: RoomMessageNotice) -> None:
        relation = event.source.get("content", {}).get("m.relates_to") or {}
        target = (relation.get("m.in_reply_to") or {}).get("event_id")
        if room.room_id == room_id and event.sender == bot and target == event_id:
            found.setdefault("text", event.body)

    app.add_event_callback(on_notice, RoomMessageNotice)  # type: ignore[arg-type]
    return lambda: found.get("text")


async def say_encrypted(app: AsyncClient, room_id: str, text: str) -> str:
    sent = await app.room_send(
        room_id,
        "m.room.message",
        {"msgtype": "m.text", "body": text},
        ignore_unverified_devices=True,
    )
    assert isinstance(sent, RoomSendResponse), sent
    return str(sent.event_id)


async def test_a_bot_whose_store_was_emptied_comes_back_as_a_new_device_and_reads_new_messages(
    synapse: SynapseServer, start_bot: StartBot, tmp_path: Path
) -> None:
    bot_user, alice_user = await synapse.new_user("tremplin"), await synapse.new_user("alice")
    first = await start_bot(synapse, user=bot_user, secrets=password_only(bot_user), device_id=None)
    old_device = bot_device_id(first)
    alice = Person(synapse, alice_user)
    async with nio_client(
        synapse.base_url,
        alice_user.user_id,
        alice_user.device_id,
        alice_user.access_token,
        tmp_path / "alice",
    ) as alice_app:
        room = await synapse.create_room(alice_user, invite=[first.id], encrypted=True)

        async def bot_joined() -> bool:
            return await alice.membership_of(room, first.id) == "join"

        await eventually(bot_joined)
        await sync_until(alice_app, lambda: room in alice_app.rooms)
        before = await say_encrypted(alice_app, room, "!missions")
        assert "Ajouter une police" in visible(
            await sync_until(alice_app, replies_to(alice_app, room, first.id, before))
        )

        await first.connector.stop()
        store = Path(first.config.store_path)
        emptied(store)  # a restored server without that folder, a wrong volume…
        second = await start_bot(
            synapse,
            database=first.database,
            user=bot_user,
            secrets=password_only(bot_user),
            device_id=old_device,  # the same device id, as in the configuration
        )

        new_device = bot_device_id(second)
        assert new_device != old_device
        devices = await synapse.request("GET", "/_matrix/client/v3/devices", user=bot_user)
        assert old_device not in {device["device_id"] for device in devices["devices"]}
        seen = await keys_seen_by(synapse, alice_user, second.id)
        _, self_signing_key = the_key(seen["self_signing_keys"][second.id])
        verify_signed_json(seen["device_keys"][second.id][new_device], second.id, self_signing_key)

        def knows_the_new_device() -> bool:
            devices = alice_app.device_store.active_user_devices(second.id)
            return new_device in {device.id for device in devices}

        await sync_until(alice_app, knows_the_new_device)
        after = await say_encrypted(alice_app, room, "!mission 2")
        answer = await sync_until(alice_app, replies_to(alice_app, room, second.id, after))
        assert "Ajouter une police" in visible(answer)


async def test_with_only_a_token_a_lost_store_stops_matrix_with_what_to_do(
    synapse: SynapseServer, start_bot: StartBot, caplog: pytest.LogCaptureFixture
) -> None:
    first = await start_bot(synapse)
    device_id = bot_device_id(first)
    store = Path(first.config.store_path)
    backup = store.with_name(store.name + "-backup")
    await first.connector.stop()
    shutil.copytree(store, backup)
    keys_before = await keys_seen_by(synapse, first.user, first.id)
    emptied(store)

    with caplog.at_level(logging.CRITICAL, logger="bot.connectors.matrix.sync"):
        refused = await start_bot(synapse, database=first.database, user=first.user, synced=False)

        async def stopped() -> bool:
            task = refused.connector._task
            return task is not None and task.done()

        await eventually(stopped)

    [said] = [record.getMessage() for record in caplog.records if record.levelname == "CRITICAL"]
    assert said.startswith(f"Matrix will not start: the key store in {store} does not hold")
    for what_to_do in (
        f"put back the store folder {store} from a backup",
        "remove TREMPLIN_MATRIX_ACCESS_TOKEN and set TREMPLIN_MATRIX_PASSWORD",
        "matrix.device_id",
    ):
        assert what_to_do in said
    assert device_id in said
    part = refused.health.parts["matrix"]
    assert not part["ok"] and part["detail"] == said
    # nothing was uploaded for the old device: its keys are still the ones people know
    keys_after = await keys_seen_by(synapse, first.user, first.id)
    assert keys_after["device_keys"] == keys_before["device_keys"]
    await refused.connector.stop()

    shutil.rmtree(store)
    shutil.copytree(backup, store)  # what the message says: put the folder back
    restored = await start_bot(synapse, database=first.database, user=first.user)
    assert bot_device_id(restored) == device_id
    assert restored.health.parts["matrix"]["ok"]
