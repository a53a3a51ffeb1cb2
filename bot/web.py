"""The web server (aiohttp): health and, later, the public mission board and webhooks."""

from __future__ import annotations

from aiohttp import web

from bot.app import Tremplin
from bot.board import add_board_routes
from bot.config import Secrets
from bot.connectors.discourse.webhook import add_webhook_route

TREMPLIN_KEY = web.AppKey("tremplin", Tremplin)


async def healthz(request: web.Request) -> web.Response:
    health = request.app[TREMPLIN_KEY].health
    return web.json_response(health.snapshot(), status=200 if health.ok else 503)


def make_app(tremplin: Tremplin, secrets: Secrets) -> web.Application:
    app = web.Application(client_max_size=1024 * 1024)
    app[TREMPLIN_KEY] = tremplin
    app.router.add_get("/healthz", healthz)
    add_board_routes(app)
    add_webhook_route(app, tremplin, secrets)  # POST /webhooks/discourse
    return app


async def start_web(tremplin: Tremplin, secrets: Secrets) -> web.AppRunner:
    app = make_app(tremplin, secrets)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, tremplin.config.web.host, tremplin.config.web.port)
    await site.start()
    return runner
