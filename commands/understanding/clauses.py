"""Where a text's sentences and clauses begin and end, word by word."""

from __future__ import annotations

import bisect
import functools
import operator
import re
from collections.abc import Sequence
from enum import IntEnum
from itertools import accumulate

from commands.skills import Words
from commands.understanding.lexicon import Found, Kind, Lexicon

# Punctuation between words, and what it ends: a full stop counts when a space follows it
# ("Node.js" and "D3.js" go on), a dash when spaces surround it ("sous-titrage" is one word).
_PUNCTUATION = re.compile(r"[!?;…\n]|\.(?=\s)|[,:()\[\]{}\"«»“”—–]|(?<=\s)-(?=\s)")
_SENTENCE_ENDS = frozenset("!?;…\n.")


class Boundary(IntEnum):
    """What stands before a word; the stronger one wins where two meet."""

    NONE = 0
    SOFT = 1  # a comma, a colon, a bracket, a dash
    CONJUNCTION = 2  # "et je", "and I": a new clause
    CONTRAST = 3  # "mais", "but", "par contre"
    SENTENCE = 4  # a full stop, "!", "?", ";", a new line


_ENDS_A_SENTENCE = functools.partial(operator.eq, Boundary.SENTENCE)


class Layout:
    """For each word: the boundary before it, its sentence and its clause."""

    def __init__(self, words: Words, cues: Sequence[Found], lexicon: Lexicon) -> None:
        count = len(words)
        boundary = [Boundary.NONE] * count
        marks = list(_PUNCTUATION.finditer(words.text))
        if marks:
            starts = [match.start() for match in words.matches]
            for mark in marks:
                i = bisect.bisect_right(starts, mark.start())  # the word after the mark
                if 0 < i < count:
                    kind = Boundary.SENTENCE if mark[0] in _SENTENCE_ENDS else Boundary.SOFT
                    boundary[i] = max(boundary[i], kind)
        folds = words.folds
        for i in [i for i, word in enumerate(folds) if word == "et" or word == "and"]:
            if i + 1 < count and folds[i + 1] in lexicon.new_subject:
                boundary[i] = max(boundary[i], Boundary.CONJUNCTION)
        for found in cues:
            if found.cue.kind is Kind.CONTRAST:
                boundary[found.first] = max(boundary[found.first], Boundary.CONTRAST)
        if count:
            boundary[0] = Boundary.NONE  # nothing stands before the first word
        self.boundary = boundary
        self.sentence = list(accumulate(map(_ENDS_A_SENTENCE, boundary)))
        self.clause = list(accumulate(map(bool, boundary)))  # any boundary starts a clause

    def __len__(self) -> int:
        return len(self.clause)
