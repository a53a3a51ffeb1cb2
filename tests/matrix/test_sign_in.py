"""Signing in: a password login happens once; every later start is the same device."""

from __future__ import annotations

import json
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from tests.harness.synapse import RegisteredUser, SynapseServer
from tests.matrix.conftest import StartBot
from tests.matrix.people import Person, password_only, room_with_bot

pytestmark = pytest.mark.synapse
People = Callable[[str], Awaitable[Person]]


async def test_a_password_login_happens_once_then_the_same_device_is_restored(
    synapse: SynapseServer, start_bot: StartBot, tmp_path: Path
) -> None:
    user = await synapse.new_user("tremplin")
    first = await start_bot(synapse, user=user, secrets=password_only(user), device_id=None)
    saved = Path(first.config.store_path) / "credentials.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    device = first.connector.client.device_id if first.connector.client else None
    await first.connector.stop()

    second = await start_bot(
        synapse, database=first.database, user=user, secrets=password_only(user), device_id=None
    )

    assert second.connector.client is not None
    assert second.connector.client.device_id == device
    devices = await synapse.request("GET", "/_matrix/client/v3/devices", user=user)
    # the registration's device and the one login: no new device at the second start
    assert len(devices["devices"]) == 2


async def test_a_session_signed_out_elsewhere_is_signed_in_again_on_the_same_device(
    synapse: SynapseServer, start_bot: StartBot, people: People
) -> None:
    user = await synapse.new_user("tremplin")
    bot = await start_bot(synapse, user=user, secrets=password_only(user), device_id=None)
    assert bot.connector.client is not None
    device = str(bot.connector.client.device_id)
    saved = json.loads((Path(bot.config.store_path) / "credentials.json").read_text("utf-8"))
    # "Sign out of this session", from Element's session list: the token and device are gone.
    session = RegisteredUser(user.user_id, saved["access_token"], device, user.password)
    await synapse.request("POST", "/_matrix/client/v3/logout", user=session, json_body={})

    alice = await people("alice")
    room = await room_with_bot(alice, bot.id)
    command = await alice.say(room, "!missions")

    await alice.replies_from(bot.id, room, command, within=30)
    assert bot.connector.client is not None
    assert bot.connector.client.device_id == device
    published = await synapse.request(
        "POST", "/_matrix/client/v3/keys/query", user=user, json_body={"device_keys": {bot.id: []}}
    )
    # its keys are back for people's apps, still signed by its account's self-signing key
    [self_signing] = published["self_signing_keys"][bot.id]["keys"]
    assert self_signing in published["device_keys"][bot.id][device]["signatures"][bot.id]
