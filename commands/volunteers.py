"""Volunteers: first contact, language, stated skills, alerts, and missions for them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from commands.context import Context, Where
from commands.converters import Language, YesNo
from commands.errors import BadArgument
from commands.matching import Profile, rank
from commands.render import mission_line
from commands.router import Router
from commands.text import echo, fold
from commands.understanding import Understanding, understand
from commands.understanding.echo import hours_said, skills_said, time_said
from commands.understanding.echo import understood as understood_text
from storage import missions as mission_store
from storage import volunteers as volunteer_store
from storage.enums import SkillLevel, Trust
from storage.models import Mission, Volunteer

router = Router("volunteers")
SHOWN_MATCHES = 5
_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


@router.command("start", answers=Where.PUBLIC)
async def start(ctx: Context, code: str | None = None) -> None:
    """!start [CODE]"""
    source = None
    if code:
        folded = fold(code)
        if not _CODE.match(folded):
            raise BadArgument("start.bad_code", value=echo(code))
        ambassador = await volunteer_store.by_ambassador_code(ctx.session, folded)
        source = f"ambassador:{folded}" if ambassador is not None else folded
    if ctx.volunteer is not None:
        ctx.reply(ctx.t("start.welcome_back"))
        return
    volunteer = await ctx.ensure_volunteer()
    volunteer.source = source
    ctx.privacy_notice_shown = True
    ctx.reply(ctx.t("start.welcome") + "\n\n" + ctx.t("privacy.notice"))


@router.command("langue", aliases=("language", "lang"), answers=Where.PUBLIC)
async def langue(ctx: Context, language: Language) -> None:
    """!langue fr|en"""
    volunteer = await ctx.ensure_volunteer()
    volunteer.language = language
    ctx.language = language
    ctx.reply(ctx.t("language.set"))


WITHOUT_WORDS = frozenset({"sans", "without", "sauf", "except"})


@router.command("competences", aliases=("skills", "compétences"), answers=Where.PUBLIC)
async def competences(ctx: Context, *, text: str | None = None) -> None:
    """!competences TEXTE"""
    if not text:
        _tell_current_skills(ctx)
        return
    first, _, rest = text.strip().partition(" ")
    if fold(first) in WITHOUT_WORDS and rest.strip():
        await _take_skills_out(ctx, rest.strip())
        return
    understood = understand(text, ctx.services.taxonomy)
    volunteer = await ctx.ensure_volunteer()
    volunteer.skills_text = text[:4000]
    _keep_time(volunteer, understood)
    if not understood.skills and not understood.refused:
        ctx.reply(ctx.t("skills.none_understood"))
        return
    if understood.skills:  # a new picture of what they do
        skills = list(understood.skills)
        await volunteer_store.set_skills(ctx.session, volunteer, skills, understood.levels)
        volunteer_store.set_refused(volunteer, understood.refused)
    else:  # only what they don't want: the rest of what they said stays
        kept = [tag for tag in volunteer.skills if tag not in understood.refused]
        await volunteer_store.set_skills(ctx.session, volunteer, kept)
        volunteer_store.set_refused(volunteer, [*volunteer.refused_skills, *understood.refused])
    lines = [_understood_line(ctx, understood.skills, understood.levels, understood.refused)]
    time = time_said(volunteer.hours_per_month, volunteer.commitment_preference, ctx.t)
    if time and (understood.hours_per_month or understood.commitment):
        lines.append(ctx.t("understanding.time", time=time))
    if understood.unknown:
        unknown = ", ".join(echo(word, 40) for word in understood.unknown[:10])
        lines.append(ctx.t("skills.not_understood", words=unknown))
    if understood.refused or any(
        level is not SkillLevel.STATED for level in understood.levels.values()
    ):
        lines.append(ctx.t("understanding.correct"))
    if understood.skills:
        if not volunteer.alerts:
            lines.append(ctx.t("skills.ask_alerts"))
        if not volunteer.findable:
            lines.append(ctx.t("skills.ask_findable"))
        lines.append(ctx.t("skills.next_step"))
    ctx.reply("\n".join(lines))


def _understood_line(
    ctx: Context,
    skills: Sequence[str],
    levels: Mapping[str, SkillLevel],
    refused: Sequence[str],
) -> str:
    """ "Merci ! J'ai compris : CSS, WordPress (débutant·e) ; pas : PHP." """
    taxonomy = ctx.services.taxonomy
    if not skills:
        labels = ", ".join(taxonomy.label(tag, ctx.language) for tag in refused)
        return ctx.t("understanding.only_refused", refused=labels)
    said = understood_text(skills, levels, refused, taxonomy, ctx.t)
    return ctx.t("skills.understood", skills=said)


def _keep_time(volunteer: Volunteer, understood: Understanding) -> None:
    """Time and rhythm change only when the person says them again."""
    if understood.hours_per_month is not None:
        volunteer.hours_per_month = understood.hours_per_month
    if understood.commitment is not None:
        volunteer.commitment_preference = understood.commitment


def _tell_current_skills(ctx: Context) -> None:
    volunteer = ctx.volunteer
    if volunteer is None or not (volunteer.skills or volunteer.refused_skills):
        ctx.reply(ctx.t("skills.ask"))
        return
    said = understood_text(
        volunteer.skills,
        volunteer.skill_levels,
        volunteer.refused_skills,
        ctx.services.taxonomy,
        ctx.t,
    )
    lines = [ctx.t("skills.current", skills=said)]
    time = time_said(volunteer.hours_per_month, volunteer.commitment_preference, ctx.t)
    if time:
        lines.append(ctx.t("understanding.time", time=time))
    ctx.reply("\n".join(lines))


async def _take_skills_out(ctx: Context, text: str) -> None:
    """`!competences sans PHP`: PHP leaves the skills and is never proposed on again."""
    taxonomy = ctx.services.taxonomy
    named = taxonomy.scan(text).tags
    if not named:
        ctx.reply(ctx.t("understanding.remove_unknown", text=echo(text, 60)))
        return
    volunteer = await ctx.ensure_volunteer()
    kept = [tag for tag in volunteer.skills if tag not in named]
    await volunteer_store.set_skills(ctx.session, volunteer, kept)
    volunteer_store.set_refused(volunteer, [*volunteer.refused_skills, *named])
    labels = ", ".join(taxonomy.label(tag, ctx.language) for tag in named)
    lines = [ctx.t("understanding.removed", refused=labels)]
    if kept or volunteer.refused_skills:
        said = understood_text(
            kept, volunteer.skill_levels, volunteer.refused_skills, taxonomy, ctx.t
        )
        lines.append(ctx.t("skills.current", skills=said))
    ctx.reply("\n".join(lines))


@router.command("alertes", aliases=("alerts",), answers=Where.PUBLIC)
async def alertes(ctx: Context, answer: YesNo) -> None:
    """!alertes oui|non"""
    volunteer = await ctx.ensure_volunteer()
    volunteer.alerts = bool(answer)
    ctx.reply(ctx.t("alerts.on" if answer else "alerts.off"))


@router.command("trouvable", aliases=("findable",), answers=Where.PUBLIC)
async def trouvable(ctx: Context, answer: YesNo) -> None:
    """!trouvable oui|non"""
    volunteer = await ctx.ensure_volunteer()
    volunteer.findable = bool(answer)
    ctx.reply(ctx.t("findable.on" if answer else "findable.off"))


def ranked_lines(ctx: Context, visible: list[Mission], profile: Profile) -> list[str] | None:
    """`#N title — vous avez indiqué : …` lines for the best matches, None if nothing fits."""
    taxonomy = ctx.services.taxonomy
    matches = rank(visible, profile, taxonomy, newcomer=ctx.trust is Trust.NEWCOMER)
    if not matches:
        return None
    lines = []
    for match in matches[:SHOWN_MATCHES]:
        said = skills_said(match.shared, profile.levels, taxonomy, ctx.t)
        reasons = [ctx.t("match.reason", skills=said)]
        if match.too_long and profile.hours_per_month is not None:
            hours = hours_said(profile.hours_per_month, ctx.language)
            reasons.append(ctx.t("understanding.too_long", hours=hours))
        if match.rhythm_fits:
            reasons.append(ctx.t(f"understanding.rhythm_fits.{match.mission.commitment}"))
        lines.append(mission_line(match.mission, ctx.t, detail=" · ".join(reasons)))
    lines.append(ctx.t("missions.next_step", id=matches[0].mission.id))
    return lines


def entry_door_lines(
    ctx: Context, visible: list[Mission], refused: Iterable[str] = ()
) -> list[str]:
    """The entry doors, those that ask no particular skill first: the way in for anyone (a
    door needing a skill the person refused is not one for them)."""
    avoid = frozenset(refused)
    doors = [m for m in visible if m.entry_door and avoid.isdisjoint(m.skills)]
    doors.sort(key=lambda m: (bool(m.skills), m.id))
    lines = [mission_line(m, ctx.t) for m in doors[:SHOWN_MATCHES]]
    if doors:
        lines.append(ctx.t("missions.next_step", id=doors[0].id))
    return lines


def nothing_fits_lines(ctx: Context, visible: list[Mission], profile: Profile) -> list[str]:
    """The honest answer when nothing fits yet: say so, show the way in, offer to tell."""
    said = understood_text(
        profile.skills, profile.levels, sorted(profile.refused), ctx.services.taxonomy, ctx.t
    )
    lines = [ctx.t("understanding.nothing_fits", skills=said) if said else ctx.t("match.none")]
    doors = entry_door_lines(ctx, visible, profile.refused)
    lines += doors or [ctx.t("understanding.no_door")]
    alerts = ctx.volunteer is not None and ctx.volunteer.alerts
    lines.append(ctx.t("understanding.will_alert" if alerts else "understanding.offer_alerts"))
    return lines


@router.command("pourmoi", aliases=("match", "pour-moi"), answers=Where.PUBLIC)
async def pourmoi(ctx: Context) -> None:
    """!pourmoi"""
    visible = await mission_store.list_visible(ctx.session, ctx.viewer, ctx.surface)
    profile = Profile.of_volunteer(ctx.volunteer)
    if not profile.skills:
        ctx.reply("\n".join([ctx.t("match.no_skills"), *entry_door_lines(ctx, visible)]))
        return
    ranked = ranked_lines(ctx, visible, profile)
    if ranked is None:
        ctx.reply("\n".join(nothing_fits_lines(ctx, visible, profile)))
        return
    header = "match.header_doors_first" if ctx.trust is Trust.NEWCOMER else "match.header"
    ctx.reply("\n".join([ctx.t(header), *ranked]))


INTEREST = re.compile(
    r"\b(interess|motiv|aider|aide|benevol|volontaire|participer|dispo|coup de main|rejoindre|"
    r"interest|help|volunteer|join|available)",
)


async def answer_free_text(ctx: Context) -> None:
    """A reply to a call for volunteers, in the person's own words: skills, then missions."""
    text = ctx.message.text
    understood = understand(text, ctx.services.taxonomy)
    said_something = understood.skills or understood.refused
    if not said_something and not INTEREST.search(fold(text)):
        return  # a thank-you or a side conversation: no answer is the polite one
    visible = await mission_store.list_visible(ctx.session, ctx.viewer, ctx.surface)
    if not understood.skills:
        ctx.reply("\n".join([ctx.t("forum.thanks_no_skills"), *entry_door_lines(ctx, visible)]))
        return
    volunteer = await ctx.ensure_volunteer()
    volunteer.skills_text = text[:4000]
    _keep_time(volunteer, understood)
    # What they say now adds to what they said before; their latest word on a skill wins.
    known = [t for t in volunteer.skills if t not in understood.skills + understood.refused]
    await volunteer_store.set_skills(
        ctx.session, volunteer, [*understood.skills, *known], understood.levels
    )
    volunteer_store.set_refused(
        volunteer,
        [
            *(t for t in volunteer.refused_skills if t not in understood.skills),
            *understood.refused,
        ],
    )
    said = understood_text(
        understood.skills, understood.levels, understood.refused, ctx.services.taxonomy, ctx.t
    )
    lines = [ctx.t("forum.thanks_skills", skills=said)]
    profile = Profile.of_volunteer(volunteer)
    ranked = ranked_lines(ctx, visible, profile)
    lines += ranked if ranked is not None else nothing_fits_lines(ctx, visible, profile)
    lines.append(ctx.t("forum.how_to_join"))
    ctx.reply("\n".join(lines))
