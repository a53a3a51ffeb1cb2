"""Saying back what was understood, so a person can correct it: "CSS, WordPress (débutant·e) ;
pas : PHP", "2 h par mois au plus", and the extras of a "why" line."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from commands.i18n import Translator
from commands.skills import Taxonomy
from storage.enums import Commitment, SkillLevel
from storage.models import Volunteer


def skills_said(
    tags: Sequence[str], levels: Mapping[str, SkillLevel], taxonomy: Taxonomy, t: Translator
) -> str:
    """Skills as labels, each with its level when one was said."""
    said = []
    for tag in tags:
        label = taxonomy.label(tag, t.language)
        level = levels.get(tag, SkillLevel.STATED)
        if level is not SkillLevel.STATED:
            label = t(
                "understanding.skill_level", skill=label, level=t(f"understanding.level.{level}")
            )
        said.append(label)
    return ", ".join(said)


def understood(
    tags: Sequence[str],
    levels: Mapping[str, SkillLevel],
    refused: Sequence[str],
    taxonomy: Taxonomy,
    t: Translator,
) -> str:
    """Skills with their levels, then refused ones: "CSS, WordPress (débutant·e) ; pas : PHP"."""
    skills = skills_said(tags, levels, taxonomy, t)
    if not refused:
        return skills
    refused_labels = ", ".join(taxonomy.label(tag, t.language) for tag in refused)
    return t("understanding.with_refused", skills=skills, refused=refused_labels)


def hours_said(hours: float, language: str) -> str:
    """2.0 → "2", 4.33 → "4,3" in French, "4.3" in English: round figures stay round."""
    figure = f"{hours:.0f}" if abs(hours - round(hours)) < 0.05 else f"{hours:.1f}"
    return figure.replace(".", ",") if language == "fr" else figure


def time_said(hours: float | None, commitment: Commitment | None, t: Translator) -> str | None:
    """ "2 h par mois au plus, plutôt des missions régulières", or None when nothing was said."""
    parts = []
    if hours is not None:
        parts.append(t("understanding.hours", hours=hours_said(hours, t.language)))
    if commitment is not None:
        parts.append(t(f"understanding.rhythm.{commitment}"))
    return ", ".join(parts) or None


def stated_skills(volunteer: Volunteer, taxonomy: Taxonomy, t: Translator) -> str:
    """Everything a person told about their skills and time, as kept: for `!mesdonnees`."""
    said = understood(
        volunteer.skills, volunteer.skill_levels, volunteer.refused_skills, taxonomy, t
    )
    time = time_said(volunteer.hours_per_month, volunteer.commitment_preference, t)
    return " · ".join(part for part in (said, time) if part) or "—"
