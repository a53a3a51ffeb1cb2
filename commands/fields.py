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


def split_list(value: str) -> list[str]:
    """`css, traduction; linux` → the items."""
    return [item.strip() for item in re.split(r"[,;\n]", value) if item.strip()]


def check_text(name: str, value: str, written: str | None = None) -> str:
    """A text field as the catalogue keeps it: within its limit, one line where a line is
    expected, a title never empty. The same rule for chat commands and catalogue files."""
    written = written or name
    if name in LIMITS and len(value) > LIMITS[name]:
        raise FieldProblem(written, "fields.too_long", str(LIMITS[name]))
    if name in ("title", "effort", "summary") and "\n" in value:
        value = " ".join(value.split())
    if name == "title" and not value:
        raise FieldProblem(written, "fields.empty")
    return value


def check_people(values: list[str], written: str = "coordinators") -> list[str]:
    """Coordinators as identities (`@alice:example.org`, `discourse:alice`), or the first one
    that isn't one."""
    people = []
    for person in values:
        identity = parse_identity(person.strip())
        if identity is None:
            raise FieldProblem(written, "fields.bad_identity", person)
        people.append(str(identity))
    return people


def check_yes_no(value: str, written: str = "entry_door") -> bool:
    folded = fold(value.strip())
    if folded not in YES | NO:
        raise FieldProblem(written, "fields.bad_yes_no", value)
    return folded in YES


def skill_tags(items: list[str], taxonomy: Taxonomy) -> tuple[list[str], list[str]]:
    """Canonical tags for `items`, in order and once each; and the ones the taxonomy didn't
    know (kept as new tags)."""
    tags: list[str] = []
    unknown: list[str] = []
    for item in items:
        tag, known = taxonomy.normalise(item)
        if tag and tag not in tags:
            tags.append(tag)
            if not known:
                unknown.append(tag)
    return tags, unknown


def parse_fields(text: str, taxonomy: Taxonomy) -> ParsedFields:
    """Every field in `text`, converted and checked; the first bad one raises FieldProblem."""
    values: dict[str, Any] = {}
    unknown: list[str] = []
    for written, name, raw in split_lines(text):
        value = check_text(name, raw.strip(), written)
        if name == "skills":
            tags, new = skill_tags(split_list(value), taxonomy)
            values[name] = tags
            unknown += new
        elif name == "coordinators":
            values[name] = check_people([p for p in re.split(r"[,;\s]+", value) if p], written)
        elif name == "entry_door":
            values[name] = check_yes_no(value, written)
        elif name == "sensitivity":
            values[name] = _choice(written, value, SENSITIVITY_WORDS)
        elif name == "commitment":
            values[name] = _choice(written, value, COMMITMENT_WORDS)
        elif name == "status":
            values[name] = _choice(written, value, STATUS_WORDS)
        else:
            values[name] = value or None if name == "ref" else value
    return ParsedFields(values, tuple(unknown))
