"""Where a text's sentences and clauses begin and end, word by word."""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import Enum

from commands.skills import Words
from commands.understanding.lexicon import Found, Kind, Lexicon

# A full stop counts when a space follows it: "Node.js" and "D3.js" go on.
_HARD = re.compile(r"[!?;…\n]|\.\s")
_SOFT = re.compile(r"[,:()\[\]{}\"«»“”—–]|\s-\s")


class Boundary(Enum):
    """What stands before a word."""

    NONE = 0
    SOFT = 1  # a comma, a colon, a bracket, a dash
    CONJUNCTION = 2  # "et je", "and I": a new clause
    CONTRAST = 3  # "mais", "but", "par contre"
    SENTENCE = 4  # a full stop, "!", "?", ";", a new line


class Layout:
    """For each word: the boundary before it, its sentence and its clause."""

    def __init__(self, words: Words, cues: Sequence[Found], lexicon: Lexicon) -> None:
        count = len(words)
        self.boundary = [Boundary.NONE] * count
        for i in range(1, count):
            gap = words.gap_before(i)
            if gap == " ":  # most words: nothing to look at
                continue
            if _HARD.search(gap):
                self.boundary[i] = Boundary.SENTENCE
            elif _SOFT.search(gap):
                self.boundary[i] = Boundary.SOFT
        folds = words.folds
        for i in range(count - 1):
            if folds[i] in ("et", "and") and folds[i + 1] in lexicon.new_subject:
                self.boundary[i] = max(self.boundary[i], Boundary.CONJUNCTION, key=_rank)
        for found in cues:
            if found.cue.kind is Kind.CONTRAST:
                self.boundary[found.first] = max(
                    self.boundary[found.first], Boundary.CONTRAST, key=_rank
                )
        self.sentence = [0] * count
        self.clause = [0] * count
        sentence = clause = 0
        for i in range(count):
            if i and self.boundary[i] is Boundary.SENTENCE:
                sentence += 1
            if i and self.boundary[i] is not Boundary.NONE:
                clause += 1
            self.sentence[i] = sentence
            self.clause[i] = clause

    def __len__(self) -> int:
        return len(self.clause)


def _rank(boundary: Boundary) -> int:
    return boundary.value
