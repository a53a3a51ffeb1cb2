"""Measuring understanding and matching on the labelled set: the figures the quality test
checks and `bench/bench_skills.py` prints."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from commands.matching import Profile, rank
from commands.skills import Taxonomy
from commands.understanding import understand
from tests.understanding.cases import Case, all_cases, catalogue

SHOWN = 5  # what `!pourmoi` shows
HOURS_TOLERANCE = 0.15


@dataclass
class Outcome:
    """What Tremplin made of one case."""

    case: Case
    skills: frozenset[str]
    refused: frozenset[str]
    ranked: tuple[str, ...]  # mission refs, best first
    seconds: float
    levels: dict[str, str]
    hours: float | None
    commitment: str | None

    @property
    def first_hit(self) -> int | None:
        """Position (0-based) of the first labelled best mission among the ranked ones."""
        return next((i for i, ref in enumerate(self.ranked) if ref in self.case.best), None)

    @property
    def hours_right(self) -> bool:
        """The hours offered as labelled, within the tolerance (a case with none: True)."""
        wanted = self.case.hours
        return wanted is None or (
            self.hours is not None and abs(self.hours - wanted) <= HOURS_TOLERANCE * wanted
        )

    @property
    def violations(self) -> list[str]:
        """Shown missions that need a skill the person refused (by the label)."""
        skills = {m.ref: set(m.skills) for m in catalogue(Taxonomy.default())}
        return [ref for ref in self.ranked[:SHOWN] if skills[ref] & self.case.refused]


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    def of(
        self, *, holdout: bool | None = None, blind: bool | None = None, source: str = ""
    ) -> Report:
        """The same figures on a part: held out or not, blind or not (None: either), from
        one file."""
        return Report(
            [
                o
                for o in self.outcomes
                if (holdout is None or o.case.holdout == holdout)
                and (blind is None or o.case.blind == blind)
                and (not source or o.case.source == source)
            ]
        )

    @property
    def fitting(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.case.best]

    @property
    def nothing_fits(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.case.best]

    def _share(self, outcomes: list[Outcome], hit: Iterable[bool]) -> float:
        hits = list(hit)
        return sum(hits) / len(hits) if outcomes else 1.0

    @property
    def top1(self) -> float:
        return self._share(self.fitting, (o.first_hit == 0 for o in self.fitting))

    @property
    def top3(self) -> float:
        return self._share(
            self.fitting, (o.first_hit is not None and o.first_hit < 3 for o in self.fitting)
        )

    @property
    def mrr(self) -> float:
        ranks = [0.0 if o.first_hit is None else 1 / (o.first_hit + 1) for o in self.fitting]
        return sum(ranks) / len(ranks) if ranks else 1.0

    @property
    def honest(self) -> float:
        """Nothing-fits cases where no mission was proposed at all."""
        return self._share(self.nothing_fits, (not o.ranked for o in self.nothing_fits))

    def _precision_recall(self, what: str) -> tuple[float, float]:
        """Of the outcomes' `what` ("skills" or "refused") against the labels of that name."""
        true = false_positive = false_negative = 0
        for outcome in self.outcomes:
            predicted = getattr(outcome, what)
            gold = getattr(outcome.case, what)
            true += len(predicted & gold)
            false_positive += len(predicted - gold)
            false_negative += len(gold - predicted)
        precision = true / (true + false_positive) if true + false_positive else 1.0
        recall = true / (true + false_negative) if true + false_negative else 1.0
        return precision, recall

    @property
    def skill_precision(self) -> float:
        return self._precision_recall("skills")[0]

    @property
    def skill_recall(self) -> float:
        return self._precision_recall("skills")[1]

    @property
    def refusal_precision(self) -> float:
        return self._precision_recall("refused")[0]

    @property
    def refusal_recall(self) -> float:
        return self._precision_recall("refused")[1]

    @property
    def refusal_violations(self) -> int:
        """Missions shown that need a refused skill, plus refused skills echoed as skills."""
        return sum(len(o.violations) + len(o.skills & o.case.refused) for o in self.outcomes)

    @property
    def level_accuracy(self) -> float:
        pairs = [
            (o.levels.get(tag, "stated"), str(level))
            for o in self.outcomes
            for tag, level in o.case.levels.items()
        ]
        return sum(a == b for a, b in pairs) / len(pairs) if pairs else 1.0

    @property
    def availability_accuracy(self) -> float:
        checks = []
        for o in self.outcomes:
            if o.case.hours is not None:
                checks.append(o.hours_right)
            if o.case.commitment is not None:
                checks.append(o.commitment == str(o.case.commitment))
        return sum(checks) / len(checks) if checks else 1.0

    @property
    def median_microseconds(self) -> float:
        return statistics.median(o.seconds for o in self.outcomes) * 1e6

    def summary(self) -> str:
        return (
            f"{len(self.outcomes)} texts ({len(self.fitting)} with a fitting mission, "
            f"{len(self.nothing_fits)} where nothing fits yet): top-1 {self.top1:.3f}, "
            f"top-3 {self.top3:.3f}, MRR {self.mrr:.3f}, honest {self.honest:.3f}; "
            f"skills P {self.skill_precision:.3f} R {self.skill_recall:.3f}; refusals "
            f"P {self.refusal_precision:.3f} R {self.refusal_recall:.3f}, violations "
            f"{self.refusal_violations}; levels {self.level_accuracy:.3f}, availability "
            f"{self.availability_accuracy:.3f}; {self.median_microseconds:.0f} µs per text"
        )

    def mistakes(self) -> list[str]:
        """One line per case that went wrong somewhere, to read when a figure drops."""
        lines = []
        for o in self.outcomes:
            problems = []
            if o.skills != o.case.skills:
                missing = sorted(o.case.skills - o.skills)
                extra = sorted(o.skills - o.case.skills)
                problems.append(f"skills -{missing} +{extra}")
            if o.refused != o.case.refused:
                problems.append(f"refused {sorted(o.refused)} ≠ {sorted(o.case.refused)}")
            if o.case.best and o.first_hit != 0:
                problems.append(f"ranked {list(o.ranked[:3])}, best {list(o.case.best)}")
            if not o.case.best and o.ranked:
                problems.append(f"nothing fits, yet proposed {list(o.ranked[:3])}")
            if o.violations:
                problems.append(f"violations {o.violations}")
            wrong_levels = {
                tag: (o.levels.get(tag, "stated"), str(level))
                for tag, level in o.case.levels.items()
                if o.levels.get(tag, "stated") != str(level)
            }
            if wrong_levels:
                problems.append(f"levels (found, wanted) {wrong_levels}")
            if not o.hours_right:
                problems.append(f"hours {o.hours} ≠ {o.case.hours}")
            if o.case.commitment is not None and o.commitment != str(o.case.commitment):
                problems.append(f"commitment {o.commitment} ≠ {o.case.commitment}")
            if problems:
                tag = " (held out)" if o.case.holdout else ""
                lines.append(f"{o.case.id}{tag}: " + "; ".join(problems))
        return lines


def evaluate(cases: Iterable[Case] | None = None) -> Report:
    """Understand every text, rank the catalogue for it, and keep what happened."""
    taxonomy = Taxonomy.default()
    missions = catalogue(taxonomy)
    refs = {mission.id: mission.ref for mission in missions}
    report = Report()
    for case in cases if cases is not None else all_cases():
        started = time.perf_counter()
        understood = understand(case.text, taxonomy)
        seconds = time.perf_counter() - started
        profile = Profile.from_understanding(understood)
        matches = rank(missions, profile, taxonomy, newcomer=case.newcomer)
        report.outcomes.append(
            Outcome(
                case=case,
                skills=frozenset(understood.skills),
                refused=frozenset(understood.refused),
                ranked=tuple(str(refs[match.mission.id]) for match in matches),
                seconds=seconds,
                levels={tag: str(level) for tag, level in understood.levels.items()},
                hours=understood.hours_per_month,
                commitment=str(understood.commitment) if understood.commitment else None,
            )
        )
    return report
