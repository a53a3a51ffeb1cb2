"""Mission fields written as `clé: valeur` lines, in French or English, validated one by one."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from commands.converters import NO, YES
from commands.identities import parse_identity
from commands.skills import Taxonomy
from commands.text import fold
from storage.enums import Commitment, MissionStatus, Sensitivity

E = TypeVar("E", bound=StrEnum)

KEYS = {
    "titre": "title",
    "title": "title",
    "resume": "summary",
    "summary": "summary",
    "description": "description",
    "competences": "skills",
    "competence": "skills",
    "skills": "skills",
    "porte": "entry_door",
    "porte d'entree": "entry_door",
    "entry_door": "entry_door",
    "entry door": "entry_door",
    "sensibilite": "sensitivity",
    "sensitivity": "sensitivity",
    "engagement": "commitment",
    "commitment": "commitment",
    "duree": "effort",
    "effort": "effort",
    "coordination": "coordinators",
    "coordinateurs": "coordinators",
    "coordinators": "coordinators",
    "statut": "status",
    "status": "status",
    "ref": "ref",
}
SENSITIVITY_WORDS = {
    Sensitivity.PUBLIC: {"public", "publique"},
    Sensitivity.INTERNAL: {"internal", "interne"},
    Sensitivity.CONFIDENTIAL: {"confidential", "confidentiel", "confidentielle"},
}
COMMITMENT_WORDS = {
    Commitment.ONE_OFF: {"one-off", "oneoff", "ponctuel", "ponctuelle", "ponctuel·le", "unique"},
    Commitment.RECURRING: {"recurring", "recurrent", "recurrente", "regulier", "reguliere"},
}
STATUS_WORDS = {
    MissionStatus.DRAFT: {"draft", "brouillon"},
    MissionStatus.OPEN: {"open", "ouverte", "ouvert"},
    MissionStatus.FILLED: {"filled", "pourvue", "pourvu"},
    MissionStatus.CLOSED: {"closed", "fermee", "ferme", "close"},
}
LIMITS = {"title": 200, "summary": 500, "description": 8000, "effort": 80, "ref": 120}
_LINE = re.compile(r"^\s*([\w' ]{2,30}?)\s*:\s?(.*)$")


@dataclass(frozen=True)
class FieldProblem(Exception):
    """A field that can't be used: its name as written, and a catalogue key."""

    field: str
    key: str
    value: str = ""


@dataclass(frozen=True)
class ParsedFields:
    values: dict[str, Any]
    unknown_skills: tuple[str, ...]


MULTILINE = {"description", "summary"}


def split_lines(text: str) -> list[tuple[str, str, str]]:
    """(key as written, canonical field, raw value), one per `clé: valeur` line.

    Only free-text fields (description, summary) go on over the following lines; anywhere
    else a line that is not a known field is a problem to name.
    """
    entries: list[tuple[str, str, str]] = []
    for line in text.splitlines():
        match = _LINE.match(line)
        canonical = KEYS.get(fold(match.group(1)).strip()) if match else None
        if match and canonical:
            entries.append((match.group(1).strip(), canonical, match.group(2)))
        elif entries and entries[-1][1] in MULTILINE:
            written, previous, value = entries[-1]
            entries[-1] = (written, previous, f"{value}\n{line}")
        elif match:
            raise FieldProblem(match.group(1).strip(), "fields.unknown_key")
        elif line.strip():
            raise FieldProblem(line.strip()[:40], "fields.not_a_field")
    return entries


def _choice(written: str, value: str, words: Mapping[E, set[str]]) -> E:
    folded = fold(value.strip())
    for choice, spellings in words.items():
        if folded in {fold(s) for s in spellings}:
            return choice
    raise FieldProblem(written, "fields.bad_choice", value.strip())


def _list(value: str) -> list[str]:
    return [item.strip() for item in re.split(r"[,;\n]", value) if item.strip()]


def parse_fields(text: str, taxonomy: Taxonomy) -> ParsedFields:
    """Every field in `text`, converted and checked; the first bad one raises FieldProblem."""
    values: dict[str, Any] = {}
    unknown: list[str] = []
    for written, name, raw in split_lines(text):
        value = raw.strip()
        if name in LIMITS and len(value) > LIMITS[name]:
            raise FieldProblem(written, "fields.too_long", str(LIMITS[name]))
        if name in ("title", "effort", "summary") and "\n" in value:
            value = " ".join(value.split())
        if name == "title" and not value:
            raise FieldProblem(written, "fields.empty")
        if name == "skills":
            tags = []
            for item in _list(value):
                tag, known = taxonomy.normalise(item)
                if tag and tag not in tags:
                    tags.append(tag)
                    if not known:
                        unknown.append(tag)
            values[name] = tags
        elif name == "coordinators":
            people = []
            for person in (p.lstrip() for p in re.split(r"[,;\s]+", value) if p):
                identity = parse_identity(person)
                if identity is None:
                    raise FieldProblem(written, "fields.bad_identity", person)
                people.append(str(identity))
            values[name] = people
        elif name == "entry_door":
            folded = fold(value)
            if folded not in YES | NO:
                raise FieldProblem(written, "fields.bad_yes_no", value)
            values[name] = folded in YES
        elif name == "sensitivity":
            values[name] = _choice(written, value, SENSITIVITY_WORDS)
        elif name == "commitment":
            values[name] = _choice(written, value, COMMITMENT_WORDS)
        elif name == "status":
            values[name] = _choice(written, value, STATUS_WORDS)
        else:
            values[name] = value or None if name == "ref" else value
    return ParsedFields(values, tuple(unknown))
