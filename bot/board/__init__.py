"""The public mission board: `/missions` as HTML, JSON and Atom, and each mission's own page
(`/missions/N`), public open missions only.

How a request flows: `routes` (HTTP, 304s) → `service.Board` (the page `cache`, else a
`snapshot` read through `storage.board`, put in a `context`) → a renderer from `formats`
(`html_page` for HTML, `feeds` for JSON and Atom, sharing `markup`).
"""

from bot.board.cache import RECHECK_SECONDS
from bot.board.routes import BOARD_KEY, add_board_routes
from bot.board.service import Board, BoardSettings

__all__ = ["BOARD_KEY", "RECHECK_SECONDS", "Board", "BoardSettings", "add_board_routes"]
