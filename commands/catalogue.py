"""The mission catalogue file (YAML): validated import, idempotent by `ref` or title, export.

An entry is held to the same rules as `!mission ajouter` (limits, identities, words). An entry
that updates a mission changes only the fields it names: leaving `sensitivity` out never makes
a mission public again. A file that can't be imported whole is refused whole, before anything
is written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from commands.fields import (
    COMMITMENT_WORDS,
    SENSITIVITY_WORDS,
    STATUS_WORDS,
    FieldProblem,
    check_people,
    check_text,
    check_yes_no,
    skill_tags,
    split_list,
)
from commands.i18n import Translator
from commands.skills import Taxonomy
from commands.text import fold
from storage import missions as mission_store
from storage.database import Session
from storage.enums import Commitment, MissionStatus, Sensitivity
from storage.models import Mission

E = TypeVar("E", bound=StrEnum)
R = TypeVar("R")
ENGLISH = Translator("en")  # the command line speaks English


def _word(value: Any, words: Mapping[E, set[str]], what: str) -> E:
    folded = fold(str(value).strip())
    for choice, spellings in words.items():
        if folded in {fold(s) for s in spellings}:
            return choice
    allowed = ", ".join(str(choice.value) for choice in words)
    raise ValueError(f"{what} {value!r} is not one of: {allowed}")


def _checked(check: Callable[..., R], *args: Any) -> R:
    """`check(*args)`, its `FieldProblem` told as the chat's own sentence, in English."""
    try:
        return check(*args)
    except FieldProblem as problem:
        raise ValueError(ENGLISH(problem.key, field=problem.field, value=problem.value)) from None


class CatalogueEntry(BaseModel):
    """One mission as written in the YAML file."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str | None = None
    ref: str | None = None
    summary: str = ""
    description: str = ""
    skills: list[str] = []
    entry_door: bool = False
    sensitivity: Sensitivity = Sensitivity.PUBLIC
    commitment: Commitment = Commitment.ONE_OFF
    effort: str = ""
    coordinators: list[str] = []
    status: MissionStatus = MissionStatus.OPEN

    @field_validator("title", "ref", "summary", "description", "effort", mode="before")
    @classmethod
    def _text(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name in ("title", "ref"):
            return None
        if not isinstance(value, str):
            raise ValueError("should be text")
        text = _checked(check_text, str(info.field_name), value.strip())
        return text or None if info.field_name == "ref" else text

    @field_validator("skills", mode="before")
    @classmethod
    def _skills(cls, value: Any) -> Any:
        return split_list(value) if isinstance(value, str) else value

    @field_validator("coordinators", mode="before")
    @classmethod
    def _coordinators(cls, value: Any) -> Any:
        people = split_list(value) if isinstance(value, str) else value
        if not isinstance(people, list) or not all(isinstance(p, str) for p in people):
            return people  # pydantic names what is wrong
        return _checked(check_people, people)

    @field_validator("entry_door", mode="before")
    @classmethod
    def _entry_door(cls, value: Any) -> Any:
        if isinstance(value, bool):
            return value
        if not isinstance(value, str):
            raise ValueError("should be yes or no")
        return _checked(check_yes_no, value)

    @field_validator("sensitivity", mode="before")
    @classmethod
    def _sensitivity(cls, value: Any) -> Sensitivity:
        return _word(value, SENSITIVITY_WORDS, "sensitivity")

    @field_validator("commitment", mode="before")
    @classmethod
    def _commitment(cls, value: Any) -> Commitment:
        return _word(value, COMMITMENT_WORDS, "commitment")

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value: Any) -> MissionStatus:
        return _word(value, STATUS_WORDS, "status")

    @model_validator(mode="after")
    def _named(self) -> CatalogueEntry:
        if not self.title and not self.ref:
            raise ValueError("an entry needs a title or a ref")
        return self

    @property
    def key(self) -> tuple[str, str]:
        """What identifies the mission it describes: its ref, else its title."""
        return ("ref", self.ref) if self.ref else ("title", self.title or "")


class CatalogueFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    missions: list[CatalogueEntry]


class CatalogueError(Exception):
    """The file can't be imported; nothing was written."""


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def decode_catalogue(data: bytes) -> str:
    """The file's text, or CatalogueError saying where it isn't UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise CatalogueError(
            f"not UTF-8 text (byte {data[error.start]:#04x} at position {error.start}): "
            "save the file as UTF-8"
        ) from None


def read_catalogue(text: str) -> CatalogueFile:
    """Parse and validate the whole file, or raise CatalogueError naming the bad place."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise CatalogueError(f"not valid YAML: {error}") from None
    try:
        catalogue = CatalogueFile.model_validate(data)
    except ValidationError as error:
        problems = []
        for problem in error.errors():
            where = ".".join(str(part) for part in problem["loc"])
            message = str(problem["msg"]).removeprefix("Value error, ")
            problems.append(f"{where}: {message}" if where else message)
        raise CatalogueError("; ".join(problems)) from None
    seen: dict[tuple[str, str], int] = {}
    for number, entry in enumerate(catalogue.missions):
        first = seen.setdefault(entry.key, number)
        if first != number:
            kind, value = entry.key
            raise CatalogueError(
                f"missions.{number}: the {kind} {value!r} is already used by missions.{first}"
            )
    return catalogue


async def import_catalogue(
    session: Session, text: str, taxonomy: Taxonomy, *, now: datetime
) -> ImportReport:
    """Create or update every mission of the file as of `now`; an unknown skill is kept with a
    warning. Every entry is checked against the database before anything is written."""
    catalogue = read_catalogue(text)
    report = ImportReport()
    plan: list[tuple[CatalogueEntry, Mission | None, dict[str, Any]]] = []
    for number, entry in enumerate(catalogue.missions):
        existing = await mission_store.find_for_import(session, entry.ref, entry.title or "")
        if existing is None and not entry.title:
            raise CatalogueError(
                f"missions.{number}: no mission has the ref {entry.ref!r}, and a new one "
                "needs a title"
            )
        # A new mission takes the defaults; an existing one changes only what the entry names.
        values = entry.model_dump() if existing is None else entry.model_dump(exclude_unset=True)
        if "skills" in values:
            tags, unknown = skill_tags(entry.skills, taxonomy)
            label = entry.title or entry.ref
            report.warnings += [f"{label}: unknown skill kept as {tag!r}" for tag in unknown]
            values["skills"] = tags
        plan.append((entry, existing, values))
    for entry, existing, values in plan:
        label = entry.title or (existing.title if existing else "") or entry.ref or ""
        if existing is None:
            await mission_store.create(session, values, now)
            report.created.append(label)
        elif mission_store.apply(existing, values, now):
            report.updated.append(label)
        else:
            report.unchanged.append(label)
    await session.flush()
    return report


def export_catalogue(missions: list[Mission]) -> str:
    """The catalogue as YAML, in the format `import_catalogue` reads."""
    entries = []
    for mission in missions:
        entry: dict[str, Any] = {"title": mission.title}
        if mission.ref:
            entry["ref"] = mission.ref
        entry.update(
            summary=mission.summary,
            description=mission.description,
            skills=list(mission.skills),
            entry_door=mission.entry_door,
            sensitivity=mission.sensitivity.value,
            commitment=mission.commitment.value,
            effort=mission.effort,
            coordinators=list(mission.coordinators),
            status=mission.status.value,
        )
        entries.append(entry)
    return yaml.safe_dump({"missions": entries}, allow_unicode=True, sort_keys=False, width=100)
