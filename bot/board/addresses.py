"""The board's addresses: its own pages and feeds, and where a visitor goes to join."""

from __future__ import annotations

from dataclasses import dataclass

from commands.i18n import DEFAULT_LANGUAGE


def public_base(public_url: str | None) -> str | None:
    """The absolute address the board lives under, without a trailing slash (None: unknown).

    `web.public_url` may name the site or the board page itself (`…/missions`).
    """
    if public_url:
        return public_url.rstrip("/").removesuffix("/missions")
    return None


def board_url(base: str, language: str, suffix: str = "") -> str:
    url = f"{base}/missions{suffix}"
    return url if language == DEFAULT_LANGUAGE else f"{url}?lang={language}"


def mission_url(base: str, language: str, mission_id: int) -> str:
    return f"{board_url(base, language)}#mission-{mission_id}"


def mission_page_url(base: str, language: str, mission_id: int) -> str:
    """One mission's own page (`/missions/N`), where one learns how to join it."""
    url = f"{base}/missions/{mission_id}"
    return url if language == DEFAULT_LANGUAGE else f"{url}?lang={language}"


def mission_page_link(language: str, mission_id: int) -> str:
    """The same page, relative to the board's own page (`/missions`)."""
    return f"missions/{mission_id}" + ("" if language == DEFAULT_LANGUAGE else f"?lang={language}")


def feed_link(language: str, extension: str) -> str:
    """`missions.atom` or `missions.json` in the page's language, relative to the page."""
    return f"missions.{extension}" + ("" if language == DEFAULT_LANGUAGE else f"?lang={language}")


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


def where_to_apply(
    matrix_room: str | None, forum_url: str | None, forum_place: str | None
) -> Where:
    forum, is_call = forum_link(forum_place, forum_url)
    return Where(matrix_room, forum, is_call)
