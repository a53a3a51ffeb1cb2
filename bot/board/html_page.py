"""The board as an HTML page: embeddable, self-contained, readable without a script."""

from __future__ import annotations

from importlib import resources

from bot.board.addresses import feed_link, mission_page_link
from bot.board.context import Context
from bot.board.markup import (
    code,
    escape,
    facts_html,
    join_html,
    missions_lang,
    outside_link,
    paragraphs,
    sentence,
)
from bot.board.snapshot import MissionView, Snapshot

STYLE = resources.files("bot").joinpath("templates/board.css").read_text("utf-8")


def badge_and_summary(mission: MissionView, context: Context) -> list[str]:
    """The entry door's badge and the summary, those the mission has."""
    parts = []
    if mission.entry_door:
        parts.append(f'<p class="badge">{escape(context.t("board.entry_door"))}</p>')
    if mission.summary:
        parts.append(f'<p class="summary"{missions_lang(context)}>{escape(mission.summary)}</p>')
    return parts


def article_html(mission: MissionView, context: Context) -> str:
    t, lang = context.t, missions_lang(context)
    anchor = f"mission-{mission.id}"
    parts = [
        f'<article class="mission{" entry-door" if mission.entry_door else ""}" id="{anchor}"'
        f' aria-labelledby="{anchor}-title">',
        f'<h2 id="{anchor}-title"><span class="number">#{mission.id}</span>'
        f' <a href="{escape(mission_page_link(context.language, mission.id))}">'
        f"<span{lang}>{escape(mission.title)}</span></a></h2>",
    ]
    parts += badge_and_summary(mission, context)
    parts.append(facts_html(mission, context))
    if mission.description.strip():
        text = "".join(f"<p{lang}>{escape(block)}</p>" for block in paragraphs(mission.description))
        parts.append(f"<details><summary>{escape(t('board.more'))}</summary>{text}</details>")
    parts.append(f'<p class="join">{join_html(mission, context)}</p>')
    parts.append("</article>")
    return "\n".join(parts)


def where_step_html(context: Context) -> str:
    t, where = context.t, context.where
    matrix = outside_link(where.matrix, t("board.matrix_link")) if where.matrix else ""
    forum_label = t("board.forum_topic_link" if where.forum_is_call else "board.forum_link")
    forum = outside_link(where.forum, forum_label) if where.forum else ""
    kind = "call" if where.forum_is_call else "home"
    if matrix and forum:
        return sentence(t, f"board.step_both_{kind}", matrix=matrix, forum=forum)
    if matrix:
        return sentence(t, "board.step_matrix", matrix=matrix)
    if forum:
        return sentence(t, f"board.step_forum_{kind}", forum=forum)
    return sentence(t, "board.step_nowhere")


def how_html(context: Context) -> str:
    t = context.t
    steps = [
        sentence(t, "board.step_choose"),
        where_step_html(context),
        sentence(t, "board.step_type", command=code(context.join_command("N"))),
    ]
    items = "".join(f"<li>{step}</li>" for step in steps)
    return (
        '<section class="how" aria-labelledby="how-title">'
        f'<h2 id="how-title">{escape(t("board.how_title"))}</h2><ol>{items}</ol></section>'
    )


def missions_html(missions: tuple[MissionView, ...], context: Context) -> str:
    t = context.t
    if not missions:
        return f'<p class="empty">{escape(t("board.empty"))}</p>'
    if len(missions) == 1:
        count = t("board.count_one")
    else:
        count = t("board.count_many", count=len(missions))
    articles = "\n".join(article_html(mission, context) for mission in missions)
    return f'<p class="count">{escape(count)}</p>\n<div class="missions">\n{articles}\n</div>'


def head_html(context: Context, title: str, switch_href: str, feed: str = "") -> str:
    """The page's head: `title`, the same page in the other language, a feed if any."""
    other = context.other_language
    return f"""<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>{escape(title)}</title>
{feed}<link rel="alternate" hreflang="{other}" href="{escape(switch_href)}">
<style>
{STYLE}</style>
</head>"""


def feed_head_link(context: Context) -> str:
    """The board's Atom feed, for readers that look for one in the page."""
    atom = feed_link(context.language, "atom")
    return f"""<link rel="alternate" type="application/atom+xml" href="{escape(atom)}"
 title="{escape(context.t("board.feed_title"))}">
"""


def top_line_html(context: Context, switch_href: str) -> str:
    """The organisation's name, and the link to the same page in the other language."""
    t, other = context.t, context.other_language
    return f"""<div class="top-line">
<p class="organisation">{escape(t("board.organisation"))}</p>
<a class="language" href="{escape(switch_href)}" hreflang="{other}" lang="{other}">{
        escape(t("board.switch"))
    }</a>
</div>"""


def header_html(context: Context, switch_href: str) -> str:
    t = context.t
    return f"""<header class="top"><div class="wrap">
{top_line_html(context, switch_href)}
<h1>{escape(t("board.heading"))}</h1>
<p class="intro">{escape(t("board.intro"))}</p>
</div></header>"""


def footer_html(context: Context) -> str:
    t = context.t
    atom = escape(feed_link(context.language, "atom"))
    data = escape(feed_link(context.language, "json"))
    feeds = sentence(
        t,
        "board.feeds",
        atom=f'<a href="{atom}">{escape(t("board.atom_link"))}</a>',
        json=f'<a href="{data}">{escape(t("board.json_link"))}</a>',
    )
    return f"""<footer class="bottom"><div class="wrap">
<p>{feeds}</p>
<p>{escape(t("board.footer"))}</p>
</div></footer>"""


def render_html(snapshot: Snapshot, context: Context) -> bytes:
    switch = f"?lang={context.other_language}"
    page = f"""<!doctype html>
<html lang="{context.language}">
{head_html(context, context.t("board.page_title"), switch, feed_head_link(context))}
<body>
{header_html(context, switch)}
<main class="wrap">
{how_html(context)}
{missions_html(snapshot.missions, context)}
</main>
{footer_html(context)}
</body>
</html>
"""
    return page.encode("utf-8")
