"""Who a command names: the one way to read a person, the same on every platform.

A person is written the way each client writes people: a full identity (`@alice:example.org`,
`discourse:alice`, `console:alice`), a Matrix pill (the display name in the text, the id in
the link beside it) or mention, a forum `@name`, a terminal name, or the name of someone in
the room. When several people in the room have that name, the reply lists them and asks which
one was meant.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import NewType
from urllib.parse import unquote

from commands.context import IncomingMessage
from commands.errors import BadArgument
from commands.identities import (
    CONSOLE,
    DISCOURSE,
    MATRIX,
    Identity,
    parse_identity,
    safe_forum_username,
)
from commands.text import QUOTES, echo, fold, next_token, user_text

Person = NewType("Person", str)  # an identity, as stored: `@alice:example.org`, `discourse:alice`

MAX_NAME_WORDS = 6  # a display name longer than this is written as a pill or an identity
MAX_LISTED = 10  # namesakes listed when a name is ambiguous; more, and a pill is the way
_WORD = re.compile(r"\S+")
# A link to a person as Matrix clients write it (https://matrix.to/#/@alice:example.org, maybe
# percent-encoded, maybe with ?via=…), or as a `matrix:` URI (matrix:u/alice:example.org).
_MATRIX_TO = re.compile(r"https?://matrix\.to/#/(@[^/?#\s]+)(?:\?\S*)?", re.IGNORECASE)
_MATRIX_URI = re.compile(r"matrix:(?://[^/]*/)?u/([^/?#\s]+)(?:\?\S*)?", re.IGNORECASE)
# Identities that can be shown as code, to be copied as they are (no backtick can end the code
# early): the Matrix ids Synapse lets people register, forum and terminal names.
_COPYABLE = re.compile(
    r"@[a-z0-9._=\-/+]+:[A-Za-z0-9.\-]+(?::[0-9]{1,5})?|(?:discourse|console):[\w.\-]+"
)


class AmbiguousPerson(BadArgument):
    """A name several people in the room have: the reply lists them and asks which one."""


def to_person(token: str) -> Person:
    """A person from one word, when nothing else is known about the message."""
    identity = identity_in(token)
    if identity is None:
        raise BadArgument("error.not_a_person", value=echo(token))
    return Person(identity)


def read_person(text: str, message: IncomingMessage) -> tuple[Person, str]:
    """The person named at the start of `text` (the command's arguments), and what follows.

    In this order: a pill at that place (or the localpart of someone in `m.mentions`); a full
    identity or a link to a Matrix user; a forum `@name` on the forum; the name of someone in
    the room (`m.mentions` settles a name several people have); a plain name on the forum or
    the terminal.
    """
    start = text.lstrip()
    pills = _names(
        [(m.label, m.identity) for m in message.mentions if m.label]
        + [(_localpart(m.identity), m.identity) for m in message.mentions]
    )
    named = _named_at_start(start, pills)
    if named is not None:
        candidates, rest = named
        return Person(candidates[0]), rest  # the first pill with that name is the one here
    token, rest = next_token(start)
    if token is None:
        raise BadArgument("error.not_a_person", value="")
    identity = identity_in(token)
    if identity is not None:
        return Person(identity), rest
    platform = message.place.platform
    if platform == DISCOURSE and token.startswith("@"):
        username = safe_forum_username(token[1:].rstrip(":,"))
        if username is not None:
            return Person(str(Identity(DISCOURSE, username.lower()))), rest
    members = dict(message.members()) if message.members is not None else {}
    named = _member_named_at_start(start, members)
    if named is not None:
        candidates, rest = named
        return Person(_one_of(candidates, message, members, start[: len(start) - len(rest)])), rest
    plain = token.removeprefix("@").rstrip(":,")
    if platform == CONSOLE and _WORD.fullmatch(plain) and ":" not in plain:
        return Person(str(Identity(CONSOLE, plain))), rest
    if platform == DISCOURSE and (username := safe_forum_username(plain)) is not None:
        return Person(str(Identity(DISCOURSE, username.lower()))), rest
    raise BadArgument("error.not_a_person", value=echo(token))


def identity_in(token: str) -> str | None:
    """The identity a single word is: written in full, or a link to a Matrix user."""
    parsed = parse_identity(token)
    if parsed is not None:
        return str(parsed)
    decoded = unquote(token.rstrip(":,"))
    for pattern, prefix in ((_MATRIX_TO, ""), (_MATRIX_URI, "@")):
        link = pattern.fullmatch(decoded)
        if link is not None:
            parsed = parse_identity(prefix + link.group(1))
            if parsed is not None and parsed.platform == MATRIX:
                return str(parsed)
    return None


def shown_identity(identity: str) -> str:
    """An identity in a reply: as code when it can be copied as it is, else as harmless text."""
    return f"`{identity}`" if _COPYABLE.fullmatch(identity) else user_text(identity)


def _one_of(
    candidates: Sequence[str], message: IncomingMessage, members: Mapping[str, str], name: str
) -> str:
    """The one person a name means, or an `AmbiguousPerson` listing who it could be."""
    if len(candidates) == 1:
        return candidates[0]
    mentioned = {mention.identity for mention in message.mentions}
    chosen = [identity for identity in candidates if identity in mentioned]
    if len(chosen) == 1:
        return chosen[0]
    lines = [
        f"- {echo(members.get(identity) or identity)} : {shown_identity(identity)}"
        for identity in sorted(candidates)[:MAX_LISTED]
    ]
    if len(candidates) > MAX_LISTED:
        lines.append("- …")
    raise AmbiguousPerson("people.which_one", name=echo(name.strip()), candidates="\n".join(lines))


def _localpart(identity: str) -> str:
    """`alice` for `@alice:example.org` (and "" for anything else)."""
    return identity[1:].split(":", 1)[0] if identity.startswith("@") else ""


def _member_names(members: Mapping[str, str]) -> Iterable[tuple[str, str]]:
    """Each member's display name, and the localpart of their Matrix id."""
    for identity, display_name in members.items():
        if display_name:
            yield display_name, identity
        if localpart := _localpart(identity):
            yield localpart, identity


def _name_key(phrase: str) -> str:
    """A name as compared: folded, spaces made single, without `@` before or `:`/`,` after."""
    folded = phrase.lower() if phrase.isascii() else fold(phrase)  # the same, sooner
    return " ".join(folded.split()).removeprefix("@").rstrip(":,").strip()


def _first_letter(name: str) -> str:
    """The first letter of `_name_key(name)`, cheaply ("" when unsure: then compare it all)."""
    first = name.lstrip().removeprefix("@").lstrip()[:1]
    letter = first.lower() if first.isascii() else fold(first)[:1]
    return letter if letter.isalnum() else ""


def _names(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """name key → the identities with that name, in the order they came, once each."""
    table: dict[str, list[str]] = {}
    for name, identity in pairs:
        key = _name_key(name)
        if key and identity not in table.setdefault(key, []):
            table[key].append(identity)
    return table


def _phrases(text: str) -> dict[str, str]:
    """The names `text` may start with (its first words, or a quoted phrase), as name keys,
    each with the rest of `text` after it."""
    if not text:
        return {}
    if text[0] in QUOTES:
        phrase, rest = next_token(text)
        key = _name_key(phrase or "")
        return {key: rest} if key else {}
    phrases: dict[str, str] = {}
    for match in itertools.islice(_WORD.finditer(text), MAX_NAME_WORDS):
        key = _name_key(text[: match.end()])
        if key:
            phrases[key] = text[match.end() :]  # "Alice ," reads as far as "Alice"
    return phrases


def _longest(found: Mapping[str, list[str]], phrases: Mapping[str, str]) -> tuple[list[str], str]:
    """Of the names found at the start of the text, the one that reads the most of it."""
    key = min(found, key=lambda name: len(phrases[name]))
    return found[key], phrases[key]


def _named_at_start(text: str, names: Mapping[str, list[str]]) -> tuple[list[str], str] | None:
    """The longest name of `names` that `text` starts with (whole words, or a quoted phrase),
    with the identities it names and the rest of `text`."""
    phrases = _phrases(text) if names else {}
    found = {key: names[key] for key in phrases if key in names}
    return _longest(found, phrases) if found else None


def _member_named_at_start(text: str, members: Mapping[str, str]) -> tuple[list[str], str] | None:
    """Like `_named_at_start` over the room's members, folding only the names that could match
    (a room may have thousands of members; the loop must not wait on them)."""
    phrases = _phrases(text) if members else {}
    if not phrases:
        return None
    firsts = {key[:1] for key in phrases}
    found: dict[str, list[str]] = {}
    for name, identity in _member_names(members):
        first = _first_letter(name)
        if first and first not in firsts:
            continue
        key = _name_key(name)
        if key in phrases and identity not in found.setdefault(key, []):
            found[key].append(identity)
    return _longest(found, phrases) if found else None
