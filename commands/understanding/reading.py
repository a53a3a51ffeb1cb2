"""Reading a sentence, not a bag of words: which named skills are refused, at what level the
others are held, and what time and rhythm the person offers."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from commands.skills import Mention, Taxonomy, Words
from commands.understanding.availability import UNIT_WORDS, hours_per_month
from commands.understanding.clauses import Boundary, Layout
from commands.understanding.lexicon import Found, Kind, Lexicon, default_lexicon, words_of
from storage.enums import Commitment, SkillLevel

MAX_SCOPE = 15  # words a refusal reaches at most
FORWARD_REACH = 6  # words between a level phrase and the skill it qualifies, at most
BACKWARD_REACH = 5
COMPARE_REACH = 4  # "plutôt qu'un coup ponctuel": the words a comparison turns down
_NE = frozenset({"ne", "n"})
_DIGIT = re.compile(r"\d")
_IN_A_LIST = (Boundary.NONE, Boundary.SOFT)
_SPLIT_COMPARISONS = {"plutot": frozenset({"que", "qu"}), "rather": frozenset({"than"})}


@dataclass(frozen=True)
class Understanding:
    """What a person's free text says about them, every part of it explainable."""

    skills: tuple[str, ...]  # held, first mention first, implied ones last
    levels: Mapping[str, SkillLevel]  # every held skill's level
    refused: tuple[str, ...]  # skills the person doesn't have or doesn't want, in order
    unknown: tuple[str, ...]  # words or phrases not understood, as written
    hours_per_month: float | None = None  # the time offered, when said
    commitment: Commitment | None = None  # the rhythm preferred, when said


@dataclass(frozen=True)
class _Event:
    """At word `at`, the text says the person holds (at a level) or refuses these tags."""

    at: int
    tags: tuple[str, ...]
    refused: bool
    level: SkillLevel = SkillLevel.STATED


def understand(text: str, taxonomy: Taxonomy, lexicon: Lexicon | None = None) -> Understanding:
    """Skills, refusals, levels, time and rhythm in a person's own words."""
    lexicon = lexicon or default_lexicon()
    scan = taxonomy.scan(text)
    reader = _Reader(scan.words, scan.mentions, lexicon)
    events = reader.events()
    skills, levels, refused = _resolve(events, taxonomy)
    return Understanding(
        skills=skills,
        levels=levels,
        refused=refused,
        unknown=_understood_words_removed(scan.unknown, lexicon),
        hours_per_month=hours_per_month(text) if reader.may_offer_time else None,
        commitment=reader.commitment(),
    )


