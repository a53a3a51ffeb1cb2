"""The bot's messages as Matrix wants them: m.notice, sanitised HTML, replies in their thread."""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import uuid
from typing import Any

from nio import AsyncClient, RoomSendResponse, UploadResponse

from bot.render import to_html, to_plain
from commands.text import Mentions, no_mentions

log = logging.getLogger(__name__)

PAGE_LIMIT = 12_000  # characters of body per message; Matrix events stop at 64 KiB


def transaction_id(event_id: str, index: int) -> str:
    """The transaction id of the `index`-th message answering `event_id`: the same after a
    restart, so Synapse drops a resend instead of posting it twice."""
    digest = hashlib.sha256(event_id.encode()).hexdigest()[:24]
    return f"tremplin-{digest}-{index}"


def fresh_transaction_id() -> str:
    """For messages that answer no event (staff notices, direct messages)."""
    return f"tremplin-{uuid.uuid4().hex}"


def pages(markdown: str, limit: int = PAGE_LIMIT) -> list[str]:
    """Split a long reply on line boundaries so each page's body stays under `limit`."""
    if len(markdown) <= limit:
        return [markdown]
    result: list[str] = []
    current: list[str] = []
    size = 0
    for line in markdown.split("\n"):
        while len(line) > limit:  # one huge line: cut it, there is no better boundary
            if current:
                result.append("\n".join(current))
                current, size = [], 0
            result.append(line[:limit])
            line = line[limit:]
        extra = len(line) + (1 if current else 0)
        if current and size + extra > limit:
            result.append("\n".join(current))
            current, size, extra = [], 0, len(line)
        current.append(line)
        size += extra
    if current:
        result.append("\n".join(current))
    return [page for page in result if page.strip()] or [markdown[:limit]]


def notice_content(
    markdown: str,
    *,
    mention: str | None = None,
    reply_to: str | None = None,
    thread_root: str | None = None,
) -> dict[str, Any]:
    """An m.notice with a plain body and sanitised HTML; mentions at most the person answered
    (`m.mentions`), and never the whole room (`@room` is guarded, whoever wrote it)."""
    safe = no_mentions(markdown, Mentions.ROOM)
    content: dict[str, Any] = {
        "msgtype": "m.notice",
        "body": to_plain(safe, keep_mention_guards=True),
        "format": "org.matrix.custom.html",
        "formatted_body": to_html(safe),
        "m.mentions": {"user_ids": [mention]} if mention else {},
    }
    if reply_to is not None:
        relation: dict[str, Any] = {"m.in_reply_to": {"event_id": reply_to}}
        if thread_root is not None:
            relation.update(rel_type="m.thread", event_id=thread_root, is_falling_back=True)
        content["m.relates_to"] = relation
    return content


def reply_messages(
    replies: list[str], *, event_id: str, reply_to: str, sender: str, thread_root: str | None
) -> list[tuple[str, dict[str, Any]]]:
    """(transaction id, content) of every page of every reply owed for `event_id`."""
    messages: list[tuple[str, dict[str, Any]]] = []
    for page in (page for reply in replies for page in pages(reply)):
        content = notice_content(page, mention=sender, reply_to=reply_to, thread_root=thread_root)
        messages.append((transaction_id(event_id, len(messages)), content))
    return messages


async def send_message(
    client: AsyncClient, room_id: str, content: dict[str, Any], txn_id: str, time_limit: float
) -> bool:
    """Send one message (encrypted when the room is); False, logged, when it didn't go out.

    nio honours M_LIMIT_EXCEEDED's retry_after_ms a bounded number of times
    (AsyncClientConfig.max_limit_exceeded); `time_limit` bounds the whole attempt.
    """
    try:
        response = await asyncio.wait_for(
            client.room_send(
                room_id, "m.room.message", content, tx_id=txn_id, ignore_unverified_devices=True
            ),
            time_limit,
        )
    except asyncio.CancelledError:
        raise
    except Exception as error:  # network, crypto or a room nio doesn't know: retried later
        log.warning("could not send %s to %s: %s: %s", txn_id, room_id, type(error).__name__, error)
        return False
    if not isinstance(response, RoomSendResponse):
        log.warning("could not send %s to %s: %s", txn_id, room_id, response)
        return False
    return True


async def image_content(
    client: AsyncClient, room_id: str, png: bytes, filename: str, caption: str
) -> dict[str, Any] | None:
    """Upload a PNG and describe it as an m.image; in an encrypted room the file is encrypted."""
    encrypted = bool(client.rooms[room_id].encrypted)
    try:
        response, keys = await client.upload(
            io.BytesIO(png),
            content_type="image/png",
            filename=filename,
            encrypt=encrypted,
            filesize=len(png),
        )
    except Exception as error:
        log.warning("could not upload %s: %s", filename, error)
        return None
    if not isinstance(response, UploadResponse):
        log.warning("could not upload %s: %s", filename, response)
        return None
    info = {"mimetype": "image/png", "size": len(png)}
    content: dict[str, Any] = {"msgtype": "m.image", "body": caption or filename, "info": info}
    if encrypted and keys:
        content["file"] = {**keys, "url": response.content_uri, "mimetype": "image/png"}
    else:
        content["url"] = response.content_uri
    return content
