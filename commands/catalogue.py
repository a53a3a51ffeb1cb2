"""The mission catalogue file (YAML): validated import, idempotent by `ref` or title, export."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from commands.fields import COMMITMENT_WORDS, SENSITIVITY_WORDS, STATUS_WORDS
from commands.skills import Taxonomy
from commands.text import fold
from storage import missions as mission_store
from storage.database import Session
from storage.enums import Commitment, MissionStatus, Sensitivity
from storage.models import Mission

E = TypeVar("E", bound=StrEnum)


def _word(value: Any, words: Mapping[E, set[str]], what: str) -> E:
    folded = fold(str(value).strip())
    for choice, spellings in words.items():
        if folded in {fold(s) for s in spellings}:
            return choice
    allowed = ", ".join(str(choice.value) for choice in words)
    raise ValueError(f"{what} {value!r} is not one of: {allowed}")


class CatalogueEntry(BaseModel):
    """One mission as written in the YAML file."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=200)
    ref: str | None = Field(default=None, max_length=120)
    summary: str = ""
    description: str = ""
    skills: list[str] = []
    entry_door: bool = False
    sensitivity: Sensitivity = Sensitivity.PUBLIC
    commitment: Commitment = Commitment.ONE_OFF
    effort: str = ""
    coordinators: list[str] = []
    status: MissionStatus = MissionStatus.OPEN

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


def read_catalogue(text: str) -> CatalogueFile:
    """Parse and validate the whole file, or raise CatalogueError naming the bad place."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise CatalogueError(f"not valid YAML: {error}") from None
    try:
        return CatalogueFile.model_validate(data)
    except ValidationError as error:
        problems = []
        for problem in error.errors():
            where = ".".join(str(part) for part in problem["loc"])
            problems.append(f"{where}: {problem['msg']}")
        raise CatalogueError("; ".join(problems)) from None


async def import_catalogue(
    session: Session, text: str, taxonomy: Taxonomy, *, now: datetime
) -> ImportReport:
    """Create or update every mission of the file as of `now`; an unknown skill is kept with a
    warning."""
    catalogue = read_catalogue(text)
    report = ImportReport()
    for entry in catalogue.missions:
        values = entry.model_dump()
        tags = []
        for name in entry.skills:
            tag, known = taxonomy.normalise(name)
            if not known:
                report.warnings.append(f"{entry.title}: unknown skill {name!r} kept as {tag!r}")
            if tag and tag not in tags:
                tags.append(tag)
        values["skills"] = tags
        existing = await mission_store.find_for_import(session, entry.ref, entry.title)
        if existing is None:
            await mission_store.create(session, values, now)
            report.created.append(entry.title)
        elif mission_store.apply(existing, values, now):
            report.updated.append(entry.title)
        else:
            report.unchanged.append(entry.title)
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
