"""Volunteers: first contact, language, stated skills, alerts, and missions for them."""

from __future__ import annotations

import re

from commands.context import Context, Where
from commands.converters import Language, YesNo
from commands.errors import BadArgument
from commands.fields import COMMITMENT_WORDS
from commands.matching import rank
from commands.render import mission_line, skill_list
from commands.router import Router
from commands.text import echo, fold
from storage import missions as mission_store
from storage import volunteers as volunteer_store
from storage.enums import Commitment, Trust
from storage.models import Mission

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


def commitment_preference(text: str) -> Commitment | None:
    words = set(re.findall(r"[\w-]+", fold(text)))
    for commitment, spellings in COMMITMENT_WORDS.items():
        if words & {fold(s) for s in spellings}:
            return commitment
    return None


@router.command("competences", aliases=("skills", "compétences"), answers=Where.PUBLIC)
async def competences(ctx: Context, *, text: str | None = None) -> None:
    """!competences TEXTE"""
    taxonomy = ctx.services.taxonomy
    if not text:
        if ctx.volunteer is None or not ctx.volunteer.skills:
            ctx.reply(ctx.t("skills.ask"))
        else:
            ctx.reply(
                ctx.t(
                    "skills.current",
                    skills=skill_list(ctx.volunteer.skills, taxonomy, ctx.language),
                )
            )
        return
    extraction = taxonomy.extract(text)
    volunteer = await ctx.ensure_volunteer()
    volunteer.skills_text = text[:4000]
    volunteer.commitment_preference = commitment_preference(text)
    if not extraction.tags:
        ctx.reply(ctx.t("skills.none_understood"))
        return
    await volunteer_store.set_skills(ctx.session, volunteer, extraction.tags)
    lines = [ctx.t("skills.understood", skills=skill_list(extraction.tags, taxonomy, ctx.language))]
    if extraction.unknown:
        unknown = ", ".join(echo(word, 40) for word in extraction.unknown[:10])
        lines.append(ctx.t("skills.not_understood", words=unknown))
    if not volunteer.alerts:
        lines.append(ctx.t("skills.ask_alerts"))
    if not volunteer.findable:
        lines.append(ctx.t("skills.ask_findable"))
    lines.append(ctx.t("skills.next_step"))
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


def ranked_lines(ctx: Context, visible: list[Mission], skills: list[str]) -> list[str] | None:
    """`#N title — vous avez indiqué : …` lines for the best matches, None if nothing fits."""
    matches = rank(
        visible,
        skills,
        ctx.services.taxonomy,
        newcomer=ctx.trust is Trust.NEWCOMER,
        commitment=ctx.volunteer.commitment_preference if ctx.volunteer else None,
    )
    if not matches:
        return None
    lines = []
    for match in matches[:SHOWN_MATCHES]:
        labels = skill_list(match.shared, ctx.services.taxonomy, ctx.language)
        reason = ctx.t("match.reason", skills=labels)
        lines.append(mission_line(match.mission, ctx.t, detail=reason))
    lines.append(ctx.t("missions.next_step", id=matches[0].mission.id))
    return lines


def entry_door_lines(ctx: Context, visible: list[Mission]) -> list[str]:
    doors = [m for m in visible if m.entry_door][:SHOWN_MATCHES]
    lines = [mission_line(m, ctx.t) for m in doors]
    if doors:
        lines.append(ctx.t("missions.next_step", id=doors[0].id))
    return lines


@router.command("pourmoi", aliases=("match", "pour-moi"), answers=Where.PUBLIC)
async def pourmoi(ctx: Context) -> None:
    """!pourmoi"""
    visible = await mission_store.list_visible(ctx.session, ctx.viewer, ctx.surface)
    skills = ctx.volunteer.skills if ctx.volunteer else []
    ranked = ranked_lines(ctx, visible, skills)
    if ranked is None:
        key = "match.no_skills" if not skills else "match.none"
        ctx.reply("\n".join([ctx.t(key), *entry_door_lines(ctx, visible)]))
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
    extraction = ctx.services.taxonomy.extract(text)
    if not extraction.tags and not INTEREST.search(fold(text)):
        return  # a thank-you or a side conversation: no answer is the polite one
    visible = await mission_store.list_visible(ctx.session, ctx.viewer, ctx.surface)
    if not extraction.tags:
        ctx.reply("\n".join([ctx.t("forum.thanks_no_skills"), *entry_door_lines(ctx, visible)]))
        return
    volunteer = await ctx.ensure_volunteer()
    volunteer.skills_text = text[:4000]
    known = [tag for tag in volunteer.skills if tag not in extraction.tags]
    await volunteer_store.set_skills(ctx.session, volunteer, [*extraction.tags, *known])
    understood = skill_list(extraction.tags, ctx.services.taxonomy, ctx.language)
    lines = [ctx.t("forum.thanks_skills", skills=understood)]
    ranked = ranked_lines(ctx, visible, volunteer.skills)
    if ranked is None:
        ranked = [ctx.t("match.none"), *entry_door_lines(ctx, visible)]
    lines += ranked
    lines.append(ctx.t("forum.how_to_join"))
    ctx.reply("\n".join(lines))
