"""Ranking missions for one volunteer: the gates are applied before, here only the score."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

from commands.skills import Taxonomy
from storage.enums import Commitment
from storage.models import Mission


@dataclass(frozen=True)
class Match:
    """A mission proposed to a volunteer, and the skills of theirs that it uses."""

    mission: Mission
    score: float
    shared: tuple[str, ...]


def score_mission(
    mission: Mission,
    skills: dict[str, int],
    weight: Callable[[str], float],
    *,
    newcomer: bool,
    commitment: Commitment | None,
) -> Match | None:
    """Specific shared skills count more, covering the mission counts, doors help newcomers."""
    mission_skills = mission.skills
    shared = sorted((tag for tag in mission_skills if tag in skills), key=skills.__getitem__)
    if not shared:
        return None
    shared_weight = sum(map(weight, shared))
    score = shared_weight + shared_weight / sum(map(weight, mission_skills))
    if newcomer and mission.entry_door:
        score += 1.0
    if commitment is not None and mission.commitment == commitment:
        score += 0.5
    return Match(mission, round(score, 6), tuple(shared))


def rank(
    missions: Sequence[Mission],
    skills: Sequence[str],
    taxonomy: Taxonomy,
    *,
    newcomer: bool,
    commitment: Commitment | None = None,
) -> list[Match]:
    """Missions sharing at least one skill, best first; for newcomers, entry doors first.

    Deterministic: equal scores are ordered by mission number.
    """
    order = {tag: index for index, tag in enumerate(skills)}
    weight = cache(taxonomy.specificity)
    stated = frozenset(order)
    matches = []
    for mission in missions:
        if stated.isdisjoint(mission.skills):  # most missions: skip them cheaply
            continue
        match = score_mission(mission, order, weight, newcomer=newcomer, commitment=commitment)
        if match is not None:
            matches.append(match)
    if newcomer:
        matches.sort(key=lambda m: (not m.mission.entry_door, -m.score, m.mission.id))
    else:
        matches.sort(key=lambda m: (-m.score, m.mission.id))
    return matches
