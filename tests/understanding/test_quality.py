"""The quality of understanding and matching on the labelled set: these figures fail the
suite when they drop (the issue's "done when"); `bench/bench_skills.py` prints them all."""

from __future__ import annotations

import pytest

from tests.understanding.cases import all_cases
from tests.understanding.evaluation import Report, evaluate

TOP_3 = 0.95
TOP_1 = 0.80
SKILL_PRECISION = 0.92
SKILL_RECALL = 0.92


@pytest.fixture(scope="module")
def report() -> Report:
    return evaluate()


def explain(report: Report) -> str:
    return report.summary() + "\n" + "\n".join(report.mistakes())


def test_the_set_is_large_bilingual_and_explained() -> None:
    cases = all_cases()
    assert len(cases) >= 150
    assert {case.language for case in cases} == {"fr", "en"}
    assert all(case.why.strip() for case in cases)
    assert len({case.id for case in cases}) == len(cases)
    assert sum(not case.best for case in cases) >= 20  # people nothing fits yet


def test_the_right_mission_comes_first_or_in_the_first_three(report: Report) -> None:
    assert report.top3 >= TOP_3, explain(report)
    assert report.top1 >= TOP_1, explain(report)


def test_skills_are_read_with_precision_and_recall(report: Report) -> None:
    assert report.skill_precision >= SKILL_PRECISION, explain(report)
    assert report.skill_recall >= SKILL_RECALL, explain(report)


def test_no_mission_is_ever_proposed_on_a_refused_skill(report: Report) -> None:
    assert report.refusal_violations == 0, explain(report)


def test_when_nothing_fits_nothing_is_proposed(report: Report) -> None:
    assert report.honest == 1.0, explain(report)
