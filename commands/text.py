"""Small text tools shared by the parser and the handlers: folding, quote-aware tokens."""

from __future__ import annotations

import re
import unicodedata

QUOTES = {'"': '"', "«": "»", "“": "”"}
_SPACES = re.compile(r"\s+")
# Bidirectional overrides and other invisible format characters can disguise a command.
_FORMAT_CHARACTERS = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def fold(text: str) -> str:
    """Lowercase without accents: `Compétences` → `competences`."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def clean(text: str) -> str:
    """Drop invisible format characters and control characters except newlines and tabs."""
    text = _FORMAT_CHARACTERS.sub("", text)
    return "".join(c for c in text if c in "\n\t" or unicodedata.category(c) != "Cc")


def next_token(text: str) -> tuple[str | None, str]:
    """The first word (or quoted phrase) of `text` and what follows it, untouched."""
    stripped = text.lstrip()
    if not stripped:
        return None, ""
    opening = stripped[0]
    if opening in QUOTES:
        end = stripped.find(QUOTES[opening], 1)
        if end != -1:
            return stripped[1:end].strip(), stripped[end + 1 :]
    match = _SPACES.search(stripped)
    if match is None:
        return stripped, ""
    return stripped[: match.start()], stripped[match.start() :]


def one_line(text: str, limit: int = 120) -> str:
    """`text` on one line, cut at `limit` characters with an ellipsis."""
    flat = _SPACES.sub(" ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


_MENTION = re.compile(r"@(?=\w)")


def no_mentions(text: str) -> str:
    """Plain text where no `@word` can mention anybody (a word joiner follows each `@`)."""
    return _MENTION.sub("@\u2060", text)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~>])")


def echo(text: str, limit: int = 80) -> str:
    """A short piece of someone's input quoted back in a reply: one line, cut, harmless."""
    return user_text(one_line(text, limit))


def user_text(text: str) -> str:
    """Someone's own words, safe to put in a Markdown reply: no markup, no mention.

    Markdown characters are escaped, and every `@` that starts a word gets a zero-width
    joiner after it, so `@room`, `@everyone` or `@alice` never notify anybody.
    """
    return _MENTION.sub("@\u2060", _MARKDOWN_SPECIAL.sub(r"\\\1", text))


_QUOTE_BLOCK = re.compile(r"\[quote[^\]]*\].*?\[/quote\]", re.DOTALL | re.IGNORECASE)


def without_quotes(text: str) -> str:
    """The text without forum quotes (`[quote=…]…[/quote]`) or Markdown `>` quote lines."""
    text = _QUOTE_BLOCK.sub("", text)
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(">"))


_FIELD_LINE = re.compile(r"^\s*[\w' ]{2,30}\s*:")


def find_commands(text: str) -> list[str]:
    """The commands in a longer post: each line starting with `!` (quotes excluded), with the
    `clé: valeur` lines that follow it; any other line ends the command."""
    found: list[list[str]] = []
    current: list[str] | None = None
    for line in without_quotes(text).splitlines():
        stripped = line.strip()
        if stripped.startswith("!") and len(stripped) > 1:
            current = [stripped]
            found.append(current)
        elif current is not None and _FIELD_LINE.match(line):
            current.append(line)
        else:
            current = None
    return ["\n".join(lines) for lines in found]
