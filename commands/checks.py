"""Requirements a command may declare; they gate both running it and seeing it in `!aide`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from commands.context import Context
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
