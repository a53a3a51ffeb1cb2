"""The call for volunteers for each external channel, within that channel's limits."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from commands.i18n import Translator
from commands.text import no_mentions, one_line
from storage.models import Mission


@dataclass(frozen=True)
class Channel:
    """An outreach channel: its name, the code newcomers type, its kind and its length limit."""

    name: str
    code: str
    kind: str  # short | post | offer | email | website | chat
    limit: int | None = None


CHANNELS: dict[str, Channel] = {
    channel.name: channel
    for channel in (
        Channel("mastodon", "masto", "short", 500),
        Channel("x", "x", "short", 280),
        Channel("facebook", "fb", "post", 5000),
        Channel("linkedin", "li", "post", 3000),
        Channel("webassoc", "webassoc", "offer"),
        Channel("jeveuxaider", "jva", "offer"),
        Channel("paris-je-m-engage", "pjm", "offer"),
        Channel("tous-benevoles", "tb", "offer"),
        Channel("benenova", "benenova", "offer"),
        Channel("diffuz", "diffuz", "offer"),
        Channel("email", "mvac", "email"),
        Channel("website", "site", "website"),
        Channel("forum", "chatons", "chat"),
        Channel("matrix", "matrix", "chat"),
    )
}
CODES = {channel.code: channel.name for channel in CHANNELS.values()}
# The code in the address of each mission published on API Engagement: people who come from
# its partner platforms (JeVeuxAider.gouv.fr…) are asked to write `!start engagement`.
API_ENGAGEMENT_CODE = "engagement"
SOURCES = {**CODES, API_ENGAGEMENT_CODE: "api-engagement"}  # every code `!stats` names


@dataclass(frozen=True)
class Links:
    """Where newcomers go: the Matrix room, the forum, the public board (each may be absent)."""

    matrix: str | None = None
    forum: str | None = None
    board: str | None = None


@dataclass(frozen=True)
class Rendered:
    channel: str
    text: str
    subject: str | None = None


def channel_named(name: str) -> Channel | None:
    return CHANNELS.get(name.strip().lower())


def _join_line(t: Translator, channel: Channel, links: Links) -> str:
    where = links.matrix or links.forum or links.board
    key = "channel.join_at" if where else "channel.join"
    return t(key, where=where or "", code=channel.code)


def _short(channel: Channel, missions: list[Mission], t: Translator, links: Links) -> str:
    """Drop examples, then shorten titles, until the text fits the channel."""
    tags = t("channel.hashtags") if channel.name == "mastodon" else ""
    join = _join_line(t, channel, links)
    limit = channel.limit or 500
    for width in (80, 50, 30):  # whole titles first, fewer of them; cut titles only if needed
        for count in range(min(len(missions), 3), -1, -1):
            examples = "; ".join(no_mentions(one_line(m.title, width)) for m in missions[:count])
            parts = [t("channel.short_intro")]
            if examples:
                parts.append(t("channel.examples_inline", examples=examples))
            parts.append(join)
            text = " ".join(parts) + (f"\n\n{tags}" if tags else "")
            if len(text) <= limit:
                return text
    return one_line(f"{t('channel.short_intro')} {join}", limit)


def _mission_block(mission: Mission, t: Translator) -> str:
    bits = [no_mentions(one_line(mission.title, 120))]
    if mission.effort:
        bits.append(f"({mission.effort})")
    summary = f" — {no_mentions(one_line(mission.summary, 200))}" if mission.summary else ""
    return "• " + " ".join(bits) + summary


def _long(channel: Channel, missions: list[Mission], t: Translator, links: Links) -> str:
    lines = [t("appeal.intro"), "", t("appeal.examples")]
    lines += [_mission_block(m, t) for m in missions]
    lines += ["", t("channel.about_mla")]
    if channel.kind == "offer":
        lines += ["", t("channel.offer_practical")]
    lines += ["", _join_line(t, channel, links)]
    if links.board:
        lines.append(t("channel.board", url=links.board))
    text = "\n".join(lines)
    return text[: channel.limit] if channel.limit else text


def _website(channel: Channel, missions: list[Mission], t: Translator, links: Links) -> str:
    items = "\n".join(
        f"    <li><strong>{escape(m.title)}</strong>"
        + (f" — {escape(m.summary)}" if m.summary else "")
        + (f" <em>({escape(m.effort)})</em>" if m.effort else "")
        + "</li>"
        for m in missions
    )
    link = links.board or links.matrix or links.forum
    action = (
        f'  <p><a href="{escape(link)}">{escape(t("channel.website_cta"))}</a> — '
        f"{escape(t('channel.code_hint', code=channel.code))}</p>"
        if link
        else f"  <p>{escape(_join_line(t, channel, links))}</p>"
    )
    return (
        f'<section class="mla-benevolat" lang="{t.language}">\n'
        f"  <h2>{escape(t('channel.website_title'))}</h2>\n"
        f"  <p>{escape(t('appeal.intro'))}</p>\n"
        f"  <ul>\n{items}\n  </ul>\n{action}\n</section>\n"
    )


def render_for_channel(
    channel: Channel, missions: list[Mission], t: Translator, links: Links
) -> Rendered:
    """The text for `channel`; `missions` must already be public, open, entry doors first."""
    if channel.kind == "short":
        return Rendered(channel.name, _short(channel, missions, t, links))
    if channel.kind == "website":
        return Rendered(channel.name, _website(channel, missions, t, links))
    body = _long(channel, missions, t, links)
    if channel.kind == "email":
        return Rendered(channel.name, body, subject=t("channel.email_subject"))
    return Rendered(channel.name, body)
