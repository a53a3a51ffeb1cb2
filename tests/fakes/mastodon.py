"""A fake Mastodon instance: `POST /api/v1/statuses` as the real API answers it."""

# Modelled on mastodon/mastodon: `Api::BaseController` (a refused token is a 401 and an invalid
# status a 422, each `{"error": …}`), `StatusLengthValidator` (the `config.x.max_chars` limit, 500
# here) and `PostStatusService#with_idempotency` (an Idempotency-Key returns the first status;
# Mastodon forgets the key after an hour, this fake never does).

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class FakeMastodon:
    """Accepts statuses for one token; remembers them; honours Idempotency-Key."""

    token: str = "masto-token"
    statuses: list[dict[str, Any]] = field(default_factory=list)
    by_key: dict[str, dict[str, Any]] = field(default_factory=dict)
    fail_with: int | None = None
    _runner: web.AppRunner | None = None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(109_000))
    url: str = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/api/v1/statuses", self.post_status)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def post_status(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"error": "The access token is invalid"}, status=401)
        if self.fail_with is not None:
            return web.json_response({"error": "Validation failed"}, status=self.fail_with)
        payload = await request.json()
        text = str(payload.get("status", ""))
        if not text:  # Status: `validates :text, presence: true` (no media here)
            return web.json_response(
                {"error": "Validation failed: Text can't be blank"}, status=422
            )
        if len(text) > 500:
            return web.json_response(
                {"error": "Validation failed: Text character limit of 500 exceeded"}, status=422
            )
        key = request.headers.get("Idempotency-Key")
        if key and key in self.by_key:
            return web.json_response(self.by_key[key])
        status_id = str(next(self._ids))
        status = {
            "id": status_id,
            "url": f"{self.url}/@mla/{status_id}",
            "content": f"<p>{text}</p>",
            "visibility": payload.get("visibility", "public"),
            "language": payload.get("language"),
        }
        self.statuses.append({**status, "text": text})
        if key:
            self.by_key[key] = status
        return web.json_response(status)
