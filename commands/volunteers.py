"""Volunteers: first contact, language, stated skills, alerts, and missions for them."""

from __future__ import annotations

import re

from commands.context import Context
from commands.converters import Language, YesNo
from commands.errors import BadArgument
from commands.fields import COMMITMENT_WORDS
from commands.matching import rank
from commands.render import mission_line, skill_list
from commands.router import Router
from commands.text import fold, user_text
from storage import missions as mission_store
from storage import volunteers as volunteer_store
from storage.enums import Trust

router = Router("volunteers")
SHOWN_MATCHES = 5
_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


@router.command("start")
async def start(ctx: Context, code: str | None = None) -> None:
    """!start [CODE]"""
    source = None
    if code:
        folded = fold(code)
        if not _CODE.match(folded):
            raise BadArgument("start.bad_code", value=user_text(code))
        ambassador = await volunteer_store.by_ambassador_code(ctx.session, folded)
        source = f"ambassador:{folded}" if ambassador is not None else folded
    if ctx.volunteer is not None:
        ctx.reply(ctx.t("start.welcome_back"))
        return
    volunteer = await ctx.ensure_volunteer()
    volunteer.source = source
    ctx.privacy_notice_shown = True
    ctx.reply(ctx.t("start.welcome") + "\n\n" + ctx.t("privacy.notice"))


@router.command("langue", aliases=("language", "lang"))
async def langue(ctx: Context, language: Language) -> None:
    """!langue fr|en"""
    volunteer = await ctx.ensure_volunteer()
    volunteer.language = language
    ctx.language = language
    ctx.reply(ctx.t("language.set"))


def commitment_preference(text: str) -> str | None:
    words = set(re.findall(r"[\w-]+", fold(text)))
    for commitment, spellings in COMMITMENT_WORDS.items():
        if words & {fold(s) for s in spellings}:
            return str(commitment.value)
    return None


@router.command("competences", aliases=("skills", "compétences"))
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
        unknown = ", ".join(user_text(word) for word in extraction.unknown[:10])
        lines.append(ctx.t("skills.not_understood", words=unknown))
    if not volunteer.alerts:
        lines.append(ctx.t("skills.ask_alerts"))
    if not volunteer.findable:
        lines.append(ctx.t("skills.ask_findable"))
    lines.append(ctx.t("skills.next_step"))
    ctx.reply("\n".join(lines))


@router.command("alertes", aliases=("alerts",))
async def alertes(ctx: Context, answer: YesNo) -> None:
    """!alertes oui|non"""
    volunteer = await ctx.ensure_volunteer()
    volunteer.alerts = bool(answer)
    ctx.reply(ctx.t("alerts.on" if answer else "alerts.off"))


@router.command("trouvable", aliases=("findable",))
async def trouvable(ctx: Context, answer: YesNo) -> None:
    """!trouvable oui|non"""
    volunteer = await ctx.ensure_volunteer()
    volunteer.findable = bool(answer)
    ctx.reply(ctx.t("findable.on" if answer else "findable.off"))


@router.command("pourmoi", aliases=("match", "pour-moi"))
async def pourmoi(ctx: Context) -> None:
    """!pourmoi"""
    visible = await mission_store.list_visible(ctx.session, ctx.viewer, ctx.surface)
    skills = ctx.volunteer.skills if ctx.volunteer else []
    matches = rank(
        visible,
        skills,
        ctx.services.taxonomy,
        newcomer=ctx.trust is Trust.NEWCOMER,
        commitment=ctx.volunteer.commitment_preference if ctx.volunteer else None,
    )
    doors = [m for m in visible if m.entry_door]
    if not matches:
        key = "match.no_skills" if not skills else "match.none"
        lines = [ctx.t(key)]
        lines += [mission_line(m, ctx.t) for m in doors[:SHOWN_MATCHES]]
        if doors:
            lines.append(ctx.t("missions.next_step", id=doors[0].id))
        ctx.reply("\n".join(lines))
        return
    shown = matches[:SHOWN_MATCHES]
    header = "match.header_doors_first" if ctx.trust is Trust.NEWCOMER else "match.header"
    lines = [ctx.t(header, count=len(shown))]
    for match in shown:
        reason = ctx.t(
            "match.reason", skills=skill_list(match.shared, ctx.services.taxonomy, ctx.language)
        )
        lines.append(mission_line(match.mission, ctx.t, detail=reason))
    lines.append(ctx.t("missions.next_step", id=shown[0].mission.id))
    ctx.reply("\n".join(lines))
