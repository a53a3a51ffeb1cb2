"""A Matrix m.text event read as a command: its current text, its thread, what it answers, and
the people it points at (pills, m.mentions)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from commands.context import Mention
from commands.identities import is_matrix_user
from commands.people import identity_in

REPLACE = "m.replace"
THREAD = "m.thread"
HTML = "org.matrix.custom.html"
MAX_MENTIONS = 50  # a message naming more people than this is not a staff command


@dataclass(frozen=True)
class TextEvent:
    """What the connector needs from a text message event."""

    text: str
    reply_to: str  # the event the bot's reply points at: the original one for an edit
    thread_root: str | None
    mentions: tuple[Mention, ...] = ()  # pills first, in the order of the text, then m.mentions


def read_text_event(event_id: str, content: Mapping[str, Any]) -> TextEvent | None:
    """The text of an m.text event, or None for anything else (notices, emotes, media).

    An edit (m.replace) counts as its new text, read from m.new_content: never from the
    "* " fallback body. Reply fallbacks ("> <@x> …" lines) are dropped. Of `formatted_body`
    only the pills are read (links to people, outside any <mx-reply> block), with `m.mentions`:
    the text itself always comes from `body`.
    """
    if content.get("msgtype") != "m.text":
        return None
    relation = content.get("m.relates_to")
    relation = relation if isinstance(relation, Mapping) else {}
    reply_to = event_id
    if relation.get("rel_type") == REPLACE:
        new_content = content.get("m.new_content")
        original = relation.get("event_id")
        if not isinstance(new_content, Mapping) or not isinstance(original, str):
            return None
        if new_content.get("msgtype", "m.text") != "m.text":
            return None
        body = new_content.get("body")
        reply_to = original
        is_reply = False
        written: Mapping[str, Any] = new_content
    else:
        body = content.get("body")
        is_reply = isinstance(relation.get("m.in_reply_to"), Mapping)
        written = content
    if not isinstance(body, str):
        return None
    root = relation.get("event_id") if relation.get("rel_type") == THREAD else None
    return TextEvent(
        text=strip_reply_fallback(body, is_reply),
        reply_to=reply_to,
        thread_root=root if isinstance(root, str) else None,
        mentions=read_mentions(written),
    )


def read_mentions(content: Mapping[str, Any]) -> tuple[Mention, ...]:
    """The people a message points at: its pills (`<a href="https://matrix.to/#/@alice:…">`,
    showing a display name in `body`), then the ids of `m.mentions` that no pill names."""
    found: list[Mention] = []
    formatted = content.get("formatted_body")
    if content.get("format") == HTML and isinstance(formatted, str):
        reader = _PillReader()
        reader.feed(formatted)
        reader.close()
        found += reader.pills
    intentional = content.get("m.mentions")
    user_ids = intentional.get("user_ids") if isinstance(intentional, Mapping) else None
    if isinstance(user_ids, list):
        named = {mention.identity for mention in found}
        found += [
            Mention(user_id)
            for user_id in dict.fromkeys(user_ids)
            if isinstance(user_id, str) and is_matrix_user(user_id) and user_id not in named
        ]
    return tuple(found[:MAX_MENTIONS])


class _PillReader(HTMLParser):
    """Links to Matrix users in a message's HTML, with the text they show; what sits in an
    <mx-reply> block (the quoted message a reply answers) is skipped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pills: list[Mention] = []
        self._quoted = 0
        self._link: str | None = None
        self._label: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "mx-reply":
            self._quoted += 1
        elif tag == "a" and not self._quoted and len(self.pills) < MAX_MENTIONS:
            href = dict(attrs).get("href") or ""
            self._link = identity_in(href.strip())
            self._label = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "mx-reply":
            self._quoted = max(0, self._quoted - 1)
        elif tag == "a" and self._link is not None:
            label = " ".join("".join(self._label).split())
            if is_matrix_user(self._link):
                self.pills.append(Mention(self._link, label or None))
            self._link = None

    def handle_data(self, data: str) -> None:
        if self._link is not None:
            self._label.append(data)


def strip_reply_fallback(body: str, is_reply: bool = True) -> str:
    """Drop the quoted lines a client puts before a reply ("> <@alice:x> …" then a blank line).

    Only the leading quote block goes, and only on a reply or when it looks like a fallback.
    """
    lines = body.split("\n")
    if not lines or not lines[0].startswith(">"):
        return body
    if not is_reply and not lines[0].startswith("> <"):
        return body
    index = 0
    while index < len(lines) and lines[index].startswith(">"):
        index += 1
    if index < len(lines) and lines[index].strip() == "":
        index += 1
    return "\n".join(lines[index:])


class RecentThreads:
    """The thread of recent events, so an edit of a command in a thread is answered there."""

    def __init__(self, capacity: int = 2000) -> None:
        self.capacity = capacity
        self._roots: OrderedDict[str, str | None] = OrderedDict()

    def remember(self, event_id: str, root: str | None) -> None:
        self._roots[event_id] = root
        self._roots.move_to_end(event_id)
        while len(self._roots) > self.capacity:
            self._roots.popitem(last=False)

    def root_of(self, event_id: str) -> str | None:
        return self._roots.get(event_id)
