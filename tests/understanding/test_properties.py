"""Properties of reading and ranking, over texts and profiles nobody wrote by hand: a refusal
is never read as a skill, nothing crashes, nothing refused is ever proposed."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from commands.matching import Profile, rank
from commands.skills import Taxonomy
from commands.text import fold_letters
from commands.understanding import Understanding, understand
from storage.enums import Commitment, SkillLevel
from storage.models import Mission

TAXONOMY = Taxonomy.default()


def _single_tag_aliases() -> list[tuple[str, str]]:
    """(alias as written, its tag) for aliases that name exactly one skill on their own."""
    pairs = []
    for skill in TAXONOMY.skills:
        for alias in skill.aliases:
            written = alias.removeprefix("=")
            if (
                TAXONOMY.extract(written).tags[:1] == (skill.tag,)
                and len({t for m in TAXONOMY.scan(written).mentions for t in m.tags}) == 1
            ):
                pairs.append((written, skill.tag))
    return pairs


ALIASES = _single_tag_aliases()
REFUSALS = [
    "Pas de {}",
    "Surtout pas de {}",
    "Je ne veux plus faire de {}",
    "Plus jamais de {}",
    "Jamais de {}",
    "Je ne connais rien à {}",
    "Tout sauf {}",
    "No {}",
    "Please no {}",
    "I don't want to do {}",
    "Never {}",
    "Anything except {}",
    "Not into {}",
    "{}, non merci",
    "{}, très peu pour moi",
    "{}? Never again",
    "{} is not for me",
]
WORDS = st.sampled_from(
    [
        "css", "Python", "pas", "de", "ni", "no", "not", "mais", "but", "un peu", "expert",
        "débutant", "apprendre", "jamais", "plus", "ne", "PHP", "WordPress", "réseaux sociaux",
        "traduction", "anglais", ",", ".", "!", "?", ";", "(", ")", "et", "and", "je", "I",
        "m'y", "risquer", "en", "faire", "sans", "sauf", "2 h", "par mois", "régulier",
        "plutôt que", "ponctuel", "pas que", "pas mal", "don't mind", "Element", "Go",
        "sécurité", "incendie", "montage", "meubles", "serveur", "restaurant", "non merci",
    ]
)  # fmt: skip
SENTENCE = st.lists(WORDS, max_size=30).map(" ".join)
WEIRD = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(
            list("\u202e\u200b\u00a0\u0301·.'’()-/#+,;:!?\n") + list(string.ascii_letters)
        ),
    ),
    max_size=300,
)


def read_as_homonym(understood: Understanding, written: str) -> bool:
    """Whether the words were not read as a skill at all, their company making them a
    homonym ("pas de formation" is having no training), which the echo then reports."""
    return any(fold_letters(written) in fold_letters(phrase) for phrase in understood.unknown)


def check_reading(text: str) -> None:
    understood = understand(text, TAXONOMY)
    assert set(understood.skills) <= TAXONOMY.tags
    assert set(understood.refused) <= TAXONOMY.tags
    assert not set(understood.skills) & set(understood.refused)
    assert set(understood.levels) == set(understood.skills)
    assert len(set(understood.skills)) == len(understood.skills)
    assert all(phrase and phrase in text for phrase in understood.unknown)
    assert understood.hours_per_month is None or understood.hours_per_month >= 0


@given(text=WEIRD)
@settings(max_examples=300, deadline=None)
def test_reading_any_text_never_fails(text: str) -> None:
    check_reading(text)


@given(text=SENTENCE)
@settings(max_examples=400, deadline=None)
def test_reading_sentences_of_skills_and_negations_stays_consistent(text: str) -> None:
    check_reading(text)


@given(fragment=WEIRD.filter(bool))
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_reading_10000_characters(fragment: str) -> None:
    check_reading((fragment * (10_000 // len(fragment) + 1))[:10_000])


@given(before=SENTENCE, refusal=st.sampled_from(REFUSALS), alias=st.sampled_from(ALIASES))
@settings(max_examples=500, deadline=None)
def test_a_refusal_said_last_is_never_read_as_a_skill(
    before: str, refusal: str, alias: tuple[str, str]
) -> None:
    written, tag = alias
    understood = understand(f"{before}. {refusal.format(written)}.", TAXONOMY)
    assert tag not in understood.skills
    assert tag in understood.refused or read_as_homonym(understood, written)


@given(
    before=SENTENCE,
    aliases=st.lists(st.sampled_from(ALIASES), min_size=2, max_size=4, unique_by=lambda a: a[1]),
    joiner=st.sampled_from([" ni de ", ", ", " ou ", ", ni ", " nor ", " or "]),
    opening=st.sampled_from(["Pas de", "Je ne fais ni", "No", "Never any", "Sans"]),
)
@settings(max_examples=300, deadline=None)
def test_a_refusal_reaches_every_skill_of_its_list(
    before: str, aliases: list[tuple[str, str]], joiner: str, opening: str
) -> None:
    text = f"{before}. {opening} {joiner.join(written for written, _ in aliases)}."
    understood = understand(text, TAXONOMY)
    for written, tag in aliases:
        assert tag not in understood.skills
        assert tag in understood.refused or read_as_homonym(understood, written)


@given(text=SENTENCE, alias=st.sampled_from(ALIASES))
@settings(max_examples=300, deadline=None)
def test_adding_a_refusal_never_adds_a_skill(text: str, alias: tuple[str, str]) -> None:
    written, tag = alias
    plain = understand(text, TAXONOMY)
    refusing = understand(f"{text}. Pas de {written}.", TAXONOMY)
    assert set(refusing.skills) <= set(plain.skills) - {tag}


@given(alias=st.sampled_from(ALIASES), other=st.sampled_from(ALIASES))
@settings(max_examples=200, deadline=None)
def test_a_refusal_stops_at_but(alias: tuple[str, str], other: tuple[str, str]) -> None:
    assume(alias[1] != other[1])
    understood = understand(f"Pas de {alias[0]}, mais du {other[0]}", TAXONOMY)
    assert alias[1] not in understood.skills
    assert alias[1] in understood.refused or read_as_homonym(understood, alias[0])
    assert other[1] in understood.skills or read_as_homonym(understood, other[0])


# -- ranking ------------------------------------------------------------------------

TAGS = sorted(TAXONOMY.tags)[:30]
MISSIONS = st.lists(
    st.tuples(
        st.lists(st.sampled_from(TAGS), min_size=1, max_size=4, unique=True),
        st.booleans(),
        st.sampled_from(list(Commitment)),
        st.sampled_from(["", "1 h", "3 h", "15 h", "2 h / mois", "2 h / semaine"]),
    ),
    max_size=30,
).map(
    lambda rows: [
        Mission(id=i + 1, title=f"m{i + 1}", skills=s, entry_door=d, commitment=c, effort=e)
        for i, (s, d, c, e) in enumerate(rows)
    ]
)
PROFILES = st.builds(
    lambda skills, levels, refused, commitment, hours: Profile(
        skills=tuple(skills),
        levels=dict(zip(skills, levels, strict=False)),
        refused=frozenset(refused) - set(skills),
        commitment=commitment,
        hours_per_month=hours,
    ),
    st.lists(st.sampled_from(TAGS), max_size=6, unique=True),
    st.lists(st.sampled_from(list(SkillLevel)), max_size=6),
    st.lists(st.sampled_from(TAGS), max_size=4),
    st.none() | st.sampled_from(list(Commitment)),
    st.none() | st.floats(min_value=0.5, max_value=60),
)


@given(missions=MISSIONS, profile=PROFILES, newcomer=st.booleans())
@settings(max_examples=300, deadline=None)
def test_nothing_refused_is_ever_proposed(
    missions: list[Mission], profile: Profile, newcomer: bool
) -> None:
    matches = rank(missions, profile, TAXONOMY, newcomer=newcomer)
    for match in matches:
        assert profile.refused.isdisjoint(match.mission.skills)
        assert match.shared and set(match.shared) <= set(profile.skills)
        learnt_only = all(profile.level(t) is SkillLevel.LEARNING for t in match.shared)
        assert not learnt_only or match.mission.entry_door
    if newcomer:
        doors = [match.mission.entry_door for match in matches]
        assert doors == sorted(doors, reverse=True)
    assert rank(list(reversed(missions)), profile, TAXONOMY, newcomer=newcomer) == matches
