"""The one renderer: the brain's Markdown to sanitised HTML, or to plain text."""

from __future__ import annotations

import re
from functools import cache

import nh3
from markdown_it import MarkdownIt

from commands.text import unguarded

ALLOWED_TAGS = {"p", "br", "strong", "em", "code", "pre", "ul", "ol", "li", "a", "blockquote"}
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()<>#+!|~>.-])")


@cache
def _markdown() -> MarkdownIt:
    # No raw HTML from anyone; soft line breaks become <br>, so lists of `#N title` stay lines.
    return MarkdownIt("commonmark", {"html": False, "breaks": True}).disable("image")


def to_html(markdown: str) -> str:
    """Sanitised HTML for Matrix's `formatted_body` and the forum."""
    html = _markdown().render(markdown)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"https", "http", "mailto"},
        link_rel="noopener noreferrer",
    ).strip()


def to_plain(markdown: str, *, keep_mention_guards: bool = False) -> str:
    """Readable plain text: the terminal, Matrix's `body` (which keeps the mention guards of
    `commands.text.no_mentions`)."""
    text = _ESCAPE.sub(r"\1", markdown.replace("**", "").replace("`", ""))
    return text if keep_mention_guards else unguarded(text)
