"""The public mission board: `/missions` as HTML, JSON and Atom, public open missions only."""

from __future__ import annotations

import hashlib
import html
import json
import math
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from importlib import resources
from urllib.parse import urlsplit

from aiohttp import web
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from bot.app import Tremplin, matrix_room_link
from commands.i18n import DEFAULT_LANGUAGE, LANGUAGES, Translator, normalise_language
from commands.skills import Taxonomy
from storage import appeals as appeal_store
from storage.missions import list_visible
from storage.models import Appeal, Mission
from storage.visibility import ANONYMOUS, Surface, visible_missions

STYLE = resources.files("bot").joinpath("templates/board.css").read_text("utf-8")
ATOM = "http://www.w3.org/2005/Atom"
MAX_CACHED_PAGES = 32  # (format, language, address) triples; the address comes from the request
COMMON_HEADERS = {
    "Cache-Control": "public, max-age=60",
    "Vary": "Accept-Language",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # Embeddable anywhere (frame-ancestors *), but the page itself loads nothing from outside.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors *"
    ),
}


# --- what is read from the database ---------------------------------------------------------


@dataclass(frozen=True)
class MissionView:
    """What the board shows of one mission, copied out of the session."""

    id: int
    title: str
    summary: str
    description: str
    skills: tuple[str, ...]
    entry_door: bool
    commitment: str
    effort: str
    published: datetime
    updated: datetime

    @classmethod
    def of(cls, mission: Mission) -> MissionView:
        return cls(
            id=mission.id,
            title=mission.title,
            summary=mission.summary or "",
            description=mission.description or "",
            skills=tuple(mission.skills or ()),
            entry_door=bool(mission.entry_door),
            commitment=mission.commitment,
            effort=mission.effort or "",
            published=mission.opened_at or mission.created_at,
            updated=mission.updated_at,
        )


@dataclass(frozen=True)
class Snapshot:
    """The public open missions (entry doors first, then by number) and the newest forum call."""

    missions: tuple[MissionView, ...]
    forum_place: str | None
    forum_called_at: datetime | None

    @property
    def newest_change(self) -> datetime | None:
        moments = [m.updated for m in self.missions]
        if self.forum_called_at is not None:
            moments.append(self.forum_called_at)
        return max(moments, default=None)


Fingerprint = tuple[object, ...]


async def read_snapshot(session: AsyncSession) -> Snapshot:
    missions = await list_visible(session, ANONYMOUS, Surface.PUBLIC)
    appeal = await appeal_store.newest(session, "forum")
    return Snapshot(
        tuple(MissionView.of(mission) for mission in missions),
        appeal.place if appeal else None,
        appeal.created_at if appeal else None,
    )


async def read_fingerprint(session: AsyncSession) -> Fingerprint:
    """Changes whenever the board would: a public mission appears, changes or goes; a new call."""
    public = visible_missions(ANONYMOUS, Surface.PUBLIC).order_by(None).subquery()
    newest_appeal = select(func.max(Appeal.id)).where(Appeal.channel == "forum").scalar_subquery()
    row = (
        await session.execute(
            select(func.count(), func.max(public.c.updated_at), newest_appeal).select_from(public)
        )
    ).one()
    return tuple(row)


# --- where a visitor applies ----------------------------------------------------------------


@dataclass(frozen=True)
class Where:
    """Where to write `!participer N`: the Matrix room, the forum call (or the forum)."""

    matrix: str | None
    forum: str | None
    forum_is_call: bool


def forum_link(place: str | None, forum_url: str | None) -> tuple[str | None, bool]:
    """The forum topic of the newest call (a URL, or a topic id), else the forum itself."""
    if place and place.startswith(("https://", "http://")):
        return place, True
    if place and place.isdigit() and forum_url:
        return f"{forum_url.rstrip('/')}/t/{place}", True
    return forum_url, False


def where_to_apply(tremplin: Tremplin, snapshot: Snapshot) -> Where:
    config = tremplin.config
    forum, is_call = forum_link(snapshot.forum_place, config.discourse.url)
    return Where(matrix_room_link(config), forum, is_call)


# --- addresses and languages ----------------------------------------------------------------


def site_base(public_url: str | None, request: web.Request) -> str:
    """The absolute address the board lives under, without a trailing slash.

    `web.public_url` may name the site or the board page itself (`…/missions`).
    """
    if public_url:
        return public_url.rstrip("/").removesuffix("/missions")
    return str(request.url.origin())


def board_url(base: str, language: str, suffix: str = "") -> str:
    url = f"{base}/missions{suffix}"
    return url if language == DEFAULT_LANGUAGE else f"{url}?lang={language}"


def mission_url(base: str, language: str, mission_id: int) -> str:
    return f"{board_url(base, language)}#mission-{mission_id}"


def language_from_header(header: str) -> str:
    """The best of our languages in an Accept-Language header; French when none fits."""
    best, best_weight = DEFAULT_LANGUAGE, 0.0
    for item in header.split(","):
        tag, _, parameters = item.partition(";")
        weight = 1.0
        for parameter in parameters.split(";"):
            name, _, value = parameter.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        code = tag.strip().lower().split("-")[0]
        if code in LANGUAGES and weight > best_weight:
            best, best_weight = code, weight
    return best


