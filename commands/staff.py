"""Staff tools: complete an engagement, raise trust, find who knows what, follow up threads."""

from __future__ import annotations

from datetime import timedelta

from commands.audience import keep_private_if_hidden
from commands.checks import STAFF
from commands.context import Context, Where
from commands.converters import MissionNumber, Person
from commands.errors import NotFound, Refused
from commands.i18n import Translator
from commands.in_private import tell_privately
from commands.matching import Profile, rank
from commands.render import mission_line, mission_ref, skill_list
from commands.router import Router
from commands.text import echo, user_text
from storage import engagements as engagement_store
from storage import missions as mission_store
from storage import volunteers as volunteer_store
from storage.enums import EngagementStatus, Trust
from storage.models import Mission, Volunteer
from storage.visibility import Surface, Viewer, can_recall

router = Router("staff")
SHOWN = 20


async def _person(ctx: Context, address: str) -> Volunteer:
    volunteer = await volunteer_store.by_address(ctx.session, address)
    if volunteer is None:
        raise NotFound("error.no_such_person", person=echo(address))
    return volunteer


@router.command("terminer", aliases=("complete",), requires=(STAFF,), answers=Where.STAFF_ROOM)
async def terminer(
    ctx: Context, person: Person, number: MissionNumber, *, note: str | None = None
) -> None:
    """!terminer PERSONNE N [note]"""
    volunteer = await _person(ctx, person)
    engagement = await engagement_store.find(ctx.session, volunteer.id, number)
    if engagement is None:
        raise NotFound("staff.no_engagement", person=echo(person), id=number)
    if engagement.status == EngagementStatus.COMPLETED:
        raise Refused("staff.already_completed", person=user_text(person), id=number)
    engagement.status = EngagementStatus.COMPLETED
    engagement.ended_at = ctx.now()
    engagement.closing_note = note
    await ctx.audit("engagement.complete", person, {"mission": number})
    lines = [
        ctx.t(
            "staff.completed",
            person=user_text(person),
            line=mission_ref(engagement.mission),
        )
    ]
    if engagement.mission.entry_door and volunteer.trust == Trust.NEWCOMER:
        lines.append(ctx.t("staff.propose_trust", person=user_text(person)))
    await thank_and_show_next_step(ctx, volunteer, person, engagement.mission)
    ctx.reply("\n".join(lines))


async def thank_and_show_next_step(
    ctx: Context, volunteer: Volunteer, address: str, done: Mission
) -> None:
    """Thank the volunteer and show missions one step up (beyond entry doors) that fit them;
    nothing is sent about a mission they may no longer see."""
    t = Translator(volunteer.language)
    viewer = Viewer(trust=volunteer.trust)
    if not can_recall(done, viewer, Surface.CHAT):
        return
    visible = await mission_store.list_visible(ctx.session, viewer, Surface.CHAT)
    further = [m for m in visible if not m.entry_door and m.id != done.id]
    profile = Profile.of_volunteer(volunteer)
    matches = rank(further, profile, ctx.services.taxonomy, newcomer=False)[:3]
    lines = [t("staff.thanks_volunteer", line=mission_ref(done))]
    if matches:
        lines.append(t("staff.next_step_header"))
        lines += [mission_line(match.mission, t) for match in matches]
        lines.append(t("missions.next_step", id=matches[0].mission.id))
    text = "\n".join(lines)
    tell_privately(ctx, address, text)


@router.command("confiance", aliases=("trust",), requires=(STAFF,), answers=Where.STAFF_ROOM)
async def confiance(ctx: Context, person: Person, level: Trust) -> None:
    """!confiance PERSONNE NIVEAU"""
    volunteer = await _person(ctx, person)
    before = volunteer.trust
    volunteer.trust = level
    await ctx.audit("volunteer.trust", person, {"from": before.value, "to": level.value})
    ctx.reply(
        ctx.t("staff.trust_set", person=user_text(person), level=ctx.t(f"trust.{level.value}"))
    )


@router.command(
    "benevoles",
    aliases=("volunteers", "bénévoles"),
    requires=(STAFF,),
    answers=Where.STAFF_ROOM,
)
async def benevoles(ctx: Context, *, skill: str) -> None:
    """!benevoles COMPÉTENCE"""
    taxonomy = ctx.services.taxonomy
    tag, _known = taxonomy.normalise(skill)
    people = await volunteer_store.findable_with_skill(ctx.session, tag)
    label = taxonomy.label(tag, ctx.language)
    if not people:
        ctx.reply(ctx.t("staff.nobody_knows", skill=echo(label)))
        return
    lines = [ctx.t("staff.who_knows", skill=echo(label), count=len(people))]
    for volunteer in people[:SHOWN]:
        address = volunteer.identities[0].address if volunteer.identities else "?"
        lines.append(
            ctx.t(
                "staff.who_knows_line",
                person=user_text(address),
                trust=ctx.t(f"trust.{volunteer.trust}"),
                skills=skill_list(volunteer.skills, taxonomy, ctx.language),
            )
        )
    ctx.reply("\n".join(lines))


@router.command("suivi", aliases=("followups",), requires=(STAFF,), answers=Where.TEAM)
async def suivi(ctx: Context) -> None:
    """!suivi"""
    now = ctx.now()
    delay = timedelta(hours=ctx.services.settings.first_response_hours)
    waiting = await engagement_store.awaiting_first_response(ctx.session, now - delay)
    if not waiting:
        ctx.reply(ctx.t("staff.followups_none", hours=ctx.services.settings.first_response_hours))
        return
    lines = [ctx.t("staff.followups_header", count=len(waiting))]
    for engagement in waiting[:SHOWN]:
        keep_private_if_hidden(ctx, engagement.mission)
        hours = int((now - engagement.onboarding_at).total_seconds() // 3600)  # type: ignore[operator]
        lines.append(
            ctx.t(
                "staff.followups_line",
                line=mission_line(engagement.mission, ctx.t),
                hours=hours,
                thread=user_text(engagement.thread_ref or "?"),
                coordinator=user_text(engagement.coordinator or "?"),
            )
        )
    ctx.reply("\n".join(lines))
