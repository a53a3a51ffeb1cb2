"""How missions and lists look in a reply: `#N title` lines, mission cards."""

from __future__ import annotations

from commands.i18n import Translator
from commands.skills import Taxonomy
from commands.text import user_text
from storage.enums import MissionStatus, Sensitivity
from storage.models import Mission


def mission_ref(mission: Mission) -> str:
    """`#N Title`, nothing more."""
    return f"#{mission.id} {user_text(mission.title)}"


def mission_line(mission: Mission, t: Translator, *, detail: str = "") -> str:
    """`#N Title — porte d'entrée · 2 h`, on one line."""
    bits = []
    if mission.entry_door:
        bits.append(t("mission.entry_door_short"))
    if mission.effort:
        bits.append(mission.effort)
    if mission.status != MissionStatus.OPEN:
        bits.append(t(f"mission.status.{mission.status}"))
    if mission.sensitivity != Sensitivity.PUBLIC:
        bits.append(t(f"mission.sensitivity.{mission.sensitivity}"))
    suffix = f" — {' · '.join(bits)}" if bits else ""
    extra = f" — {detail}" if detail else ""
    return f"#{mission.id} {user_text(mission.title)}{extra}{suffix}"


def skill_list(tags: list[str] | tuple[str, ...], taxonomy: Taxonomy, language: str) -> str:
    return ", ".join(taxonomy.label(tag, language) for tag in tags)


def mission_card(
    mission: Mission,
    t: Translator,
    taxonomy: Taxonomy,
    *,
    for_staff: bool = False,
    join_hint: bool = True,
) -> str:
    """Everything a volunteer needs to decide, and staff details for staff."""
    lines = [f"**#{mission.id} {user_text(mission.title)}**"]
    if mission.summary:
        lines.append(user_text(mission.summary))
    if mission.description:
        lines += ["", user_text(mission.description.strip()), ""]
    if mission.skills:
        lines.append(t("mission.skills", skills=skill_list(mission.skills, taxonomy, t.language)))
    facts = [t(f"mission.commitment.{mission.commitment}")]
    if mission.entry_door:
        facts.insert(0, t("mission.entry_door_long"))
    if mission.effort:
        facts.append(user_text(mission.effort))
    lines.append(" · ".join(facts))
    if for_staff:
        lines.append(
            t(
                "mission.staff_facts",
                status=t(f"mission.status.{mission.status}"),
                sensitivity=t(f"mission.sensitivity.{mission.sensitivity}"),
                coordinators=", ".join(mission.coordinators) or t("mission.default_coordinators"),
            )
        )
    if join_hint and mission.status == MissionStatus.OPEN:
        lines.append(t("mission.how_to_join", id=mission.id))
    return "\n".join(lines)
