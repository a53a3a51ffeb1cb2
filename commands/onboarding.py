"""Joining a mission: the engagement, the private onboarding thread, the staff notice."""

from __future__ import annotations

import logging

from commands.audience import note_hidden_here
from commands.context import Context, Where
from commands.converters import MissionNumber
from commands.errors import BadArgument, NotFound, Refused
from commands.i18n import Translator
from commands.ports import OnboardingRequest, PortError
from commands.render import mission_card, mission_line, mission_ref, skill_list
from commands.router import Router
from commands.text import echo, fold, user_text
from storage import engagements as engagement_store
from storage import missions as mission_store
from storage.enums import EngagementStatus, MissionStatus
from storage.models import Engagement, Mission, Volunteer

router = Router("onboarding")
log = logging.getLogger(__name__)


def welcome_message(mission: Mission, volunteer: Volunteer, ctx: Context) -> str:
    """The first message of the thread: the brief, the person's skills, first steps, privacy."""
    t = Translator(volunteer.language)
    taxonomy = ctx.services.taxonomy
    skills = skill_list(volunteer.skills, taxonomy, t.language) or t("welcome.no_skills")
    return "\n".join(
        [
            t("welcome.title", title=user_text(mission.title)),
            "",
            mission_card(mission, t, taxonomy, join_hint=False),
            "",
            t("welcome.skills", skills=skills),
            "",
            t("welcome.checklist"),
            "",
            t("welcome.privacy"),
        ]
    )


async def _joinable_mission(ctx: Context, number: int) -> Mission:
    """The open mission `number` the person may see here. One they may not see gets exactly
    the answer for a number that doesn't exist; only staff, who see every mission in chat,
    are told why one they see can't be joined."""
    mission = await mission_store.get_visible(ctx.session, number, ctx.viewer, ctx.surface)
    if mission is None:
        await note_hidden_here(ctx, number)
        raise NotFound("error.no_such_mission", id=number)
    if mission.status != MissionStatus.OPEN:
        raise Refused(f"join.refused_{mission.status}", line=mission_ref(mission))
    return mission


@router.command("participer", aliases=("join",), answers=Where.PUBLIC)
async def participer(ctx: Context, number: MissionNumber) -> None:
    """!participer N"""
    mission = await _joinable_mission(ctx, number)
    if ctx.services.hub.for_platform(ctx.message.place.platform) is None:
        raise Refused("join.no_platform")
    volunteer = await ctx.ensure_volunteer()
    engagement = await engagement_store.find(ctx.session, volunteer.id, mission.id)
    if engagement is not None and engagement.thread_ref and engagement_is_open(engagement):
        ctx.reply(ctx.t("join.already", line=mission_ref(mission)))
        return
    if engagement is None:
        engagement = await engagement_store.start(ctx.session, volunteer.id, mission.id, ctx.now())
    engagement.status = EngagementStatus.INTERESTED
    engagement.source = volunteer.source
    engagement.ended_at = None
    await ctx.session.flush()
    coordinators = tuple(mission.coordinators) or ctx.services.settings.coordinators
    request = OnboardingRequest(
        engagement_id=engagement.id,
        mission_id=mission.id,
        mission_title=mission.title,
        volunteer=ctx.sender,
        coordinators=coordinators,
        welcome=welcome_message(mission, volunteer, ctx),
    )
    line = mission_ref(mission)
    ctx.reply(ctx.t("join.started", line=line))
    ctx.after_commit.append(lambda: open_thread(ctx, request, line))


def engagement_is_open(engagement: Engagement) -> bool:
    return engagement.status.is_open


