"""A public mission as API Engagement's fields: what is sent, and nothing else.

Sent: the mission's title, its description as HTML (summary, description, skills, effort, the
association, how to join), its activities and domain, `remote: full`, its rhythm, its skills as
tags, when it opened, the board page where one applies (with the attribution code), and the
association's name, RNA, SIREN and address. Never sent: coordinators, sensitivity, internal
notes, volunteers, anything about a person.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from bot.board.addresses import public_base
from bot.board.feeds import rfc3339
from bot.board.markup import paragraphs
from bot.board.snapshot import MissionView
from bot.config import Config
from bot.connectors.api_engagement.mapping import activities_for, domain_for
from commands.channels import API_ENGAGEMENT_CODE
from commands.i18n import Translator
from commands.skills import Taxonomy

REMOTE = "full"  # the association's technical missions are all done from home
MISSION_TYPE = "benevolat"


@dataclass(frozen=True)
class Publisher:
    """Who publishes and where one applies: the same for every mission."""

    board_base: str  # the public board's address, without a trailing slash
    language: str  # the language missions are written in
    organization_name: str
    organization_rna: str | None = None
    organization_siren: str | None = None
    organization_url: str | None = None

    @classmethod
    def from_config(cls, config: Config) -> Publisher | None:
        """None when the board has no public address (there would be nowhere to apply)."""
        base = public_base(config.web.public_url)
        organization = config.api_engagement.organization
        if base is None or not organization.name:
            return None
        return cls(
            base,
            config.language,
            organization.name,
            organization.rna,
            organization.siren,
            organization.url,
        )

    def organization_fields(self) -> dict[str, str]:
        fields = {"organizationName": self.organization_name}
        for name, value in (
            ("organizationRNA", self.organization_rna),
            ("organizationSiren", self.organization_siren),
            ("organizationUrl", self.organization_url),
        ):
            if value:
                fields[name] = value
        return fields


def application_url(base: str, mission_id: int) -> str:
    """The mission's own page on the board, with the code that tells `!stats` where the
    volunteer came from."""
    return f"{base}/missions/{mission_id}?via={API_ENGAGEMENT_CODE}"


def schedule(mission: MissionView, t: Translator) -> str:
    commitment = t(f"mission.commitment.{mission.commitment}")
    if mission.effort.strip():
        return t("diffusion.schedule", effort=mission.effort.strip(), commitment=commitment)
    return t("diffusion.schedule_no_effort", commitment=commitment)


def text(words: str) -> str:
    """Words as HTML text. Quotes stay as they are: API Engagement's moderation refuses a
    description containing `&#` (taken for broken encoding), which `'` would become."""
    return html.escape(words, quote=False)


def _fact(t: Translator, name: str, value: str) -> str:
    """`name : value`, the name in bold, the sentence's own words escaped too."""
    sentence = text(t("diffusion.fact", name="\0name\0", value="\0value\0"))
    return sentence.replace("\0name\0", f"<strong>{text(name)}</strong>").replace(
        "\0value\0", text(value)
    )


def description_html(mission: MissionView, publisher: Publisher, taxonomy: Taxonomy) -> str:
    """The description API Engagement shows, built from the catalogue's words, every piece of
    the mission's own text escaped."""
    t = Translator(publisher.language)
    parts = []
    if mission.summary.strip():
        parts.append(f"<p><strong>{text(mission.summary.strip())}</strong></p>")
    parts += [f"<p>{text(block)}</p>" for block in paragraphs(mission.description)]
    if mission.entry_door:
        parts.append(f"<p>{text(t('board.entry_door'))}</p>")
    facts = []
    if mission.skills:
        labels = ", ".join(taxonomy.label(tag, t.language) for tag in mission.skills)
        facts.append((t("board.skills"), labels))
    facts.append((t("board.commitment"), t(f"mission.commitment.{mission.commitment}")))
    if mission.effort.strip():
        facts.append((t("board.effort"), mission.effort.strip()))
    items = "".join(f"<li>{_fact(t, name, value)}</li>" for name, value in facts)
    parts.append(f"<ul>{items}</ul>")
    parts.append(f"<p>{text(t('channel.about_mla'))}</p>")
    parts.append(f"<p>{text(t('channel.offer_practical'))}</p>")
    parts.append(f"<p>{text(t('diffusion.how_to_apply'))}</p>")
    return "".join(parts)


def mission_fields(
    mission: MissionView, publisher: Publisher, taxonomy: Taxonomy
) -> dict[str, Any]:
    """Everything API Engagement is told about `mission` (see the module's docstring)."""
    t = Translator(publisher.language)
    activities = activities_for(mission.skills)
    return {
        "title": mission.title,
        "description": description_html(mission, publisher, taxonomy),
        "applicationUrl": application_url(publisher.board_base, mission.id),
        "domain": domain_for(activities),
        "activities": activities,
        "tags": [taxonomy.label(tag, t.language) for tag in mission.skills],
        "remote": REMOTE,
        "schedule": schedule(mission, t),
        "type": MISSION_TYPE,
        "postedAt": rfc3339(mission.published),
        **publisher.organization_fields(),
    }


def changes(wanted: dict[str, Any], sent: dict[str, Any]) -> dict[str, Any]:
    """What an update must send (PATCH semantics): every field that differs from what API
    Engagement holds; a field no longer sent is emptied (a text to "", a list to [])."""
    changed = {name: value for name, value in wanted.items() if sent.get(name) != value}
    for name, value in sent.items():
        if name not in wanted:
            changed[name] = [] if isinstance(value, list) else ""
    return changed
