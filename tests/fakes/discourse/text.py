"""What the fake forum reads in a post's Markdown: mentions, quotes, links; slugs and cooking."""

from __future__ import annotations

import html
import re
import unicodedata

__all__ = [
    "collapse",
    "cook",
    "count_links",
    "extract_mentions",
    "extract_quotes",
    "ruby_split",
    "slugify",
]

_MENTION_RE = re.compile(r"(?<![\w@/.`])@([\w][\w.-]*[\w]|[\w])")
_QUOTE_BLOCK_RE = re.compile(r"\[quote=?([^\]]*)\](.*?)\[/quote\]", re.DOTALL | re.IGNORECASE)
_QUOTE_ATTR_RE = re.compile(r'"?\s*([^,"]+?)\s*,\s*post:\s*(\d+)\s*,\s*topic:\s*(\d+)')
_CODE_RE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)
_LINK_RE = re.compile(r"https?://[^\s)\]>]+")


def collapse(text: str) -> str:
    """Stripped, runs of whitespace collapsed: what Discourse's length validators measure
    (`StrippedLengthValidator`)."""
    return " ".join(text.split())


def slugify(text: str) -> str:
    """An ASCII slug, as `Slug.for` makes with the default `slug_generation_method: ascii`."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug or "topic"


def ruby_split(value: str) -> list[str]:
    """Ruby's `String#split(",")`: no trimming, trailing empty fields dropped."""
    parts = value.split(",")
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def _outside_quotes_and_code(raw: str) -> str:
    return _CODE_RE.sub(" ", _QUOTE_BLOCK_RE.sub(" ", raw))


def extract_mentions(raw: str) -> list[str]:
    """Lower-cased @names mentioned in a post, outside quotes and code (`Post#raw_mentions`,
    lib/pretty_text.rb `extract_mentions`)."""
    seen: dict[str, None] = {}
    for match in _MENTION_RE.finditer(_outside_quotes_and_code(raw)):
        seen.setdefault(match.group(1).lower(), None)
    return list(seen)


def extract_quotes(raw: str) -> list[tuple[str, int, int]]:
    """(username, post_number, topic_id) of each [quote="user, post:N, topic:T"]
    (`PostAlerter#extract_quoted_users` scans the same attribute)."""
    quotes = []
    for match in _QUOTE_BLOCK_RE.finditer(raw):
        attrs = _QUOTE_ATTR_RE.search(match.group(1))
        if attrs:
            quotes.append((attrs.group(1).lower(), int(attrs.group(2)), int(attrs.group(3))))
    return quotes


def count_links(raw: str) -> int:
    """Links in a post, as `PostAnalyzer#link_count` counts them for new users' limits."""
    return len(_LINK_RE.findall(_outside_quotes_and_code(raw)))


def _cook_paragraphs(text: str) -> str:
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    cooked = []
    for paragraph in paragraphs:
        escaped = html.escape(paragraph.strip(), quote=False)
        escaped = _MENTION_RE.sub(r'<a class="mention" href="/u/\1">@\1</a>', escaped)
        cooked.append("<p>" + escaped.replace("\n", "<br>\n") + "</p>")
    return "\n".join(cooked)


def cook(raw: str) -> str:
    """A small stand-in for Discourse's Markdown: paragraphs, mentions, quotes as <aside>."""
    parts: list[str] = []
    position = 0
    for match in _QUOTE_BLOCK_RE.finditer(raw):
        parts.append(_cook_paragraphs(raw[position : match.start()]))
        attrs = _QUOTE_ATTR_RE.search(match.group(1))
        data = ""
        if attrs:
            data = (
                f' data-username="{html.escape(attrs.group(1))}"'
                f' data-post="{attrs.group(2)}" data-topic="{attrs.group(3)}"'
            )
        inner = _cook_paragraphs(match.group(2))
        parts.append(f'<aside class="quote"{data}>\n<blockquote>\n{inner}\n</blockquote>\n</aside>')
        position = match.end()
    parts.append(_cook_paragraphs(raw[position:]))
    return "\n".join(part for part in parts if part)