async def open_thread(ctx: Context, request: OnboardingRequest, line: str) -> None:
    """Once the engagement is committed (no database lock held while the platform works):
    open the private space, then record it and tell the staff. If the platform fails, the
    engagement stays `interested` and the same `!participer` tries again."""
    connector = ctx.services.hub.for_platform(ctx.message.place.platform)
    try:
        if connector is None:
            raise RuntimeError("the platform went away")
        thread = await connector.open_onboarding_thread(request)
    except Exception as error:
        if isinstance(error, PortError):  # the platform's doing: no traceback to read
            log.warning("onboarding space of engagement %s: %s", request.engagement_id, error)
        else:
            log.exception(
                "could not open the onboarding space of engagement %s", request.engagement_id
            )
        failed = ctx.t("join.thread_failed", line=line, id=request.mission_id)
        if isinstance(error, PortError) and not error.key.startswith("port."):
            # The platform's own next step (whom to write to, when to try again).
            failed = ctx.t(error.key, line=line, id=request.mission_id, **error.params)
        await ctx.replace_replies([failed])
        return
    coordinators = request.coordinators
    async with ctx.database.session() as session:
        engagement = await engagement_store.get(session, request.engagement_id)
        if engagement is None:  # erased meanwhile
            return
        engagement.status = EngagementStatus.ONBOARDING
        engagement.thread_platform = thread.platform
        engagement.thread_ref = thread.ref
        engagement.onboarding_at = ctx.now()
        engagement.coordinator = coordinators[0] if coordinators else None
        mission = engagement.mission
    staff_t = Translator(ctx.services.settings.language)
    notice = staff_t(
        "staff.new_engagement",
        person=user_text(ctx.sender),
        line=mission_ref(mission),
        thread=user_text(thread.label or thread.ref),
    )
    try:
        await ctx.services.hub.notify_staff(notice)
    except Exception:
        log.exception("staff notice failed")


@router.command("mesmissions", aliases=("mine", "mes-missions"), answers=Where.PRIVATE)
async def mesmissions(ctx: Context) -> None:
    """!mesmissions"""
    engagements = (
        await engagement_store.of_volunteer_visible(
            ctx.session, ctx.volunteer.id, ctx.viewer, ctx.surface
        )
        if ctx.volunteer
        else []
    )
    if not engagements:
        ctx.reply(ctx.t("mine.none"))
        return
    lines = [ctx.t("mine.header")]
    for engagement in engagements:
        status = ctx.t(f"engagement.{engagement.status}")
        lines.append(mission_line(engagement.mission, ctx.t, detail=status))
    ctx.reply("\n".join(lines))


CHECK_IN_ANSWERS = {
    "avance": "going",
    "ca-avance": "going",
    "going": "going",
    "ok": "going",
    "continuer": "going",
    "continue": "going",
    "aide": "help",
    "besoin-d-aide": "help",
    "help": "help",
    "stop": "stop",
    "arreter": "stop",
    "arret": "stop",
}


@router.command("bilan", aliases=("checkin",), answers=Where.TEAM)
async def bilan(ctx: Context, number: MissionNumber, state: str) -> None:
    """!bilan N avance|aide|stop"""
    choice = CHECK_IN_ANSWERS.get(fold(state).replace(" ", "-").replace("'", "-"))
    if choice is None:
        raise BadArgument("checkin.bad_answer", value=echo(state))
    engagement = (
        await engagement_store.find_visible(
            ctx.session, ctx.volunteer.id, number, ctx.viewer, ctx.surface
        )
        if ctx.volunteer
        else None
    )
    if engagement is None or not engagement.status.is_open:
        raise NotFound("checkin.no_engagement", id=number)
    line = mission_ref(engagement.mission)
    if choice == "going":
        ctx.reply(ctx.t("checkin.going", line=line))
        return
    if choice == "stop":  # the exit question follows in the thread (commands/reminders.py)
        engagement.status = EngagementStatus.DROPPED
        engagement.ended_at = ctx.now()
    staff_t = Translator(ctx.services.settings.language)
    notice = staff_t(
        f"checkin.staff_{choice}",
        person=user_text(ctx.sender),
        line=mission_ref(engagement.mission),
    )
    ctx.after_commit.append(lambda: ctx.services.hub.notify_staff(notice))
    ctx.reply(ctx.t(f"checkin.{choice}", line=line))
