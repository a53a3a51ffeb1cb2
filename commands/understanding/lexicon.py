"""The words that shape a sentence around skills (data/understanding.yaml), ready to match."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from importlib import resources
from typing import Any

from commands.skills import load_yaml
from commands.text import fold_letters
from storage.enums import Commitment, SkillLevel

DATA_FILE = "data/understanding.yaml"
NUMBER = "<n>"
_SPLIT = re.compile(r"[^a-z0-9<>]+")
NUMBER_WORDS = {
    "un": 1, "une": 1, "one": 1, "deux": 2, "two": 2, "trois": 3, "three": 3, "quatre": 4,
    "four": 4, "cinq": 5, "five": 5, "six": 6, "sept": 7, "seven": 7, "huit": 8, "eight": 8,
    "neuf": 9, "nine": 9, "dix": 10, "ten": 10, "onze": 11, "eleven": 11, "douze": 12,
    "twelve": 12, "quinze": 15, "fifteen": 15, "vingt": 20, "twenty": 20, "trente": 30,
    "thirty": 30,
}  # fmt: skip


class Kind(Enum):
    """What a cue does to the skills around it."""

    REFUSE = "refuse"
    REFUSE_AFTER_NE = "refuse_after_ne"
    NOT_REFUSAL = "not_refusal"
    REFER_BACK = "refer_back"
    LEVEL = "level"
    COMMITMENT = "commitment"
    COMPARE = "compare"
    CONTRAST = "contrast"


@dataclass(frozen=True)
class Cue:
    """One phrase of the lexicon and what it means."""

    kind: Kind
    back: bool = False  # may reach skills before it
    forward: bool = True  # reaches skills after it
    level: SkillLevel | None = None
    commitment: Commitment | None = None


@dataclass(frozen=True)
class Found:
    """A cue found at words first..last of a text."""

    first: int
    last: int
    cue: Cue


@functools.lru_cache(maxsize=4096)
def words_of(phrase: str) -> tuple[str, ...]:
    """A lexicon phrase as the folded words it is matched on."""
    return tuple(word for word in _SPLIT.split(fold_letters(phrase)) if word)


class Lexicon:
    """Phrases → cues, looked up word by word, the longest phrase first."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._phrases: dict[tuple[str, ...], Cue] = {}
        refuse_back = {words_of(p) for p in _languages(data["refuse_back"])}
        for phrase in _languages(data["refuse"]):
            words = words_of(phrase)
            self._add(words, Cue(Kind.REFUSE, back=words in refuse_back))
        for words in refuse_back:
            if words not in self._phrases:
                self._add(words, Cue(Kind.REFUSE, back=True))
        for phrase in data["refuse_after_ne"]:
            self._add(words_of(phrase), Cue(Kind.REFUSE_AFTER_NE))
        for phrase in _languages(data["not_refusals"]):
            self._add(words_of(phrase), Cue(Kind.NOT_REFUSAL))
        for phrase in _languages(data["refer_back"]):
            self._add(words_of(phrase), Cue(Kind.REFER_BACK))
        for name, directions in data["levels"].items():
            level = SkillLevel(name)
            forward = {words_of(p) for p in directions.get("forward", [])}
            backward = {words_of(p) for p in directions.get("backward", [])}
            for words in forward | backward:
                cue = Cue(Kind.LEVEL, words in backward, words in forward, level=level)
                self._add(words, cue)
        for name, phrases in data["commitment"].items():
            for phrase in phrases:
                self._add(words_of(phrase), Cue(Kind.COMMITMENT, commitment=Commitment(name)))
        for phrase in data["compare"]:
            self._add(words_of(phrase), Cue(Kind.COMPARE))
        for phrase in data["contrast"]:
            self._add(words_of(phrase), Cue(Kind.CONTRAST))
        self.new_subject = frozenset(data["new_subject"])
        self.list_glue = frozenset(data["list_glue"])
        self.vocabulary = frozenset(
            word for words in self._phrases for word in words if word != NUMBER
        )
        # One-word phrases by their word; longer ones by their first two words (a number as
        # "<n>"), with their lengths, longest first: most words start nothing at all.
        self._singles = {words[0]: cue for words, cue in self._phrases.items() if len(words) == 1}
        pairs: dict[tuple[str, str], set[int]] = {}
        for words in self._phrases:
            if len(words) > 1:
                pairs.setdefault((words[0], words[1]), set()).add(len(words))
        self._pairs = {pair: sorted(found, reverse=True) for pair, found in pairs.items()}
        self._firsts = frozenset(words[0] for words in self._phrases)

    def _add(self, words: tuple[str, ...], cue: Cue) -> None:
        if not words:
            raise ValueError(f"understanding: an empty phrase for {cue.kind.value}")
        existing = self._phrases.get(words)
        if existing is not None and existing != cue:
            raise ValueError(f"understanding: {' '.join(words)!r} means two things")
        self._phrases[words] = cue

    def find(self, folds: Sequence[str], skip: Sequence[bool]) -> list[Found]:
        """Every cue in a text's folded words, left to right, longest first; words marked in
        `skip` (those naming a skill) are never part of a cue."""
        phrases, pairs, singles, firsts = self._phrases, self._pairs, self._singles, self._firsts
        keys = [NUMBER if w.isdigit() or w in NUMBER_WORDS else w for w in folds]
        found: list[Found] = []
        count, after = len(folds), -1
        for i in [i for i, w in enumerate(folds) if (w in firsts or keys[i] in firsts)]:
            if i <= after or skip[i]:
                continue
            cue = None
            if i + 1 < count and not skip[i + 1]:
                for first, second in ((folds[i], folds[i + 1]), (keys[i], keys[i + 1])):
                    for length in pairs.get((first, second), ()):
                        end = i + length
                        if end > count or any(skip[i:end]):
                            continue
                        cue = phrases.get(tuple(folds[i:end])) or phrases.get(tuple(keys[i:end]))
                        if cue is not None:
                            found.append(Found(i, end - 1, cue))
                            after = end - 1
                            break
                    if cue is not None:
                        break
            if cue is None:
                cue = singles.get(folds[i]) or singles.get(keys[i])
                if cue is not None:
                    found.append(Found(i, i, cue))
        return found


def _languages(value: Mapping[str, Iterable[str]] | Iterable[str]) -> list[str]:
    if isinstance(value, Mapping):
        return [phrase for phrases in value.values() for phrase in phrases]
    return list(value)


@functools.cache
def default_lexicon() -> Lexicon:
    """The lexicon shipped with the package (loaded once)."""
    text = resources.files("commands").joinpath(DATA_FILE).read_text(encoding="utf-8")
    return Lexicon(load_yaml(text))
