"""Argument types a command may declare, and how each is read from the text."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NewType

from commands.context import IncomingMessage
from commands.errors import BadArgument
from commands.people import Person, read_person, to_person
from commands.text import echo, fold
from storage.enums import Trust

MissionNumber = NewType("MissionNumber", int)
Language = NewType("Language", str)
YesNo = NewType("YesNo", bool)

YES = {"oui", "o", "yes", "y", "true", "vrai", "on", "1"}
NO = {"non", "n", "no", "false", "faux", "off", "0"}
TRUST_WORDS = {
    Trust.NEWCOMER: {"newcomer", "nouveau", "nouvelle", "nouveau·elle", "nouveau-elle", "debutant"},
    Trust.CONFIRMED: {"confirmed", "confirme", "confirmee", "confirme·e", "confirme-e"},
    Trust.TRUSTED: {"trusted", "confiance", "de-confiance", "fiable"},
}
LANGUAGE_WORDS = {
    "fr": {"fr", "francais", "french", "français"},
    "en": {"en", "anglais", "english"},
}


def to_int(token: str) -> int:
    try:
        return int(token)
    except ValueError:
        raise BadArgument("error.not_a_number", value=echo(token)) from None


def to_mission_number(token: str) -> MissionNumber:
    digits = token.removeprefix("#").removeprefix("n°").removeprefix("N°")
    if not re.fullmatch(r"[0-9]{1,9}", digits):
        raise BadArgument("error.not_a_mission_number", value=echo(token))
    return MissionNumber(int(digits))


def _choice(token: str, words: dict[Any, set[str]], key: str) -> Any:
    folded = fold(token)
    for value, spellings in words.items():
        if folded in {fold(s) for s in spellings}:
            return value
    raise BadArgument(key, value=echo(token))


def to_trust(token: str) -> Trust:
    return _choice(token, TRUST_WORDS, "error.not_a_trust_level")  # type: ignore[no-any-return]


def to_language(token: str) -> Language:
    return Language(_choice(token, LANGUAGE_WORDS, "error.not_a_language"))


def to_yes_no(token: str) -> YesNo:
    return YesNo(_choice(token, {True: YES, False: NO}, "error.not_yes_no"))


CONVERTERS: dict[Any, Callable[[str], Any]] = {
    int: to_int,
    str: str,
    MissionNumber: to_mission_number,
    Person: to_person,
    Trust: to_trust,
    Language: to_language,
    YesNo: to_yes_no,
}

# Types whose words are read with the message in hand, as many words as they need: a person's
# display name may be several words, and a pill or the room's members say who it is.
Reader = Callable[[str, IncomingMessage], tuple[Any, str]]
READERS: dict[Any, Reader] = {Person: read_person}
