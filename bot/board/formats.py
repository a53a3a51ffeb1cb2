"""The board's representations: each one's media type, renderer, and who may read it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.board.context import Context
from bot.board.feeds import render_atom, render_json
from bot.board.html_page import render_html
from bot.board.snapshot import Snapshot


@dataclass(frozen=True)
class Format:
    """One representation of the board."""

    content_type: str
    render: Callable[[Snapshot, Context], bytes]
    cross_origin: bool = False  # data formats may be read by the association's own site


FORMATS = {
    "html": Format("text/html", render_html),
    "json": Format("application/json", render_json, cross_origin=True),
    "atom": Format("application/atom+xml", render_atom, cross_origin=True),
}
