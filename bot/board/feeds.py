"""The board for programs: a JSON document for websites, an Atom feed (RFC 4287) for readers."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from urllib.parse import urlsplit

from bot.board.addresses import board_url, mission_page_url, mission_url
from bot.board.context import Context
from bot.board.markup import escape, facts_html, join_html
from bot.board.snapshot import MissionView, Snapshot

ATOM = "http://www.w3.org/2005/Atom"


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# --- JSON -------------------------------------------------------------------------------------


def mission_json(mission: MissionView, context: Context) -> dict[str, object]:
    return {
        "id": mission.id,
        "title": mission.title,
        "summary": mission.summary,
        "skills": list(mission.skills),
        "skill_labels": context.skill_labels(mission),
        "entry_door": mission.entry_door,
        "commitment": mission.commitment,
        "commitment_label": context.commitment(mission),
        "effort": mission.effort,
        "url": mission_url(context.base, context.language, mission.id),
        "page": mission_page_url(context.base, context.language, mission.id),
        "join_command": context.join_command(mission.id),
        "updated_at": rfc3339(mission.updated),
    }


def render_json(snapshot: Snapshot, context: Context) -> bytes:
    document = {
        "missions": [mission_json(mission, context) for mission in snapshot.missions],
        "generated_at": rfc3339(context.now),
        "language": context.language,
        "apply": {"matrix": context.where.matrix, "forum": context.where.forum},
    }
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


# --- Atom -------------------------------------------------------------------------------------


def atom_child(
    parent: ET.Element, name: str, text: str | None = None, **attributes: str
) -> ET.Element:
    child = ET.SubElement(parent, name, attributes)
    child.text = text
    return child


def entry_id(base: str, mission: MissionView) -> str:
    """A tag: URI (RFC 4151) that stays the same for the mission's whole life."""
    host = urlsplit(base).hostname or "localhost"
    return f"tag:{host},{mission.published:%Y-%m-%d}:tremplin/mission/{mission.id}"


def entry_content(mission: MissionView, context: Context) -> str:
    parts = [f"<p>{escape(mission.summary)}</p>"] if mission.summary else []
    if mission.entry_door:
        parts.append(f"<p><strong>{escape(context.t('board.entry_door'))}</strong></p>")
    parts.append(facts_html(mission, context))
    parts.append(f"<p>{join_html(mission, context)}</p>")
    return "".join(parts)


def atom_entry(feed: ET.Element, mission: MissionView, context: Context) -> None:
    entry = atom_child(feed, "entry")
    atom_child(entry, "id", entry_id(context.base, mission))
    atom_child(entry, "title", f"#{mission.id} {mission.title}", type="text")
    atom_child(entry, "updated", rfc3339(mission.updated))
    atom_child(entry, "published", rfc3339(mission.published))
    href = mission_url(context.base, context.language, mission.id)
    atom_child(entry, "link", rel="alternate", type="text/html", href=href)
    page = mission_page_url(context.base, context.language, mission.id)
    atom_child(entry, "link", rel="related", type="text/html", href=page)
    for tag, label in zip(mission.skills, context.skill_labels(mission), strict=True):
        atom_child(entry, "category", term=tag, label=label)
    if mission.summary:
        atom_child(entry, "summary", mission.summary, type="text")
    atom_child(entry, "content", entry_content(mission, context), type="html")


def render_atom(snapshot: Snapshot, context: Context) -> bytes:
    t, base, language = context.t, context.base, context.language
    # Unqualified names under an explicit default namespace: ElementTree's `default_namespace`
    # refuses plain attribute names, and `register_namespace` would change it for everyone.
    feed = ET.Element("feed", {"xmlns": ATOM, "xml:lang": language})
    self_url = board_url(base, language, ".atom")
    atom_child(feed, "id", self_url)
    atom_child(feed, "title", t("board.feed_title"), type="text")
    atom_child(feed, "subtitle", t("board.feed_subtitle"), type="text")
    atom_child(feed, "updated", rfc3339(snapshot.newest_change or context.now))
    atom_child(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    alternate = board_url(base, language)
    atom_child(feed, "link", rel="alternate", type="text/html", hreflang=language, href=alternate)
    author = atom_child(feed, "author")
    atom_child(author, "name", t("board.organisation"))
    atom_child(author, "uri", alternate)
    atom_child(feed, "generator", "Tremplin")
    for mission in snapshot.missions:
        atom_entry(feed, mission, context)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
