"""Signing in: a password login happens once; every later start is the same device."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from bot.config import Secrets
from tests.harness.synapse import SynapseServer
from tests.matrix.conftest import StartBot

pytestmark = pytest.mark.synapse


async def test_a_password_login_happens_once_then_the_same_device_is_restored(
    synapse: SynapseServer, start_bot: StartBot, tmp_path: Path
) -> None:
    user = await synapse.new_user("tremplin")
    password_only = Secrets(
        matrix_access_token=None,
        matrix_password=user.password,
        discourse_api_key=None,
        discourse_webhook_secret=None,
        mastodon_token=None,
    )
    first = await start_bot(synapse, user=user, secrets=password_only, device_id=None)
    saved = Path(first.config.store_path) / "credentials.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    device = first.connector.client.device_id if first.connector.client else None
    await first.connector.stop()

    second = await start_bot(
        synapse, database=first.database, user=user, secrets=password_only, device_id=None
    )

    assert second.connector.client is not None
    assert second.connector.client.device_id == device
    devices = await synapse.request("GET", "/_matrix/client/v3/devices", user=user)
    # the registration's device and the one login: no new device at the second start
    assert len(devices["devices"]) == 2
