"""Ranking properties: only shared skills, entry doors first for newcomers, a stable order."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from commands.matching import rank
from commands.skills import Taxonomy
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
