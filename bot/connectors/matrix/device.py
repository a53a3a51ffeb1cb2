"""The bot's device against what the homeserver publishes for it: a lost key store is caught
at start, before any new key is uploaded for an old device id."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from nio import AsyncClient

from bot.config import MatrixConfig, Secrets
from bot.connectors.matrix.client import (
    CallFailed,
    CannotStart,
    call,
    call_with_password,
    sign_in_as_new_device,
)

log = logging.getLogger(__name__)

KEYS_QUERY = "/_matrix/client/v3/keys/query"
DELETE_DEVICES = "/_matrix/client/v3/delete_devices"
IDENTITY_KEYS = ("ed25519", "curve25519")


@dataclass(frozen=True)
class PublishedKeys:
    """What `/keys/query` says about one account: its devices' keys, its cross-signing keys."""

    devices: dict[str, dict[str, Any]]
    master: dict[str, Any] | None
    self_signing: dict[str, Any] | None

    def identity_of(self, device_id: str) -> dict[str, str] | None:
        """The device's ed25519 and curve25519 keys as published, or None (none uploaded)."""
        device = self.devices.get(device_id)
        keys = device.get("keys") if isinstance(device, dict) else None
        if not isinstance(keys, dict):
            return None
        found = {name: keys.get(f"{name}:{device_id}") for name in IDENTITY_KEYS}
        return {name: str(key) for name, key in found.items() if key} or None


async def published_keys(client: AsyncClient) -> PublishedKeys:
    """The bot account's keys as every other client sees them."""
    user_id = str(client.user_id)
    answer = await call(client, "POST", KEYS_QUERY, {"device_keys": {user_id: []}})

    def own(section: str) -> Any:
        value = answer.get(section)
        return value.get(user_id) if isinstance(value, dict) else None

    devices = own("device_keys")
    return PublishedKeys(
        devices=devices if isinstance(devices, dict) else {},
        master=own("master_keys"),
        self_signing=own("self_signing_keys"),
    )


def store_lost_message(config: MatrixConfig, device_id: str) -> str:
    """What the operator reads when Matrix won't start on a store that isn't the device's."""
    return (
        f"Matrix will not start: the key store in {config.store_path} does not hold the keys of "
        f"device {device_id} (the homeserver publishes other keys for it): the store was emptied, "
        "lost, or is not this bot's. Tremplin never gives an old device new keys: every "
        "encrypted message would stay unreadable. Do one of these, then start Tremplin again: "
        f"(1) put back the store folder {config.store_path} from a backup (stop Tremplin first); "
        "or (2) remove TREMPLIN_MATRIX_ACCESS_TOKEN and set TREMPLIN_MATRIX_PASSWORD: Tremplin "
        f"will sign in as a new device and remove {device_id}; or (3) sign in as a new device "
        "yourself and give its token in TREMPLIN_MATRIX_ACCESS_TOKEN and its id in "
        "matrix.device_id."
    )


async def checked_device(
    client: AsyncClient,
    config: MatrixConfig,
    secrets: Secrets,
    fresh_client: Callable[[], AsyncClient],
) -> AsyncClient:
    """`client` when its store holds the keys published for its device (or none are
    published: they will be, again if need be); else a client signed in as a new device when
    the password allows it. Raises `CannotStart` otherwise. The old client is closed when
    replaced."""
    device_id = str(client.device_id)
    published = await published_keys(client)
    theirs = published.identity_of(device_id)
    if client.olm is None:
        raise CannotStart(
            f"Matrix will not start: no key store could be opened in {config.store_path}"
        )
    if theirs is None:
        if client.olm.account.shared:  # signed out elsewhere: the device and its keys were deleted
            log.info("no keys published for device %s: publishing them again", device_id)
            client.olm.account.shared = False
        return client
    ours = {name: str(key) for name, key in client.olm.account.identity_keys.items()}
    if all(ours.get(name) == key for name, key in theirs.items()):
        return client
    password = secrets.matrix_password
    if secrets.matrix_access_token or not password:
        raise CannotStart(store_lost_message(config, device_id))
    log.warning(
        "the key store in %s does not hold the keys of device %s: signing in as a new device",
        config.store_path,
        device_id,
    )
    replacement = fresh_client()
    try:
        new_device = await sign_in_as_new_device(replacement, config, password)
    except BaseException:
        await replacement.close()
        raise
    await client.close()
    await _retire(replacement, device_id, password)
    log.warning(
        "Matrix: now device %s (the old device %s and what was encrypted for it are gone)",
        new_device,
        device_id,
    )
    return replacement


async def _retire(client: AsyncClient, device_id: str, password: str) -> None:
    """Delete the device whose keys were lost, so people's apps stop encrypting for it."""
    try:
        await call_with_password(client, "POST", DELETE_DEVICES, {"devices": [device_id]}, password)
    except (CallFailed, aiohttp.ClientError, TimeoutError) as error:
        log.warning("the old device %s could not be removed: %s", device_id, error)
