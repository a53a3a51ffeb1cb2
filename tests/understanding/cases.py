"""The labelled evaluation set: people's own words, what they mean, and the missions for them.

Every third case of cases_*.yaml (in file order) was held out: written before the code, though
read while the vocabulary was listed. blind_cases.yaml was written after the code, measured,
then read to fix what it showed; blind_cases_2.yaml was written after that, and only measured;
blind_cases_3.yaml was written before its author read the code, measured, then read for fixes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from commands.skills import Taxonomy
from storage.enums import Commitment, SkillLevel
from storage.models import Mission

HERE = Path(__file__).resolve().parent
CASE_FILES = sorted(HERE.glob("cases_*.yaml"))
# Written after the code: the first batch was measured once then read for fixes (see README),
# the second only measured, the third measured once then read for fixes.
BLIND_FILES = (
    HERE / "blind_cases.yaml",
    HERE / "blind_cases_2.yaml",
    HERE / "blind_cases_3.yaml",
)
CATALOGUE_FILE = HERE / "catalogue.yaml"
HOLDOUT_EVERY = 3


@dataclass(frozen=True)
class Case:
    """One person's message, labelled by hand."""

    id: str
    text: str
    skills: frozenset[str]
    refused: frozenset[str]
    best: tuple[str, ...]  # mission refs; empty: nothing fits yet
    why: str
    newcomer: bool = True
    levels: dict[str, SkillLevel] = field(default_factory=dict)
    hours: float | None = None
    commitment: Commitment | None = None
    holdout: bool = False
    blind: bool = False
    source: str = ""  # the file it comes from

    @property
    def language(self) -> str:
        """'en' when the text reads English (the label files mix both)."""
        return "en" if self.id in _english_ids() else "fr"


def _case(entry: dict[str, Any], source: str, holdout: bool, blind: bool = False) -> Case:
    levels = {tag: SkillLevel(level) for tag, level in (entry.get("levels") or {}).items()}
    commitment = entry.get("commitment")
    return Case(
        id=entry["id"],
        text=entry["text"],
        skills=frozenset(entry["skills"]),
        refused=frozenset(entry["refused"]),
        best=tuple(entry["best"]),
        why=entry["why"],
        newcomer=entry.get("trust", "newcomer") == "newcomer",
        levels=levels,
        hours=entry.get("hours"),
        commitment=Commitment(commitment) if commitment else None,
        holdout=holdout,
        blind=blind,
        source=source,
    )


@cache
def all_cases() -> tuple[Case, ...]:
    labelled = [(path.stem, entry) for path in CASE_FILES for entry in _entries(path)]
    blind = [(path.stem, entry) for path in BLIND_FILES for entry in _entries(path)]
    return (
        *(
            _case(entry, source, holdout=index % HOLDOUT_EVERY == HOLDOUT_EVERY - 1)
            for index, (source, entry) in enumerate(labelled)
        ),
        *(_case(entry, source, holdout=True, blind=True) for source, entry in blind),
    )


def _entries(path: Path) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return entries


@cache
def _english_ids() -> frozenset[str]:
    english = {"the", "and", "i", "i'm", "my", "with", "for", "a"}
    return frozenset(
        case.id for case in all_cases() if len(english & set(case.text.lower().split())) >= 2
    )


@cache
def catalogue(taxonomy: Taxonomy) -> tuple[Mission, ...]:
    """The evaluation catalogue as missions numbered in file order, skills normalised."""
    entries = yaml.safe_load(CATALOGUE_FILE.read_text(encoding="utf-8"))["missions"]
    missions = []
    for number, entry in enumerate(entries, start=1):
        tags = []
        for name in entry["skills"]:
            tag, known = taxonomy.normalise(name)
            assert known, f"{entry['ref']}: unknown skill {name!r}"
            tags.append(tag)
        missions.append(
            Mission(
                id=number,
                ref=entry["ref"],
                title=entry["title"],
                skills=tags,
                entry_door=bool(entry.get("entry_door", False)),
                commitment=Commitment(entry["commitment"]),
                effort=entry["effort"],
            )
        )
    return tuple(missions)
