"""What a command declares about who may run it and where it may answer.

Requirements gate both running a command and seeing it in `!aide`. Where it may answer
(`commands.context.Where`) decides whether its answer is given in the place it was asked in
or, when that place is more open than the command allows, in the person's private
conversation (see `commands.in_private`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from commands.context import Context, Place, Where
from storage.enums import Trust


@dataclass(frozen=True)
class Requirement:
    """A predicate on the caller and the catalogue key explaining a refusal."""

    name: str
    test: Callable[[Context], bool]
    refusal: str

    def __call__(self, ctx: Context) -> bool:
        return self.test(ctx)


STAFF = Requirement("staff", lambda ctx: ctx.is_staff, "error.staff_only")


def min_trust(level: Trust) -> Requirement:
    return Requirement(
        f"trust>={level.value}",
        lambda ctx: ctx.is_staff or ctx.trust.rank >= level.rank,
        f"error.trust_{level.value}",
    )


def any_of(*requirements: Requirement) -> Requirement:
    return Requirement(
        "|".join(r.name for r in requirements),
        lambda ctx: any(r(ctx) for r in requirements),
        requirements[0].refusal,
    )


def may_answer_in(answers: Where, place: Place) -> bool:
    """A command that may answer in `answers` places answers in `place` only when `place` is
    at least as private: a private answer never goes to the team chat, a team answer never
    to a public room or forum topic."""
    return place.where >= answers
