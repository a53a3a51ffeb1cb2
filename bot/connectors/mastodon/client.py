"""Mastodon's `POST /api/v1/statuses`, on one aiohttp session."""

from __future__ import annotations

import hashlib
from typing import Any

import aiohttp

from commands.ports import PortError

PLATFORM = "mastodon"
TIMEOUT = aiohttp.ClientTimeout(total=30)


class MastodonClient:
    """One instance, one account (its access token)."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def post_status(self, text: str, language: str) -> dict[str, Any]:
        """Post a public status; the Idempotency-Key makes a retried request publish once.

        Raises `PortError` when the instance refuses the status or can't be reached.
        """
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Idempotency-Key": hashlib.sha256(text.encode()).hexdigest(),
        }
        payload = {"status": text, "visibility": "public", "language": language}
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT)
        try:
            async with self._session.post(
                f"{self.url}/api/v1/statuses", json=payload, headers=headers
            ) as response:
                try:
                    body = await response.json(content_type=None)
                except ValueError:  # a proxy's error page, say
                    body = None
                if response.status >= 400:
                    reason = body.get("error") if isinstance(body, dict) else None
                    # 429 and 5xx may pass later; any other 4xx will not.
                    refused = response.status < 500 and response.status != 429
                    detail = f"{response.status}: {reason or 'refused'}"
                    raise PortError(PLATFORM, detail, refused=refused)
                return body if isinstance(body, dict) else {}
        except (aiohttp.ClientError, TimeoutError) as error:
            raise PortError(PLATFORM, f"unreachable: {type(error).__name__}") from None


async def post_status(url: str, token: str, text: str, language: str) -> dict[str, Any]:
    """One status, on a session of its own."""
    client = MastodonClient(url, token)
    try:
        return await client.post_status(text, language)
    finally:
        await client.close()
