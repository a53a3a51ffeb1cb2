"""One mission's own page (`/missions/N`): all it asks, and how to join it, step by step.

It is where API Engagement's partner platforms send volunteers (`?via=CODE`): the steps then
begin with `!start CODE`, so that `!stats` counts who came this way.
"""

from __future__ import annotations

from bot.board.addresses import board_url
from bot.board.context import Context
from bot.board.html_page import badge_and_summary, head_html, top_line_html, where_step_html
from bot.board.markup import code, escape, facts_html, missions_lang, paragraphs, sentence
from bot.board.snapshot import MissionView


def _page(context: Context, title: str, body: str, switch_href: str) -> bytes:
    page = f"""<!doctype html>
<html lang="{context.language}">
{head_html(context, title, switch_href)}
<body>
<header class="top"><div class="wrap">
{top_line_html(context, switch_href)}
<p><a href="{escape(board_url(context.base, context.language))}">{
        escape(context.t("mission_page.back"))
    }</a></p>
</div></header>
<main class="wrap single">
{body}
</main>
</body>
</html>
"""
    return page.encode("utf-8")


def switch_link(context: Context, via: str | None) -> str:
    """The same page in the other language (the attribution code kept)."""
    return f"?lang={context.other_language}" + (f"&via={via}" if via else "")


def how_to_join_html(mission: MissionView, context: Context, via: str | None) -> str:
    t = context.t
    steps = [where_step_html(context)]
    if via:
        steps.append(sentence(t, "mission_page.step_start", command=code(f"!start {via}")))
    steps.append(
        sentence(t, "mission_page.step_join", command=code(context.join_command(mission.id)))
    )
    items = "".join(f"<li>{step}</li>" for step in steps)
    return (
        '<section class="how" aria-labelledby="how-title">'
        f'<h2 id="how-title">{escape(t("mission_page.how_title"))}</h2><ol>{items}</ol>'
        "</section>"
    )


def render_mission_page(mission: MissionView, context: Context, via: str | None) -> bytes:
    t, lang = context.t, missions_lang(context)
    parts = [
        f'<article class="mission{" entry-door" if mission.entry_door else ""}"'
        f' id="mission-{mission.id}" aria-labelledby="mission-title">',
        f'<h1 id="mission-title"><span class="number">#{mission.id}</span>'
        f" <span{lang}>{escape(mission.title)}</span></h1>",
    ]
    parts += badge_and_summary(mission, context)
    parts += [f"<p{lang}>{escape(block)}</p>" for block in paragraphs(mission.description)]
    parts.append(facts_html(mission, context))
    parts.append("</article>")
    body = "\n".join(parts) + "\n" + how_to_join_html(mission, context, via)
    title = t("mission_page.title", id=mission.id, title=mission.title)
    return _page(context, title, body, switch_link(context, via))


def render_not_found(context: Context) -> bytes:
    """A mission not open, not public, or not there: the same answer for each (no leak)."""
    t = context.t
    board = board_url(context.base, context.language)
    body = (
        f"<h1>{escape(t('mission_page.not_found_title'))}</h1>"
        f'<p>{escape(t("mission_page.not_found"))} <a href="{escape(board)}">'
        f"{escape(t('mission_page.back'))}</a></p>"
    )
    return _page(context, t("mission_page.not_found_title"), body, switch_link(context, None))
