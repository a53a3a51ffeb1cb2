"""Ranking properties: only shared skills, entry doors first for newcomers, a stable order."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from commands.matching import Match, Profile, rank
from commands.skills import Taxonomy
from storage.enums import Commitment, SkillLevel
from storage.models import Mission

TAXONOMY = Taxonomy.default()
TAGS = sorted(TAXONOMY.tags)[:25]

missions_strategy = st.lists(
    st.tuples(
        st.lists(st.sampled_from(TAGS), min_size=1, max_size=4, unique=True),
        st.booleans(),
        st.sampled_from(["one-off", "recurring"]),
    ),
    max_size=40,
).map(
    lambda rows: [
        Mission(id=i + 1, title=f"m{i + 1}", skills=s, entry_door=door, commitment=c)
        for i, (s, door, c) in enumerate(rows)
    ]
)


@settings(max_examples=200, deadline=None)
@given(
    missions=missions_strategy,
    skills=st.lists(st.sampled_from(TAGS), max_size=6, unique=True),
    newcomer=st.booleans(),
)
def test_ranking_properties(missions: list[Mission], skills: list[str], newcomer: bool) -> None:
    matches = rank(missions, skills, TAXONOMY, newcomer=newcomer)
    sharing = {m.id for m in missions if set(m.skills) & set(skills)}
    assert {match.mission.id for match in matches} == sharing
    for match in matches:
        assert match.shared and set(match.shared) <= set(skills) & set(match.mission.skills)
    if newcomer:
        doors = [match.mission.entry_door for match in matches]
        assert doors == sorted(doors, reverse=True)
    assert rank(list(reversed(missions)), skills, TAXONOMY, newcomer=newcomer) == matches


def test_a_specific_skill_outweighs_coverage_of_a_broad_one() -> None:
    specific = Mission(id=1, title="a", skills=["wordpress"], entry_door=False)
    other = Mission(id=2, title="b", skills=["css", "html", "wordpress", "php"], entry_door=False)
    [first, second] = rank([other, specific], ["wordpress"], TAXONOMY, newcomer=False)
    assert first.mission.id == 1 and second.mission.id == 2


def test_the_reason_keeps_the_order_the_person_used() -> None:
    mission = Mission(id=1, title="a", skills=["anglais", "traduction"], entry_door=True)
    [match] = rank([mission], ["traduction", "anglais"], TAXONOMY, newcomer=True)
    assert match.shared == ("traduction", "anglais")


# -- what people said beyond their skills ---------------------------------------------------


def mission(number: int, skills: list[str], **fields: object) -> Mission:
    values: dict[str, object] = {"entry_door": False, "commitment": "one-off", "effort": ""}
    values.update(fields)
    return Mission(id=number, title=f"m{number}", skills=skills, **values)


def ids(matches: list[Match]) -> list[int]:
    return [match.mission.id for match in matches]


def test_a_refused_skill_excludes_the_missions_that_need_it() -> None:
    missions = [mission(1, ["wordpress", "securite"]), mission(2, ["securite"])]
    profile = Profile(("securite",), refused=frozenset({"wordpress"}))
    assert ids(rank(missions, profile, TAXONOMY, newcomer=False)) == [2]


def test_levels_weigh() -> None:
    missions = [mission(1, ["wordpress"]), mission(2, ["relecture"])]
    levels = {"wordpress": SkillLevel.BEGINNER, "relecture": SkillLevel.EXPERT}
    profile = Profile(("wordpress", "relecture"), levels=levels)
    assert ids(rank(missions, profile, TAXONOMY, newcomer=False)) == [2, 1]


def test_a_skill_being_learnt_opens_entry_doors_only() -> None:
    missions = [mission(1, ["html"]), mission(2, ["html", "css"], entry_door=True)]
    profile = Profile(("html",), levels={"html": SkillLevel.LEARNING})
    assert ids(rank(missions, profile, TAXONOMY, newcomer=True)) == [2]


def test_more_time_than_offered_goes_after() -> None:
    weekly = mission(
        1, ["reseaux-sociaux", "redaction"], commitment="recurring", effort="2 h / semaine"
    )
    once = mission(2, ["mastodon", "fediverse", "reseaux-sociaux"], effort="2 h")
    profile = Profile(("reseaux-sociaux",), hours_per_month=2)
    [first, second] = rank([weekly, once], profile, TAXONOMY, newcomer=False)
    assert (first.mission.id, first.too_long) == (2, False)
    assert (second.mission.id, second.too_long) == (1, True)
    assert ids(rank([weekly, once], ["reseaux-sociaux"], TAXONOMY, newcomer=False)) == [1, 2]


def test_the_rhythm_preferred_comes_first() -> None:
    missions = [mission(1, ["redaction"]), mission(2, ["redaction"], commitment="recurring")]
    profile = Profile(("redaction",), commitment=Commitment.RECURRING)
    [first, _] = rank(missions, profile, TAXONOMY, newcomer=False)
    assert first.mission.id == 2 and first.rhythm_fits


def test_equal_scores_go_to_the_skill_named_first_then_the_lighter_mission() -> None:
    missions = [mission(1, ["relecture"], effort="3 h"), mission(2, ["traduction"], effort="3 h")]
    profile = Profile(("traduction", "relecture"))
    assert ids(rank(missions, profile, TAXONOMY, newcomer=False)) == [2, 1]
    missions = [mission(1, ["css"], effort="10 h"), mission(2, ["css"], effort="1 h")]
    assert ids(rank(missions, ["css"], TAXONOMY, newcomer=False)) == [2, 1]
