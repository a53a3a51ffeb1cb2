"""The bot's Markdown as the forum gets it: no mention but the member it answers."""

from __future__ import annotations

import re

WORD_JOINER = "\u2060"
USERNAME = re.compile(r"^[\w.\-]+$")
# Where Discourse sees a mention: "@" starting a word, not inside an address or a URL.
_LIVE_MENTION = re.compile(r"(?<![\w@/.`])@(?=\w)")


def safe_username(username: str | None) -> str | None:
    """`username` when it can be written after "@" as is, else None."""
    return username if username and USERNAME.match(username) else None


def silence_mentions(markdown: str) -> str:
    """Every "@name" becomes "@⁠name" (a word joiner after "@"): it reads the same, notifies
    nobody. Mission titles (@font-face), Matrix ids (@coord:example.org) and quoted words
    (@everyone) all pass through here."""
    return _LIVE_MENTION.sub("@" + WORD_JOINER, markdown)


def reply_body(username: str | None, replies: list[str]) -> str:
    """One forum post for the brain's replies, mentioning only the member answered."""
    text = silence_mentions("\n\n".join(replies))
    member = safe_username(username)
    return f"@{member} {text}" if member else text
