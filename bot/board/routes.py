"""The board over HTTP: `GET /missions`, `/missions.json`, `/missions.atom`, with 304s."""

from __future__ import annotations

from aiohttp import web

from bot.board.cache import Rendered
from bot.board.formats import FORMATS
from bot.board.languages import requested_language
from bot.board.service import Board

BOARD_KEY = web.AppKey("board", Board)
COMMON_HEADERS = {
    "Cache-Control": "public, max-age=60",
    "Vary": "Accept-Language",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # Embeddable anywhere (frame-ancestors *), but the page itself loads nothing from outside.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors *"
    ),
}


def is_fresh(request: web.Request, rendered: Rendered) -> bool:
    """The visitor's copy (If-None-Match) is this one.

    No Last-Modified: closing the newest mission would move the newest change back in time,
    and a client asking If-Modified-Since would keep a board that still shows it.
    """
    tags = request.if_none_match or ()
    return any(tag.value in (rendered.etag, "*") for tag in tags)


async def serve(request: web.Request, kind: str) -> web.Response:
    """The board as `kind` (html, json, atom) in the visitor's language; 304 if theirs is fresh."""
    board = request.app[BOARD_KEY]
    language = requested_language(
        request.query.get("lang"), request.headers.get("Accept-Language", "")
    )
    base = board.settings.public_base or str(request.url.origin())
    rendered = await board.page(kind, language, base)
    headers = {**COMMON_HEADERS, "Content-Language": language}
    if FORMATS[kind].cross_origin:
        headers["Access-Control-Allow-Origin"] = "*"
    if is_fresh(request, rendered):
        response = web.Response(status=304, headers=headers)
    else:
        response = web.Response(
            body=rendered.body,
            content_type=FORMATS[kind].content_type,
            charset="utf-8",
            headers=headers,
        )
    response.etag = rendered.etag
    return response


async def missions_page(request: web.Request) -> web.Response:
    return await serve(request, "html")


async def missions_json(request: web.Request) -> web.Response:
    return await serve(request, "json")


async def missions_atom(request: web.Request) -> web.Response:
    return await serve(request, "atom")


def add_board_routes(app: web.Application, board: Board) -> None:
    """Serve `board` on `app`; it stops listening to its database when the app is cleaned up."""
    app[BOARD_KEY] = board

    async def stop_listening(_app: web.Application) -> None:
        board.close()

    app.on_cleanup.append(stop_listening)
    app.router.add_get("/missions", missions_page)
    app.router.add_get("/missions.json", missions_json)
    app.router.add_get("/missions.atom", missions_atom)
