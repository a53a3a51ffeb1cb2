"""Cross-signing for the bot's own account, as Element sets it up at a first login: a master
key, self-signing and user-signing keys signed by it, and the bot's device signed by the
self-signing key, so people's apps show the device as verified by its owner.

The private keys live in the store folder (`cross-signing.json`, readable by the bot's user
only), beside the device's own keys: back them up together.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nio import AsyncClient
from signedjson.key import (
    decode_signing_key_base64,
    encode_signing_key_base64,
    encode_verify_key_base64,
    generate_signing_key,
    get_verify_key,
)
from signedjson.sign import sign_json
from signedjson.types import SigningKey

from bot.connectors.matrix.client import CallFailed, call, call_with_password
from bot.connectors.matrix.device import PublishedKeys, published_keys

log = logging.getLogger(__name__)

KEYS_FILE = "cross-signing.json"
UPLOAD_KEYS = "/_matrix/client/v3/keys/device_signing/upload"
UPLOAD_SIGNATURES = "/_matrix/client/v3/keys/signatures/upload"
ED25519 = "ed25519"
USAGES = ("master", "self_signing", "user_signing")


@dataclass(frozen=True)
class CrossSigningKeys:
    """The three private keys of an account's cross-signing identity."""

    user_id: str
    master: SigningKey
    self_signing: SigningKey
    user_signing: SigningKey

    @classmethod
    def generate(cls, user_id: str) -> CrossSigningKeys:
        return cls(user_id, *(_named(generate_signing_key("new")) for _ in USAGES))

    def key(self, usage: str) -> SigningKey:
        return {
            "master": self.master,
            "self_signing": self.self_signing,
            "user_signing": self.user_signing,
        }[usage]

    def public(self, usage: str) -> str:
        return str(self.key(usage).version)

    def published_form(self, usage: str) -> dict[str, Any]:
        """The key as `/keys/device_signing/upload` takes it: the master key plain, the others
        signed by it."""
        public = self.public(usage)
        key: dict[str, Any] = {
            "user_id": self.user_id,
            "usage": [usage],
            "keys": {f"{ED25519}:{public}": public},
        }
        if usage != "master":
            sign_json(key, self.user_id, self.master)
        return key

    def to_json(self) -> dict[str, str]:
        return {
            "user_id": self.user_id,
            **{usage: encode_signing_key_base64(self.key(usage)) for usage in USAGES},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CrossSigningKeys:
        keys = [_named(decode_signing_key_base64(ED25519, "x", str(data[u]))) for u in USAGES]
        return cls(str(data["user_id"]), *keys)


def _named(key: SigningKey) -> SigningKey:
    """The key with its public part as its version: cross-signing keys are named
    `ed25519:<public key>`, and signedjson names a signature after the key's version."""
    public = encode_verify_key_base64(get_verify_key(key))
    return decode_signing_key_base64(ED25519, public, encode_signing_key_base64(key))


def _public_of(published: dict[str, Any] | None) -> str | None:
    keys = published.get("keys") if isinstance(published, dict) else None
    if not isinstance(keys, dict) or len(keys) != 1:
        return None
    [public] = keys.values()
    return str(public)


def _published_are(keys: CrossSigningKeys, published: PublishedKeys) -> bool:
    """True when the account's published master and self-signing keys are these."""
    return _public_of(published.master) == keys.public("master") and _public_of(
        published.self_signing
    ) == keys.public("self_signing")


async def read_keys(store: Path, user_id: str) -> CrossSigningKeys | None:
    path = store / KEYS_FILE
    try:
        data = json.loads(await asyncio.to_thread(path.read_text, "utf-8"))
        keys = CrossSigningKeys.from_json(data)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as error:
        log.warning("ignoring unreadable %s: %s", path, error)
        return None
    return keys if keys.user_id == user_id else None


async def write_keys(store: Path, keys: CrossSigningKeys) -> None:
    """Written readable by its owner only (0600), and before anything is uploaded: keys the
    server holds and we don't could only be replaced with the account's password."""
    await asyncio.to_thread(_write_private, store / KEYS_FILE, keys.to_json())


def _write_private(path: Path, data: dict[str, str]) -> None:
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as stream:
        json.dump(data, stream)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temporary, path)


async def ensure_cross_signed(client: AsyncClient, store_path: str, password: str | None) -> bool:
    """Make the bot's device verified by its owner; True when it is.

    Keys are created and published the first time (no password needed then); keys published
    by someone else, or lost with the store, are replaced only when the password allows it.
    """
    user_id, device_id = str(client.user_id), str(client.device_id)
    store = Path(store_path)
    published = await published_keys(client)
    keys = await read_keys(store, user_id)
    if keys is None or not _published_are(keys, published):
        if published.master is not None and not password:
            log.warning(
                "Matrix: %s's cross-signing keys were set elsewhere or lost with the store; "
                "device %s stays unverified. Set TREMPLIN_MATRIX_PASSWORD once to let Tremplin "
                "replace them.",
                user_id,
                device_id,
            )
            return False
        keys = keys or CrossSigningKeys.generate(user_id)
        await write_keys(store, keys)
        body = {f"{usage}_key": keys.published_form(usage) for usage in USAGES}
        await call_with_password(client, "POST", UPLOAD_KEYS, body, password)
        log.info("Matrix: cross-signing keys of %s published", user_id)
        published = await published_keys(client)
    return await _sign_device(client, keys, published, device_id)


async def _sign_device(
    client: AsyncClient, keys: CrossSigningKeys, published: PublishedKeys, device_id: str
) -> bool:
    """Upload the self-signing key's signature of the device, unless it is there already."""
    user_id = keys.user_id
    device = published.devices.get(device_id)
    if not isinstance(device, dict):
        log.warning("Matrix: device %s has no published keys yet: not cross-signed", device_id)
        return False
    signature_id = f"{ED25519}:{keys.public('self_signing')}"
    if signature_id in (device.get("signatures") or {}).get(user_id, {}):
        return True
    signed = sign_json(
        {k: v for k, v in device.items() if k != "unsigned"}, user_id, keys.self_signing
    )
    answer = await call(client, "POST", UPLOAD_SIGNATURES, {user_id: {device_id: signed}})
    failures = answer.get("failures") or {}
    if failures:
        raise CallFailed("signing the device", 200, {"error": failures})
    log.info("Matrix: device %s cross-signed by %s", device_id, user_id)
    return True
