"""A Matrix m.text event read as a command: its current text, its thread, what it answers."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

REPLACE = "m.replace"
THREAD = "m.thread"


@dataclass(frozen=True)
class TextEvent:
    """What the connector needs from a text message event."""

    text: str
    reply_to: str  # the event the bot's reply points at: the original one for an edit
    thread_root: str | None


def read_text_event(event_id: str, content: Mapping[str, Any]) -> TextEvent | None:
    """The text of an m.text event, or None for anything else (notices, emotes, media).

    An edit (m.replace) counts as its new text, read from m.new_content: never from the
    "* " fallback body. Reply fallbacks ("> <@x> …" lines) are dropped; `formatted_body` is
    never read, so an <mx-reply> block can't reach the brain either.
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
    else:
        body = content.get("body")
        is_reply = isinstance(relation.get("m.in_reply_to"), Mapping)
    if not isinstance(body, str):
        return None
    root = relation.get("event_id") if relation.get("rel_type") == THREAD else None
    return TextEvent(
        text=strip_reply_fallback(body, is_reply),
        reply_to=reply_to,
        thread_root=root if isinstance(root, str) else None,
    )


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