def requested_language(request: web.Request) -> str:
    """`?lang=` first, then the browser's Accept-Language."""
    asked = request.query.get("lang")
    if asked:
        return normalise_language(asked)
    return language_from_header(request.headers.get("Accept-Language", ""))


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# --- rendering ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """Everything a format needs besides the missions: language, addresses, labels."""

    language: str
    base: str
    taxonomy: Taxonomy
    where: Where
    missions_language: str  # the language missions are written in (config `language`)

    @cached_property
    def t(self) -> Translator:
        return Translator(self.language)

    @property
    def other_language(self) -> str:
        return next(code for code in LANGUAGES if code != self.language)

    @property
    def missions_lang(self) -> str:
        """` lang="fr"` on the missions' own words when the page is in another language."""
        same = self.missions_language == self.language
        return "" if same else f' lang="{escape(self.missions_language)}"'

    def skill_labels(self, mission: MissionView) -> list[str]:
        return [self.taxonomy.label(tag, self.language) for tag in mission.skills]

    def commitment(self, mission: MissionView) -> str:
        try:
            return self.t(f"mission.commitment.{mission.commitment}")
        except KeyError:
            return mission.commitment

    def join_command(self, mission_id: int | str) -> str:
        return self.t("board.join_command", id=mission_id)


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


def article_html(mission: MissionView, context: Context) -> str:
    t = context.t
    anchor = f"mission-{mission.id}"
    parts = [
        f'<article class="mission{" entry-door" if mission.entry_door else ""}" id="{anchor}"'
        f' aria-labelledby="{anchor}-title">',
        f'<h2 id="{anchor}-title"><span class="number">#{mission.id}</span>'
        f" <span{context.missions_lang}>{escape(mission.title)}</span></h2>",
    ]
    if mission.entry_door:
        parts.append(f'<p class="badge">{escape(t("board.entry_door"))}</p>')
    if mission.summary:
        parts.append(f'<p class="summary"{context.missions_lang}>{escape(mission.summary)}</p>')
    parts.append(facts_html(mission, context))
    if mission.description.strip():
        text = "".join(
            f"<p{context.missions_lang}>{escape(block)}</p>"
            for block in paragraphs(mission.description)
        )
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


def feed_link(context: Context, extension: str) -> str:
    """`missions.atom` or `missions.json` in the page's language, relative to the page."""
    language = context.language
    return f"missions.{extension}" + ("" if language == DEFAULT_LANGUAGE else f"?lang={language}")


def head_html(context: Context) -> str:
    t, other = context.t, context.other_language
    return f"""<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>{escape(t("board.page_title"))}</title>
<link rel="alternate" type="application/atom+xml" href="{escape(feed_link(context, "atom"))}"
 title="{escape(t("board.feed_title"))}">
<link rel="alternate" hreflang="{other}" href="?lang={other}">
<style>
{STYLE}</style>
</head>"""


def header_html(context: Context) -> str:
    t, other = context.t, context.other_language
    switch = escape(t("board.switch"))
    return f"""<header class="top"><div class="wrap">
<div class="top-line">
<p class="organisation">{escape(t("board.organisation"))}</p>
<a class="language" href="?lang={other}" hreflang="{other}" lang="{other}">{switch}</a>
</div>
<h1>{escape(t("board.heading"))}</h1>
<p class="intro">{escape(t("board.intro"))}</p>
</div></header>"""


def footer_html(context: Context) -> str:
    t = context.t
    atom = escape(feed_link(context, "atom"))
    data = escape(feed_link(context, "json"))
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
    page = f"""<!doctype html>
<html lang="{context.language}">
{head_html(context)}
<body>
{header_html(context)}
<main class="wrap">
{how_html(context)}
{missions_html(snapshot.missions, context)}
</main>
{footer_html(context)}
</body>
</html>
"""
    return page.encode("utf-8")


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
        "join_command": context.join_command(mission.id),
        "updated_at": rfc3339(mission.updated),
    }


def render_json(snapshot: Snapshot, context: Context) -> bytes:
    document = {
        "missions": [mission_json(mission, context) for mission in snapshot.missions],
        "generated_at": rfc3339(datetime.now(UTC)),
        "language": context.language,
        "apply": {"matrix": context.where.matrix, "forum": context.where.forum},
    }
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


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
    atom_child(feed, "updated", rfc3339(snapshot.newest_change or datetime.now(UTC)))
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


@dataclass(frozen=True)
class Format:
    """One representation of the board."""

    content_type: str
    render: Callable[[Snapshot, Context], bytes]
    cross_origin: bool = False  # data formats may be read by the association's own site


FORMATS = {
    "html": Format("text/html", render_html),
    "json": Format("application/json", render_json, cross_origin=True),
    "atom": Format("application/atom+xml", render_atom, cross_origin=True),
}


# --- serving --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    body: bytes
    etag: str


RECHECK_SECONDS = 5.0


