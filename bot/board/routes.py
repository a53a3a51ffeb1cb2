"""The board over HTTP: `GET /missions`, `/missions.json`, `/missions.atom`, and one mission's
page `/missions/N`, with 304s."""

from __future__ import annotations

from aiohttp import web

from bot.board.cache import Rendered
from bot.board.formats import FORMATS
from bot.board.languages import requested_language
from bot.board.service import Board
from commands.channels import SOURCES

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


def language_and_base(request: web.Request, board: Board) -> tuple[str, str]:
    """The visitor's language, and the address the board lives under."""
    language = requested_language(
        request.query.get("lang"), request.headers.get("Accept-Language", "")
    )
    base = board.settings.public_base or str(request.url.origin())
    return language, base


def respond(
    request: web.Request, rendered: Rendered, content_type: str, headers: dict[str, str]
) -> web.Response:
    """The page, or 304 when the visitor's copy is this one."""
    if is_fresh(request, rendered):
        response = web.Response(status=304, headers=headers)
    else:
        response = web.Response(
            body=rendered.body, content_type=content_type, charset="utf-8", headers=headers
        )
    response.etag = rendered.etag
    return response


async def serve(request: web.Request, kind: str) -> web.Response:
    """The board as `kind` (html, json, atom) in the visitor's language; 304 if theirs is fresh."""
    board = request.app[BOARD_KEY]
    language, base = language_and_base(request, board)
    rendered = await board.page(kind, language, base)
    headers = {**COMMON_HEADERS, "Content-Language": language}
    if FORMATS[kind].cross_origin:
        headers["Access-Control-Allow-Origin"] = "*"
    return respond(request, rendered, FORMATS[kind].content_type, headers)


async def mission_page(request: web.Request) -> web.Response:
    """`/missions/N`: one public open mission and how to join it; 404 for any other number.

    `?via=CODE` (a code `!stats` knows, such as API Engagement's) adds `!start CODE` to the
    steps; any other value is ignored.
    """
    board = request.app[BOARD_KEY]
    language, base = language_and_base(request, board)
    via = request.query.get("via", "").strip().lower()
    headers = {**COMMON_HEADERS, "Content-Language": language}
    rendered = await board.mission_page(
        int(request.match_info["number"]), language, base, via if via in SOURCES else None
    )
    if rendered is None:
        return web.Response(
            status=404,
            body=board.not_found_page(language, base),
            content_type="text/html",
            charset="utf-8",
            headers=headers,
        )
    return respond(request, rendered, "text/html", headers)


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
    app.router.add_get(r"/missions/{number:\d{1,9}}", mission_page)
