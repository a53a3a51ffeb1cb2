"""Reading the board as a visitor would: the page's structure, the Atom feed's required parts."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from urllib.parse import urlsplit

ATOM = "{http://www.w3.org/2005/Atom}"


@dataclass
class Article:
    id: str
    classes: str
    heading: str = ""
    text: str = ""


@dataclass
class Page:
    """What a browser would show: the language, headings, missions and any resource it loads."""

    language: str | None = None
    h1: list[str] = field(default_factory=list)
    articles: list[Article] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (href, text)
    loads: list[str] = field(default_factory=list)  # tags that fetch or run something
    text: str = ""

    @property
    def titles(self) -> list[str]:
        """Mission titles without their `#N `."""
        return [article.heading.split(" ", 1)[1] for article in self.articles]

    def link_to(self, text: str) -> str:
        return next(href for href, label in self.links if label == text)


class _Reader(HTMLParser):
    LOADING = frozenset(
        {"script", "iframe", "img", "object", "embed", "video", "audio", "source", "base"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._article: Article | None = None
        self._capture: list[str] | None = None
        self._link: tuple[str, list[str]] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "html":
            self.page.language = attributes.get("lang")
        if tag in self.LOADING or (tag == "link" and attributes.get("rel") == "stylesheet"):
            self.page.loads.append(tag)
        if tag == "article":
            self._article = Article(attributes.get("id", ""), attributes.get("class", ""))
        if tag in ("h1", "h2"):
            self._capture = []
        if tag == "a":
            self._link = (attributes.get("href", ""), [])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h1", "h2") and self._capture is not None:
            heading = " ".join("".join(self._capture).split())
            if tag == "h1":
                self.page.h1.append(heading)
            elif self._article is not None:
                self._article.heading = heading
            self._capture = None
        if tag == "a" and self._link is not None:
            href, words = self._link
            self.page.links.append((href, " ".join("".join(words).split())))
            self._link = None
        if tag == "article" and self._article is not None:
            self._article.text = " ".join(self._article.text.split())
            self.page.articles.append(self._article)
            self._article = None

    def handle_data(self, data: str) -> None:
        if self._capture is not None:
            self._capture.append(data)
        if self._link is not None:
            self._link[1].append(data)
        if self._article is not None:
            self._article.text += f" {data}"
        self._text.append(data)


def read_page(html: str) -> Page:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    reader.page.text = " ".join(" ".join(reader._text).split())
    return reader.page


# --- RFC 4287 ---------------------------------------------------------------------------------


def _is_date(text: str | None) -> bool:
    """An RFC 3339 date-time with an explicit offset (section 3.3 of RFC 4287)."""
    if not text or "T" not in text:
        return False
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return moment.tzinfo is not None


def _is_absolute_iri(text: str | None) -> bool:
    return bool(text) and bool(urlsplit(text or "").scheme)


def _exactly_one(element: ET.Element, name: str, where: str) -> list[str]:
    count = len(element.findall(ATOM + name))
    return [] if count == 1 else [f"{where}: {count} atom:{name}, exactly one required"]


def _at_most_one(element: ET.Element, name: str, where: str) -> list[str]:
    count = len(element.findall(ATOM + name))
    return [] if count <= 1 else [f"{where}: {count} atom:{name}, at most one allowed"]


def _links(element: ET.Element, where: str) -> list[str]:
    problems = []
    alternates: Counter[tuple[str | None, str | None]] = Counter()
    for link in element.findall(ATOM + "link"):
        if not link.get("href"):
            problems.append(f"{where}: atom:link without href")
        if link.get("rel", "alternate") == "alternate":
            alternates[(link.get("type"), link.get("hreflang"))] += 1
    problems += [
        f"{where}: {count} alternate links with type/hreflang {key}"
        for key, count in alternates.items()
        if count > 1
    ]
    return problems


def _common(element: ET.Element, where: str) -> list[str]:
    problems = _exactly_one(element, "id", where) + _exactly_one(element, "title", where)
    problems += _exactly_one(element, "updated", where) + _links(element, where)
    for name in ("rights", "summary", "content", "published", "subtitle", "generator"):
        problems += _at_most_one(element, name, where)
    ident = element.find(ATOM + "id")
    if ident is not None and not _is_absolute_iri(ident.text):
        problems.append(f"{where}: atom:id {ident.text!r} is not an absolute IRI")
    for name in ("updated", "published"):
        for moment in element.findall(ATOM + name):
            if not _is_date(moment.text):
                problems.append(f"{where}: atom:{name} {moment.text!r} is not an RFC 3339 date")
    for person in element.findall(ATOM + "author"):
        problems += _exactly_one(person, "name", f"{where}/author")
    for text_construct in ("title", "subtitle", "summary", "rights"):
        for node in element.findall(ATOM + text_construct):
            if node.get("type", "text") not in ("text", "html", "xhtml"):
                problems.append(f"{where}: atom:{text_construct} has type {node.get('type')!r}")
    return problems


def atom_problems(root: ET.Element) -> list[str]:
    """What breaks RFC 4287's MUSTs (section 4.1) in a feed document; empty when valid."""
    if root.tag != ATOM + "feed":
        return [f"the document element is {root.tag}, not atom:feed"]
    problems = _common(root, "feed")
    entries = root.findall(ATOM + "entry")
    feed_has_author = root.find(ATOM + "author") is not None
    for position, entry in enumerate(entries, 1):
        where = f"entry {position}"
        problems += _common(entry, where)
        if not feed_has_author and entry.find(ATOM + "author") is None:
            problems.append(f"{where}: no atom:author here nor on the feed")
        has_alternate = any(
            link.get("rel", "alternate") == "alternate" for link in entry.findall(ATOM + "link")
        )
        if entry.find(ATOM + "content") is None and not has_alternate:
            problems.append(f"{where}: neither atom:content nor an alternate link")
    return problems
