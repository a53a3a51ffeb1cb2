"""HTML pieces shared by the page and the Atom feed: escaping, sentences, a mission's facts."""

from __future__ import annotations

import html

from bot.board.context import Context
from bot.board.snapshot import MissionView
from commands.i18n import Translator


def escape(text: str) -> str:
    return html.escape(text, quote=True)


def sentence(t: Translator, key: str, **markup: str) -> str:
    """The sentence `key` as HTML: its words escaped, `markup` (already HTML) put in place."""
    text = escape(t(key, **{name: f"\0{name}\0" for name in markup}))
    for name, value in markup.items():
        text = text.replace(f"\0{name}\0", value)
    return text


def code(text: str) -> str:
    return f"<code>{escape(text)}</code>"


def outside_link(url: str, label: str) -> str:
    """A link that leaves the board: a new tab, so an embedding page stays where it is."""
    return f'<a href="{escape(url)}" target="_blank" rel="noopener noreferrer">{escape(label)}</a>'


def paragraphs(text: str) -> list[str]:
    blocks = (" ".join(block.split()) for block in text.strip().split("\n\n"))
    return [block for block in blocks if block]


def missions_lang(context: Context) -> str:
    """` lang="fr"` on the missions' own words when the page is in another language."""
    same = context.missions_language == context.language
    return "" if same else f' lang="{escape(context.missions_language)}"'


def facts_html(mission: MissionView, context: Context) -> str:
    t = context.t
    rows = []
    if mission.skills:
        items = "".join(f"<li>{escape(label)}</li>" for label in context.skill_labels(mission))
        rows.append((t("board.skills"), f'<ul class="skills">{items}</ul>'))
    rows.append((t("board.commitment"), escape(context.commitment(mission))))
    if mission.effort:
        rows.append((t("board.effort"), escape(mission.effort)))
    body = "".join(f"<div><dt>{escape(name)}</dt><dd>{value}</dd></div>" for name, value in rows)
    return f'<dl class="facts">{body}</dl>'


def join_html(mission: MissionView, context: Context) -> str:
    return sentence(context.t, "board.join", command=code(context.join_command(mission.id)))
