"""The web server (aiohttp): health, the public mission board and the forum's webhooks."""

from __future__ import annotations

from aiohttp import web

from bot.app import Tremplin
from bot.board import Board, add_board_routes
from bot.config import Secrets
from bot.connectors.discourse.webhook import add_webhook_route
from bot.health import Health

HEALTH_KEY = web.AppKey("health", Health)


async def healthz(request: web.Request) -> web.Response:
    health = request.app[HEALTH_KEY]
    return web.json_response(health.snapshot(), status=200 if health.ok else 503)


def make_app(tremplin: Tremplin, secrets: Secrets) -> web.Application:
    app = web.Application(client_max_size=1024 * 1024)
    app[HEALTH_KEY] = tremplin.health
    app.router.add_get("/healthz", healthz)
    add_board_routes(app, Board.of(tremplin))  # GET /missions, .json, .atom
    add_webhook_route(app, tremplin, secrets)  # POST /webhooks/discourse
    return app


async def start_web(tremplin: Tremplin, secrets: Secrets) -> web.AppRunner:
    app = make_app(tremplin, secrets)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, tremplin.config.web.host, tremplin.config.web.port)
    await site.start()
    return runner