class _Reader:
    """One text's words, skill mentions and cues, read clause by clause."""

    def __init__(self, words: Words, mentions: Sequence[Mention], lexicon: Lexicon) -> None:
        self.words = words
        self.mentions = mentions
        self.lexicon = lexicon
        in_mention = [False] * len(words)
        self.mention_at: dict[int, Mention] = {}
        for mention in mentions:
            for i in range(mention.first, mention.last + 1):
                in_mention[i] = True
            self.mention_at[mention.first] = mention
        self.cues = lexicon.find(words.folds, in_mention)
        self.layout = Layout(words, self.cues, lexicon)
        self.negated: set[int] = set()  # words inside a refusal's reach
        # Reading the time offered costs a pass over the text: only when it may say one.
        self.may_offer_time = _DIGIT.search(words.text) is not None or not UNIT_WORDS.isdisjoint(
            words.folds
        )

    # -- refusals --------------------------------------------------------------------

    def events(self) -> list[_Event]:
        events: list[_Event] = []
        refused_mentions: set[int] = set()
        for index, found in enumerate(self.cues):
            if not self._is_refusal(index):
                continue
            scope = self._scope(found.last + 1)
            self.negated.update(scope)
            reached = [self.mention_at[i] for i in scope if i in self.mention_at]
            if not reached:
                reached = self._verb_between_ne_and(found)
            if reached:
                for mention in reached:
                    refused_mentions.add(mention.first)
                    events.append(_Event(mention.first, mention.tags, refused=True))
                continue
            refers_back = found.cue.back or any(
                other.cue.kind is Kind.REFER_BACK and other.first in scope
                for other in self.cues[index + 1 :]
            )
            if refers_back:
                for mention in self._antecedent(found.first):
                    events.append(_Event(found.first, mention.tags, refused=True))
        levels = self._levels()
        for mention in self.mentions:
            if mention.first not in refused_mentions:
                level = levels.get(mention.first, SkillLevel.STATED)
                events.append(_Event(mention.first, mention.tags, refused=False, level=level))
        events.extend(self._learning_referring_back())
        return events

    def _is_refusal(self, index: int) -> bool:
        found = self.cues[index]
        if found.cue.kind is Kind.REFUSE:
            return True
        if found.cue.kind is not Kind.REFUSE_AFTER_NE:
            return False
        clause = self.layout.clause[found.first]
        start = max(0, found.first - 5)
        return any(
            self.words.folds[i] in _NE and self.layout.clause[i] == clause
            for i in range(start, found.first)
        )

    def _verb_between_ne_and(self, found: Found) -> list[Mention]:
        """ "Je ne traduis pas", "je ne code plus": the skill named by the verb that the
        negation surrounds, when nothing after it is negated instead."""
        before = [m for m in self.mentions if m.last == found.first - 1]
        if not before:
            return []
        first = before[0].first  # "ne code" may itself be the phrase that names the skill
        if self.words.folds[first] in _NE or (first and self.words.folds[first - 1] in _NE):
            return before
        return []

    def _scope(self, start: int) -> range:
        """The words a refusal reaches: to the end of its clause, and on through a list."""
        layout, count = self.layout, len(self.layout)
        end = start
        while end < count and end - start < MAX_SCOPE:
            boundary = layout.boundary[end]
            if boundary is Boundary.SOFT and not self._list_goes_on(end):
                break
            if boundary not in (Boundary.NONE, Boundary.SOFT):
                break
            end += 1
        return range(start, end)

    def _list_goes_on(self, i: int) -> bool:
        """After a comma, whether the next words only go on naming skills ("pas de PHP,
        Java ou Perl") rather than start a new clause ("pas de PHP, je fais du Python")."""
        glue = self.lexicon.list_glue
        while i < len(self.layout):
            if i in self.mention_at:
                return True
            if self.words.folds[i] not in glue:
                return False
            i += 1
        return False

    def _antecedent(self, at: int) -> list[Mention]:
        """The skills a clause without its own refers back to: those earlier in its clause,
        else of the clause before in the sentence, else of the sentence before."""
        layout = self.layout
        before = [m for m in self.mentions if m.last < at]
        if not before:
            return []
        clause, sentence = layout.clause[at], layout.sentence[at]
        same_clause = [m for m in before if layout.clause[m.first] == clause]
        if same_clause:
            return same_clause
        last = before[-1]
        if layout.sentence[last.first] == sentence or layout.sentence[last.first] == sentence - 1:
            return [m for m in before if layout.clause[m.first] == layout.clause[last.first]]
        return []

    # -- levels -----------------------------------------------------------------------

    def _levels(self) -> dict[int, SkillLevel]:
        """For each mention (by its first word) the level of the nearest level phrase."""
        best: dict[int, tuple[int, int, SkillLevel]] = {}  # first → (distance, rank, level)

        def offer(mention: Mention, distance: int, rank: int, level: SkillLevel) -> None:
            if mention.first not in best or (distance, rank) < best[mention.first][:2]:
                best[mention.first] = (distance, rank, level)

        for found in self.cues:
            level = found.cue.level
            if found.cue.kind is not Kind.LEVEL or level is None:
                continue
            if found.cue.forward:
                for mention, distance in self._reached_forward(found):
                    offer(mention, distance, 0, level)
            if found.cue.back:
                for mention, distance in self._reached_backward(found):
                    offer(mention, distance, 1, level)
        return {first: level for first, (_, _, level) in best.items()}

    def _reached_forward(self, found: Found) -> list[tuple[Mention, int]]:
        clause = self.layout.clause[found.last]
        after = [
            m
            for m in self.mentions
            if m.first > found.last and self.layout.clause[m.first] == clause
        ]
        if not after or after[0].first - found.last > FORWARD_REACH:
            return []
        return [(m, m.first - found.last) for m in self._chain(after)]

    def _reached_backward(self, found: Found) -> list[tuple[Mention, int]]:
        clause = self.layout.clause[found.first]
        before = [m for m in self.mentions if m.last < found.first]
        if not before:
            return []
        nearest = before[-1]
        distance = found.first - nearest.last
        same_clause = self.layout.clause[nearest.last] == clause
        if not (same_clause and distance <= BACKWARD_REACH) and distance != 1:
            return []
        chained = self._chain(list(reversed(before)))
        return [(m, found.first - m.last) for m in chained]

    def _chain(self, mentions: list[Mention]) -> list[Mention]:
        """The first mention, and the next ones joined to it by list words only ("un peu de
        HTML et de CSS", "Rust et Go à un niveau avancé")."""
        glue, folds, boundary = self.lexicon.list_glue, self.words.folds, self.layout.boundary
        chained = [mentions[0]]
        for mention in mentions[1:]:
            left, right = sorted((chained[-1], mention), key=lambda m: m.first)
            joined = all(folds[i] in glue for i in range(left.last + 1, right.first)) and all(
                boundary[i] in _IN_A_LIST for i in range(left.last + 1, right.first + 1)
            )
            if not joined:
                break
            chained.append(mention)
        return chained

    def _learning_referring_back(self) -> Iterable[_Event]:
        """A wish to learn with no skill of its own turns the clause before into skills
        being learnt: "Je n'ai jamais fait de Python mais j'aimerais apprendre"."""
        for found in self.cues:
            if found.cue.level is not SkillLevel.LEARNING or self._reached_forward(found):
                continue
            clause = self.layout.clause[found.first]
            if any(self.layout.clause[m.first] == clause for m in self.mentions):
                continue
            for mention in self._antecedent(found.first):
                yield _Event(found.first, mention.tags, refused=False, level=SkillLevel.LEARNING)

    # -- rhythm -------------------------------------------------------------------------

    def commitment(self) -> Commitment | None:
        """The rhythm preferred: each phrase votes, a negated or compared-down one for the
        other rhythm; a tie says nothing."""
        votes = {Commitment.ONE_OFF: 0, Commitment.RECURRING: 0}
        compared_at = [found.last for found in self.cues if found.cue.kind is Kind.COMPARE]
        compared_at += self._split_comparisons()
        for found in self.cues:
            value = found.cue.commitment
            if found.cue.kind is not Kind.COMMITMENT or value is None:
                continue
            turned_down = found.first in self.negated or any(
                0 < found.first - at <= COMPARE_REACH
                and self.layout.clause[at] == self.layout.clause[found.first]
                for at in compared_at
            )
            if turned_down:
                value = _other(value)
            votes[value] += 1
        one_off, recurring = votes[Commitment.ONE_OFF], votes[Commitment.RECURRING]
        if one_off == recurring:
            return None
        return Commitment.ONE_OFF if one_off > recurring else Commitment.RECURRING

    def _split_comparisons(self) -> list[int]:
        """Where "plutôt X que Y" and "rather X than Y" turn to what they turn down."""
        folds, clause = self.words.folds, self.layout.clause
        found = []
        for i in [i for i, word in enumerate(folds) if word in _SPLIT_COMPARISONS]:
            wanted = _SPLIT_COMPARISONS[folds[i]]
            for j in range(i + 2, min(len(folds), i + 8)):
                if clause[j] != clause[i]:
                    break
                if folds[j] in wanted:
                    found.append(j)
                    break
        return found


