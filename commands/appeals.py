"""Calls for volunteers ("appels à bénévoles"): composed from the catalogue, then published."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from commands.channels import Channel, Links, Rendered, render_for_channel
from commands.checks import STAFF, min_trust
from commands.context import Context, Where
from commands.errors import BadArgument, Refused
from commands.i18n import Translator
from commands.ports import AppealPublisher, AppealText, PortError
from commands.render import mission_line, mission_ref
from commands.router import Router
from commands.services import Services
from commands.text import echo, fold
from storage import appeals as appeal_store
from storage import audit
from storage import missions as mission_store
from storage.database import Session
from storage.enums import MissionStatus, Trust
from storage.models import Mission
from storage.visibility import ANONYMOUS, Surface, can_recall

router = Router("appeals")
log = logging.getLogger(__name__)
MONTHS = {
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
}
PLATFORMS = {"forum": "discourse", "discourse": "discourse", "matrix": "matrix"}


@dataclass(frozen=True)
class AppealDraft:
    """The generalist call and the entry-door missions it shows (never internal or confidential)."""

    missions: list[Mission]
    language: str

    def month(self, moment: datetime) -> str:
        return f"{MONTHS[self.language][moment.month - 1]} {moment.year}"


async def appeal_missions(session: Session, limit: int = 4) -> list[Mission]:
    """2 to 4 public open missions for a public text: entry doors first."""
    public = await mission_store.list_visible(session, ANONYMOUS, Surface.PUBLIC)
    return public[:limit]


def chat_text(draft: AppealDraft, t: Translator, moment: datetime, *, forum: bool) -> AppealText:
    """The call as it reads in the team chat or on the forum."""
    lines = [t("appeal.intro"), "", t("appeal.examples")]
    lines += [mission_line(mission, t) for mission in draft.missions]
    lines += ["", t("appeal.how_forum" if forum else "appeal.how_chat")]
    title = t("appeal.title", month=draft.month(moment))
    return AppealText(title=title, body="\n".join(lines), language=draft.language)


@router.command("appel", aliases=("appeal",), requires=(STAFF,), answers=Where.TEAM)
async def appel(ctx: Context, action: str | None = None, channel: str | None = None) -> None:
    """!appel [publier forum|matrix]"""
    draft = AppealDraft(await appeal_missions(ctx.session), ctx.language)
    if action is None:
        text = chat_text(draft, ctx.t, ctx.now(), forum=False)
        ctx.reply(f"**{text.title}**\n\n{text.body}\n\n{ctx.t('appeal.preview_hint')}")
        return
    if fold(action) not in {"publier", "publish"}:
        raise BadArgument("appeal.bad_action", value=echo(action))
    platform = PLATFORMS.get(fold(channel or ""))
    if platform is None:
        raise BadArgument("appeal.bad_channel", value=echo(channel or ""))
    publisher = ctx.services.hub.for_platform(platform)
    if not isinstance(publisher, AppealPublisher):
        raise Refused("appeal.not_connected", channel=echo(channel or ""))
    text = chat_text(draft, ctx.t, ctx.now(), forum=platform == "discourse")
    where = echo(channel or "")
    ctx.reply(ctx.t("appeal.publishing", channel=where))
    ctx.after_commit.append(lambda: publish_call(ctx, publisher, platform, where, text, draft))


async def publish_call(
    ctx: Context,
    publisher: AppealPublisher,
    platform: str,
    where: str,
    text: AppealText,
    draft: AppealDraft,
) -> None:
    """Once the command's transaction is committed (no database lock held while the platform
    works): publish, record where in a second short transaction, then tell the person."""
    try:
        places = await publisher.publish_appeal(text)
    except PortError as error:  # the platform said no, or can't be reached: say which
        log.warning("the call was not published: %s", error)
        await ctx.replace_replies([ctx.t(error.key, **error.params)])
        return
    except Exception:
        log.exception("could not publish the call on %s", platform)
        await ctx.replace_replies([ctx.t("appeal.publish_failed", channel=where)])
        return
    async with ctx.database.session() as session:
        await record_appeal(session, platform, places, draft, ctx.sender, now=ctx.now())
    if any(appeal_store.is_pending(place) for place in places):
        await ctx.replace_replies([ctx.t("appeal.held", channel=where)])
        return
    await ctx.replace_replies([ctx.t("appeal.published", count=len(places), channel=where)])


async def record_appeal(
    session: Session,
    platform: str,
    places: list[str],
    draft: AppealDraft,
    actor: str,
    *,
    now: datetime,
) -> None:
    """Remember where a call was published (its replies are followed there) and who did it."""
    channel = {"discourse": "forum"}.get(platform, platform)
    await appeal_store.record(
        session,
        channel,
        places,
        language=draft.language,
        mission_ids=[mission.id for mission in draft.missions],
        now=now,
    )
    await audit.record(session, actor, "appeal.publish", channel, {"places": places}, now=now)


def ambassador_code() -> str:
    return "amb-" + "".join(secrets.choice("abcdefghjkmnpqrstuvwxyz23456789") for _ in range(5))


@router.command(
    "ambassadeur",
    aliases=("ambassador",),
    requires=(min_trust(Trust.CONFIRMED),),
    answers=Where.TEAM,
)
async def ambassadeur(ctx: Context) -> None:
    """!ambassadeur"""
    volunteer = await ctx.ensure_volunteer()
    if volunteer.ambassador_code is None:
        volunteer.ambassador_code = ambassador_code()
        await ctx.audit("ambassador.code", None, {})
    ctx.reply(ctx.t("ambassador.code", code=volunteer.ambassador_code))


async def update_appeals_about(ctx: Context, mission: Mission) -> None:
    """A mission listed in earlier calls is filled or closed: say so where the calls were,
    only if it may still be named there. A call is a public text: a mission made internal or
    confidential since is never named again in it, as if it had never been there."""
    if not can_recall(mission, ANONYMOUS, Surface.PUBLIC):
        return
    places = [
        (PLATFORMS[appeal.channel], appeal.place, Translator(appeal.language))
        for appeal in await appeal_store.showing(ctx.session, mission.id)
        if appeal.place and appeal.channel in PLATFORMS
    ]
    if not places:
        return

    async def post_updates() -> None:
        async with ctx.database.session() as session:  # as it is now, not as it was
            current = await mission_store.get(session, mission.id)
        if current is None or not can_recall(current, ANONYMOUS, Surface.PUBLIC):
            return
        if current.status not in (MissionStatus.FILLED, MissionStatus.CLOSED):
            return
        for platform, place, t in places:
            connector = ctx.services.hub.for_platform(platform)
            if connector is None:
                continue
            text = t(f"appeal.update_{current.status}", line=mission_ref(current))
            try:
                await connector.post_in_thread(place, text)
            except Exception:
                log.exception("could not update the call in %s", place)

    ctx.after_commit.append(post_updates)


async def render_call(
    session: Session, services: Services, channel: Channel, language: str
) -> tuple[AppealDraft, Rendered]:
    """The call for an external channel, with the links newcomers follow."""
    settings = services.settings
    links = Links(settings.matrix_room_link, settings.forum_url, settings.board_url)
    draft = AppealDraft(await appeal_missions(session), language)
    return draft, render_for_channel(channel, draft.missions, Translator(language), links)
