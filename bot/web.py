"""The web server (aiohttp): health and, later, the public mission board and webhooks."""

from __future__ import annotations

from aiohttp import web

from bot.app import Tremplin
from bot.config import Secrets

TREMPLIN_KEY = web.AppKey("tremplin", Tremplin)
HEALTH_KEY = web.AppKey("health", dict)


async def healthz(request: web.Request) -> web.Response:
    health: dict[str, object] = dict(request.app[HEALTH_KEY])
    ok = all(part.get("ok", True) for part in health.values() if isinstance(part, dict))
    return web.json_response({"ok": ok, "parts": health}, status=200 if ok else 503)


def make_app(tremplin: Tremplin, secrets: Secrets) -> web.Application:
    app = web.Application(client_max_size=1024 * 1024)
    app[TREMPLIN_KEY] = tremplin
    app[HEALTH_KEY] = {}
    app.router.add_get("/healthz", healthz)
    return app


async def start_web(tremplin: Tremplin, secrets: Secrets) -> web.AppRunner:
    app = make_app(tremplin, secrets)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, tremplin.config.web.host, tremplin.config.web.port)
    await site.start()
    return runner
