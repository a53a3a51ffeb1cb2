"""What every format needs besides the missions: the language, the addresses, labels, the time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from bot.board.addresses import Where
from bot.board.snapshot import MissionView
from commands.i18n import LANGUAGES, Translator
from commands.skills import Taxonomy


@dataclass(frozen=True)
class Context:
    """One rendering of the board: for whom (language), where it lives (base), and when."""

    language: str
    base: str
    taxonomy: Taxonomy
    where: Where
    missions_language: str  # the language missions are written in (config `language`)
    now: datetime  # from the injected clock

    @cached_property
    def t(self) -> Translator:
        return Translator(self.language)

    @property
    def other_language(self) -> str:
        return next(code for code in LANGUAGES if code != self.language)

    def skill_labels(self, mission: MissionView) -> list[str]:
        return [self.taxonomy.label(tag, self.language) for tag in mission.skills]

    def commitment(self, mission: MissionView) -> str:
        try:
            return self.t(f"mission.commitment.{mission.commitment}")
        except KeyError:
            return mission.commitment

    def join_command(self, mission_id: int | str) -> str:
        return self.t("board.join_command", id=mission_id)
