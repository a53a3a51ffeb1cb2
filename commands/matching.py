"""Ranking missions for one volunteer: the gates are applied before, here only the order.

What decides, in this order: a refused skill excludes a mission (a refused broad skill, what
it covers: "nul en informatique" excludes the servers); for newcomers, entry doors
come first; then the score (the person's skills the mission uses, weighed by how specific they
are and how well the person knows them, and how much of the mission they cover), lowered when
the mission asks more time than offered, raised when its rhythm is the one preferred; equal
scores go to the mission sharing the skill named first, then the lighter one, then the number.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

from commands.skills import Taxonomy
from commands.understanding import Effort, Understanding, mission_effort
from storage.enums import Commitment, SkillLevel
from storage.models import Mission, Volunteer

LEVEL_WEIGHT = {
    SkillLevel.LEARNING: 0.25,
    SkillLevel.BEGINNER: 0.5,
    SkillLevel.STATED: 1.0,
    SkillLevel.EXPERT: 1.5,
}
ENTRY_DOOR_BONUS = 1.0
RHYTHM_BONUS = 0.5  # the rhythm the person prefers
OTHER_RHYTHM_PENALTY = 0.5  # the other one: as far below as a preferred one is above
TOO_LONG_PENALTY = 1.0


@dataclass(frozen=True)
class Profile:
    """What ranking knows of a person: skills with levels, refusals, time and rhythm."""

    skills: tuple[str, ...]
    levels: Mapping[str, SkillLevel] = field(default_factory=dict)
    refused: frozenset[str] = frozenset()
    commitment: Commitment | None = None
    hours_per_month: float | None = None

    @classmethod
    def of(
        cls,
        skills: Sequence[str] | Profile,
        commitment: Commitment | None = None,
    ) -> Profile:
        """A profile from plain tags (all at the level stated), or the profile itself."""
        if isinstance(skills, Profile):
            return skills
        return cls(tuple(skills), commitment=commitment)

    @classmethod
    def from_understanding(cls, understood: Understanding) -> Profile:
        return cls(
            skills=understood.skills,
            levels=dict(understood.levels),
            refused=frozenset(understood.refused),
            commitment=understood.commitment,
            hours_per_month=understood.hours_per_month,
        )

    @classmethod
    def of_volunteer(cls, volunteer: Volunteer | None) -> Profile:
        """What a volunteer told Tremplin and it stored (nothing for nobody)."""
        if volunteer is None:
            return cls(())
        return cls(
            skills=tuple(volunteer.skills),
            levels=volunteer.skill_levels,
            refused=frozenset(volunteer.refused_skills),
            commitment=volunteer.commitment_preference,
            hours_per_month=volunteer.hours_per_month,
        )

    def level(self, tag: str) -> SkillLevel:
        return self.levels.get(tag, SkillLevel.STATED)


@dataclass(frozen=True)
class Match:
    """A mission proposed to a volunteer, the skills of theirs that it uses, and why."""

    mission: Mission
    score: float
    shared: tuple[str, ...]
    too_long: bool = False  # asks more time than the person offered
    rhythm_fits: bool = False  # one-off or recurring as the person prefers


def score_mission(
    mission: Mission,
    skills: dict[str, int],
    weight: Callable[[str], float],
    *,
    newcomer: bool,
    commitment: Commitment | None,
    profile: Profile | None = None,
) -> Match | None:
    """Specific shared skills count more, covering the mission counts, doors help newcomers.

    `skills` gives each held tag its position in what the person said.
    """
    levels = profile.levels if profile is not None else {}
    mission_skills, entry_door = mission.skills, mission.entry_door  # read once: ORM attributes
    shared = [tag for tag in mission_skills if tag in skills]
    if levels and not entry_door:  # a skill still being learnt opens entry doors only
        shared = [tag for tag in shared if levels.get(tag) is not SkillLevel.LEARNING]
    if not shared:
        return None
    shared.sort(key=skills.__getitem__)
    if levels:
        known = [(weight(tag), LEVEL_WEIGHT[levels.get(tag, SkillLevel.STATED)]) for tag in shared]
        strength = sum(tag_weight * level for tag_weight, level in known)
        covered = sum(tag_weight * min(level, 1.0) for tag_weight, level in known)
    else:  # every skill at the level stated: weight 1
        strength = covered = sum(map(weight, shared))
    score = strength + covered / sum(map(weight, mission_skills))
    if newcomer and entry_door:
        score += ENTRY_DOOR_BONUS
    rhythm_fits = commitment is not None and mission.commitment == commitment
    if rhythm_fits:
        score += RHYTHM_BONUS
    elif commitment is not None:
        score -= OTHER_RHYTHM_PENALTY
    too_long = False
    if profile is not None and profile.hours_per_month is not None:
        effort = _effort(mission.effort, mission.commitment)
        too_long = effort is not None and not effort.fits(profile.hours_per_month)
        if too_long:
            score -= TOO_LONG_PENALTY
    return Match(mission, round(score, 6), tuple(shared), too_long, rhythm_fits)


def rank(
    missions: Sequence[Mission],
    skills: Sequence[str] | Profile,
    taxonomy: Taxonomy,
    *,
    newcomer: bool,
    commitment: Commitment | None = None,
) -> list[Match]:
    """Missions sharing at least one skill (a learnt one: entry doors only) and none refused,
    best first; for newcomers, entry doors first.

    Deterministic: equal scores go to the skill named first, the lighter mission, the number.
    """
    profile = Profile.of(skills, commitment)
    rhythm = commitment if commitment is not None else profile.commitment
    order = {tag: index for index, tag in enumerate(profile.skills)}
    weight = cache(taxonomy.specificity)
    stated = frozenset(order)
    refused = taxonomy.refusal_reach(profile.refused)
    matches = []
    for mission in missions:
        if stated.isdisjoint(mission.skills):  # most missions: skip them cheaply
            continue
        if refused and not refused.isdisjoint(mission.skills):
            continue
        match = score_mission(
            mission, order, weight, newcomer=newcomer, commitment=rhythm, profile=profile
        )
        if match is not None:
            matches.append(match)

    def key(match: Match) -> tuple[bool, float, int, float, int]:
        door_last = newcomer and not match.mission.entry_door
        named_first = order[match.shared[0]]
        effort = _effort(match.mission.effort, match.mission.commitment)
        hours = effort.hours if effort is not None else float("inf")
        return (door_last, -match.score, named_first, hours, match.mission.id)

    matches.sort(key=key)
    return matches


@cache
def _effort(text: str, commitment: Commitment) -> Effort | None:
    return mission_effort(text or "", commitment)
