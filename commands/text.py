"""Text safety and small text tools, for commands and connectors alike: folding, the
mention guard, people's words in Markdown, quote-aware tokens, commands inside posts."""

from __future__ import annotations

import re
import unicodedata
from enum import Enum

QUOTES = {'"': '"', "«": "»", "“": "”"}
_SPACES = re.compile(r"\s+")
# Bidirectional overrides and other invisible format characters can disguise a command.
_FORMAT_CHARACTERS = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
# Letters NFKD keeps whole, spelled as people type them without the keyboard for them.
_WHOLE_LETTERS = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d", "ð": "d"})


def fold(text: str) -> str:
    """Lowercase without accents: `Compétences` → `competences`."""
    return _without_accents(text.casefold())


def fold_letters(text: str) -> str:
    """`fold`, and the letters it keeps whole as well (œ → oe, æ → ae, ø → o, ł → l, đ and
    ð → d), for matching skills: "Réseaux Œuvre" → "reseaux oeuvre"."""
    return _without_accents(text.casefold().translate(_WHOLE_LETTERS))


def _without_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
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


MENTION_GUARD = "\u2060"  # a word joiner: invisible, and "@⁠name" is no longer a mention
# Where Discourse sees a mention starting: an "@" after a space, a punctuation mark, a symbol or
# nothing (discourse-markdown-it's text-post-process.js, `allowedBoundary`).
_FORUM_MENTION = r"(?<![^\W_])@"


class Mentions(Enum):
    """Which `@` `no_mentions` guards: each platform reads mentions its own way."""

    # Every "@" before a letter, digit or "_": for people's own words, wherever they go.
    EVERY = re.compile(r"@(?=\w)")
    # Where Discourse sees one: "@name" right after a space, a punctuation mark, a symbol or
    # nothing; an e-mail address ("contact@mla.org") stays intact.
    FORUM = re.compile(_FORUM_MENTION + r"(?=\w)")
    # The words that notify a whole Matrix room; people are mentioned by `m.mentions` only,
    # so Matrix ids written by the bot stay intact (and copyable).
    ROOM = re.compile(r"(?<!\w)@(?=(?:room|everyone|here|channel)\b)", re.IGNORECASE)


def no_mentions(text: str, which: Mentions = Mentions.EVERY) -> str:
    """`text` where no `@` notifies anybody: a word joiner follows each one that could
    (see `Mentions`). It reads the same; `unguarded` removes the joiners for plain text."""
    return which.value.sub("@" + MENTION_GUARD, text)


def mentions(text: str, username: str) -> bool:
    """True when `text` mentions `username` as the forum sees it (case ignored)."""
    name = re.escape(username)
    return re.search(_FORUM_MENTION + name + r"(?![\w.-])", text, re.IGNORECASE) is not None


def unguarded(text: str) -> str:
    """`text` without the mention guards, where nothing can notify (a terminal, a chart)."""
    return text.replace(MENTION_GUARD, "")


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~>])")


def echo(text: str, limit: int = 80) -> str:
    """A short piece of someone's input quoted back in a reply: one line, cut, harmless."""
    return user_text(one_line(text, limit))


def user_text(text: str) -> str:
    """Someone's own words, safe to put in a Markdown reply: no markup, no mention.

    Markdown characters are escaped, and every `@` before a word gets the mention guard, so
    `@room`, `@everyone` or `@alice` never notify anybody.
    """
    return no_mentions(_MARKDOWN_SPECIAL.sub(r"\\\1", text))


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
