"""Time people offer ("2 h par mois, pas plus", "a few hours every month") and what a
mission asks ("2 h / semaine", "15 h"), both in hours, to compare them."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from commands.understanding.lexicon import NUMBER_WORDS, words_of
from storage.enums import Commitment

WEEKS_PER_MONTH = 52 / 12
# How long people mean by an evening, a day, a weekend… when they count in them.
_UNIT_HOURS = {
    "h": 1.0, "hr": 1.0, "hrs": 1.0, "heure": 1.0, "heures": 1.0, "hour": 1.0, "hours": 1.0,
    "soiree": 3.0, "soirees": 3.0, "evening": 3.0, "evenings": 3.0, "night": 3.0,
    "nights": 3.0, "matinee": 3.0, "matinees": 3.0, "morning": 3.0, "mornings": 3.0,
    "apres-midi": 4.0, "apres midi": 4.0, "afternoon": 4.0, "afternoons": 4.0,
    "demi-journee": 4.0, "demi journee": 4.0, "demi-journees": 4.0, "half-day": 4.0,
    "half day": 4.0, "half-days": 4.0, "journee": 8.0, "journees": 8.0, "jour": 8.0,
    "jours": 8.0, "day": 8.0, "days": 8.0, "week-end": 16.0, "weekend": 16.0,
    "week-ends": 16.0, "weekends": 16.0, "week end": 16.0,
}  # fmt: skip
# The words those units are written with: a text with none of them and no digit offers no time.
UNIT_WORDS = frozenset(word for unit in _UNIT_HOURS for word in words_of(unit))
_PERIOD_PER_MONTH = {
    "semaine": WEEKS_PER_MONTH, "semaines": WEEKS_PER_MONTH, "sem": WEEKS_PER_MONTH,
    "week": WEEKS_PER_MONTH, "weeks": WEEKS_PER_MONTH, "week-end": WEEKS_PER_MONTH,
    "weekend": WEEKS_PER_MONTH, "week end": WEEKS_PER_MONTH, "mois": 1.0, "month": 1.0,
    "months": 1.0, "jour": 30.0, "jours": 30.0, "day": 30.0, "days": 30.0, "an": 1 / 12,
    "ans": 1 / 12, "annee": 1 / 12, "annees": 1 / 12, "year": 1 / 12, "years": 1 / 12,
    "quinzaine": 2.0, "fortnight": 2.0,
}  # fmt: skip
# "le dimanche", "on Sundays", "le week-end": a day of every week.
_WEEKLY_DAYS = (
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche", "monday",
    "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "week-end", "weekend",
    "week end",
)  # fmt: skip
_VAGUE = {"quelques": 3.0, "a few": 3.0, "few": 3.0, "a couple of": 2.0, "a couple": 2.0,
          "couple of": 2.0, "une demi": 0.5, "demi": 0.5, "half an": 0.5, "half a": 0.5,
          "half": 0.5, "a": 1.0, "an": 1.0}  # fmt: skip
_NUMBER = r"\d+(?:[.,]\d+)?|" + "|".join(
    sorted((re.escape(word) for word in {*NUMBER_WORDS, *_VAGUE}), key=len, reverse=True)
)
_UNIT = "|".join(sorted((re.escape(u) for u in _UNIT_HOURS), key=len, reverse=True))
_PERIOD = "|".join(sorted((re.escape(p) for p in _PERIOD_PER_MONTH), key=len, reverse=True))
_DAY = "|".join(sorted((re.escape(d) for d in _WEEKLY_DAYS), key=len, reverse=True))
_OFFER = re.compile(
    rf"(?<![\w.,])(?P<low>{_NUMBER})(?:\s*(?:-|a|to|ou|or)\s*(?P<high>{_NUMBER}))?\s*"
    rf"(?P<unit>{_UNIT})(?!\w)(?:\s*(?:ou|or)\s*(?P<after>{_NUMBER})(?!\w))?"
    rf"\s*(?:max(?:imum)?\s*|environ\s*|about\s*|max\.\s*)?"
    rf"(?:(?:par|per|a|an|each|every|chaque|tous les|toutes les|dans la|dans le|au|/)\s*"
    rf"(?P<period>{_PERIOD})(?!\w)|(?:le|les|on|every|chaque|tous les)\s*(?:{_DAY})s?(?!\w))"
)
_EFFORT = re.compile(
    rf"(?P<amount>\d+(?:[.,]\d+)?)\s*(?P<unit>{_UNIT})(?!\w)"
    rf"(?:\s*(?:/|par|per|a|an|each|every|chaque)\s*(?P<period>{_PERIOD})(?!\w))?"
)


def _number(text: str) -> float:
    if text[0].isdigit():
        return float(text.replace(",", "."))
    return float(NUMBER_WORDS.get(text) or _VAGUE[text])


def hours_per_month(text: str) -> float | None:
    """The time a person offers, in hours a month; None if they didn't say.

    A range counts its upper end ("2 à 3 h", "une heure ou deux"): what is offered is a
    ceiling. A day named as habit ("le dimanche", "on Sundays") is once a week.
    """
    match = _OFFER.search(_ascii(text))
    if match is None:
        return None
    amount = _number(match["high"] or match["after"] or match["low"])
    period = match["period"]
    per_month = _PERIOD_PER_MONTH[period] if period is not None else WEEKS_PER_MONTH
    return round(amount * _UNIT_HOURS[match["unit"]] * per_month, 2)


@dataclass(frozen=True)
class Effort:
    """What a mission asks: hours once, or hours every month."""

    hours: float
    monthly: bool

    def fits(self, offered_per_month: float) -> bool:
        """Whether a person offering that many hours a month can take it on: a one-off
        mission may spread over two months, a recurring one must fit in each."""
        limit = offered_per_month if self.monthly else 2 * offered_per_month
        return self.hours <= limit * 1.05


def mission_effort(effort: str, commitment: Commitment) -> Effort | None:
    """A mission's effort text ("2 h", "4 h / mois", "2 h / semaine") in hours; None when it
    says no number of hours."""
    match = _EFFORT.search(_ascii(effort))
    if match is None:
        return None
    hours = _number(match["amount"]) * _UNIT_HOURS[match["unit"]]
    period = match["period"]
    if period is not None:
        return Effort(round(hours * _PERIOD_PER_MONTH[period], 2), monthly=True)
    return Effort(hours, monthly=commitment is Commitment.RECURRING)


def _ascii(text: str) -> str:
    """Lowercase ASCII, accents dropped, in C: what the patterns above are written in."""
    return unicodedata.normalize("NFKD", text.casefold()).encode("ascii", "ignore").decode()