@dataclass
class ChangeCounter:
    """How many commits in this process touched a mission or a call for volunteers."""

    value: int = 0


BOARD_CHANGES = ChangeCounter()


@event.listens_for(Session, "after_flush")
def _note_board_change(session: Session, _flush: object) -> None:
    touched = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(item, Mission | Appeal) for item in touched):
        session.info["board_changed"] = True


@event.listens_for(Session, "after_commit")
def _count_board_change(session: Session) -> None:
    if session.info.pop("board_changed", False):
        BOARD_CHANGES.value += 1


@event.listens_for(Session, "after_rollback")
def _forget_board_change(session: Session) -> None:
    session.info.pop("board_changed", None)


class Board:
    """Serves the board, and keeps each rendered page while the public missions stay the same.

    Whether they changed is a small query (count, newest change, newest forum call), asked
    again at once after this process commits a change to a mission or a call, and otherwise at
    most every `recheck_seconds` (for changes made elsewhere: another process, a bulk update).
    One query per request would cost most of what the cache saves (see bench/bench_web.py).
    """

    def __init__(
        self,
        tremplin: Tremplin,
        *,
        caching: bool = True,
        recheck_seconds: float = RECHECK_SECONDS,
    ) -> None:
        self.tremplin = tremplin
        self.caching = caching
        self.recheck_seconds = recheck_seconds
        self._fingerprint: Fingerprint | None = None
        self._checked_at = -math.inf
        self._changes_seen = -1
        self._pages: dict[tuple[str, str, str], Rendered] = {}

    def _still_current(self, now: float) -> bool:
        return (
            self._changes_seen == BOARD_CHANGES.value
            and now - self._checked_at < self.recheck_seconds
        )

    async def _current_fingerprint(self) -> Fingerprint:
        now = time.monotonic()
        if self._fingerprint is not None and self._still_current(now):
            return self._fingerprint
        self._changes_seen = BOARD_CHANGES.value  # before reading: a commit during it counts
        async with self.tremplin.database.session() as session:
            fingerprint = await read_fingerprint(session)
        if fingerprint != self._fingerprint:
            self._pages.clear()
            self._fingerprint = fingerprint
        self._checked_at = now
        return fingerprint

    async def _render(self, kind: str, language: str, base: str) -> Rendered:
        async with self.tremplin.database.session() as session:
            snapshot = await read_snapshot(session)
        context = Context(
            language,
            base,
            self.tremplin.brain.services.taxonomy,
            where_to_apply(self.tremplin, snapshot),
            self.tremplin.config.language,
        )
        body = FORMATS[kind].render(snapshot, context)
        return Rendered(body, hashlib.sha256(body).hexdigest()[:24])

    async def page(self, kind: str, language: str, base: str) -> Rendered:
        if not self.caching:
            return await self._render(kind, language, base)
        fingerprint = await self._current_fingerprint()
        key = (kind, language, base)
        cached = self._pages.get(key)
        if cached is not None:
            return cached
        rendered = await self._render(kind, language, base)
        if self._fingerprint == fingerprint:  # not if the missions changed while rendering
            if len(self._pages) >= MAX_CACHED_PAGES:
                self._pages.clear()
            self._pages[key] = rendered
        return rendered

    async def serve(self, request: web.Request, kind: str) -> web.Response:
        language = requested_language(request)
        base = site_base(self.tremplin.config.web.public_url, request)
        rendered = await self.page(kind, language, base)
        headers = {**COMMON_HEADERS, "Content-Language": language}
        if FORMATS[kind].cross_origin:
            headers["Access-Control-Allow-Origin"] = "*"
        if is_fresh(request, rendered):
            response = web.Response(status=304, headers=headers)
        else:
            response = web.Response(
                body=rendered.body,
                content_type=FORMATS[kind].content_type,
                charset="utf-8",
                headers=headers,
            )
        response.etag = rendered.etag
        return response

    async def html_page(self, request: web.Request) -> web.Response:
        return await self.serve(request, "html")

    async def json_document(self, request: web.Request) -> web.Response:
        return await self.serve(request, "json")

    async def atom_feed(self, request: web.Request) -> web.Response:
        return await self.serve(request, "atom")


def is_fresh(request: web.Request, rendered: Rendered) -> bool:
    """The visitor's copy (If-None-Match) is this one.

    No Last-Modified: closing the newest mission would move the newest change back in time,
    and a client asking If-Modified-Since would keep a board that still shows it.
    """
    tags = request.if_none_match or ()
    return any(tag.value in (rendered.etag, "*") for tag in tags)


BOARD_KEY = web.AppKey("board", Board)


def add_board_routes(app: web.Application) -> None:
    """`GET /missions`, `/missions.json`, `/missions.atom` on an app made by `make_app`."""
    from bot.web import TREMPLIN_KEY  # bot.web imports this module: read its key once it exists

    board = Board(app[TREMPLIN_KEY])
    app[BOARD_KEY] = board
    app.router.add_get("/missions", board.html_page)
    app.router.add_get("/missions.json", board.json_document)
    app.router.add_get("/missions.atom", board.atom_feed)
