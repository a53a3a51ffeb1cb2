"""Who someone is on which platform: `@alice:example.org`, `discourse:alice`, `console:alice`."""

from __future__ import annotations

import re
from dataclasses import dataclass

MATRIX = "matrix"
DISCOURSE = "discourse"
CONSOLE = "console"

_MATRIX_USER = re.compile(r"@[^\s:]+:\S+")
_PREFIXED = re.compile(rf"({DISCOURSE}|{CONSOLE}):(\S+)")
# A forum username that can be written after "@" and in `target_recipients` as it is: what
# Discourse mentions (features/mentions.js: a word character, then also "." and "-" inside).
_FORUM_USERNAME = re.compile(r"\w(?:[\w.\-]*\w)?")


@dataclass(frozen=True)
class Identity:
    """One person on one platform; `str()` gives the identity as it is stored."""

    platform: str
    name: str  # the Matrix user id itself, else the name after the platform's prefix

    def __str__(self) -> str:
        return self.name if self.platform == MATRIX else f"{self.platform}:{self.name}"


def parse_identity(text: str) -> Identity | None:
    """The identity that `text` is, as a whole, or None.

    Forum usernames ignore case, so a forum identity is lowercase (`discourse:Alice` is
    `discourse:alice`); Matrix ids and terminal names are kept as written.
    """
    if _MATRIX_USER.fullmatch(text):
        return Identity(MATRIX, text)
    prefixed = _PREFIXED.fullmatch(text)
    if prefixed is None:
        return None
    platform, name = prefixed.groups()
    return Identity(platform, name.lower() if platform == DISCOURSE else name)


def is_matrix_user(text: str) -> bool:
    """True for a Matrix user id (`@alice:example.org`)."""
    return _MATRIX_USER.fullmatch(text) is not None


def forum_identity(username: str) -> str:
    """The identity of a forum member: `discourse:alice` for Alice."""
    return str(Identity(DISCOURSE, username.lower()))


def forum_username(identity: str) -> str | None:
    """The forum username of a forum identity ("discourse:alice" → "alice"), when it can be
    written after "@" and among a private message's recipients as it is; else None."""
    parsed = parse_identity(identity)
    if parsed is None or parsed.platform != DISCOURSE:
        return None
    return safe_forum_username(parsed.name)


def safe_forum_username(username: str | None) -> str | None:
    """`username` when it can be written after "@" and among recipients as it is, else None."""
    return username if username and _FORUM_USERNAME.fullmatch(username) else None