def _other(commitment: Commitment) -> Commitment:
    return Commitment.RECURRING if commitment is Commitment.ONE_OFF else Commitment.ONE_OFF


def _resolve(
    events: list[_Event], taxonomy: Taxonomy
) -> tuple[tuple[str, ...], dict[str, SkillLevel], tuple[str, ...]]:
    """The last word on each skill wins ("J'ai fait de la vidéo. Plus jamais !"), and so
    does the last level said of it; implied skills come after, never over a refusal."""
    last: dict[str, _Event] = {}  # in order of first mention: events are read in order
    said_level: dict[str, SkillLevel] = {}  # the last level said of each skill, if any
    for event in sorted(events, key=lambda e: e.at):
        for tag in event.tags:
            last[tag] = event
            if event.refused:
                said_level.pop(tag, None)
            elif event.level is not SkillLevel.STATED:
                said_level[tag] = event.level
    held = {tag: said_level.get(tag, SkillLevel.STATED) for tag in last if not last[tag].refused}
    refused = tuple(tag for tag in last if last[tag].refused)
    implied: dict[str, SkillLevel] = {}
    for tag, level in held.items():
        for other in taxonomy.implied(tag):
            if other not in held and other not in implied and other not in refused:
                implied[other] = level
    levels = {**held, **implied}
    return tuple(levels), levels, refused


def _understood_words_removed(unknown: Iterable[str], lexicon: Lexicon) -> tuple[str, ...]:
    """Unknown phrases, without those made only of words this reading understood."""
    kept = []
    for phrase in unknown:
        words = words_of(phrase)
        if any(word not in lexicon.vocabulary and not word.isdigit() for word in words):
            kept.append(phrase)
    return tuple(kept)
