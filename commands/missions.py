"""Missions: list, show, and (staff) add, edit, close."""

from __future__ import annotations

from typing import Any

from commands.alerts import announce_new_mission
from commands.appeals import update_appeals_about
from commands.audience import keep_private_if_hidden, note_hidden_here
from commands.checks import STAFF
from commands.context import Context, Where
from commands.converters import MissionNumber
from commands.errors import BadArgument, NotFound
from commands.fields import FieldProblem, parse_fields
from commands.render import mission_card, mission_line
from commands.router import Router
from commands.text import echo, fold
from storage import missions as mission_store
from storage.enums import MissionStatus
from storage.models import Mission

router = Router("missions")
PAGE = 15


def _matches(mission: Mission, words: list[str]) -> bool:
    haystack = fold(" ".join([mission.title, mission.summary, " ".join(mission.skills)]))
    return all(word in haystack for word in words)


@router.command("missions", answers=Where.PUBLIC)
async def missions(ctx: Context, *, keyword: str | None = None) -> None:
    """!missions [mot-clé]"""
    found = await mission_store.list_visible(ctx.session, ctx.viewer, ctx.surface)
    if keyword:
        words = [fold(w) for w in keyword.split()]
        tags = {ctx.services.taxonomy.normalise(keyword)[0]}
        found = [m for m in found if _matches(m, words) or tags & set(m.skills)]
        if not found:
            ctx.reply(ctx.t("missions.none_for_keyword", keyword=echo(keyword)))
            return
    if not found:
        ctx.reply(ctx.t("missions.none"))
        return
    header = "missions.header_keyword" if keyword else "missions.header"
    lines = [ctx.t(header, count=len(found), keyword=echo(keyword or ""))]
    lines += [mission_line(m, ctx.t) for m in found[:PAGE]]
    if len(found) > PAGE:
        lines.append(ctx.t("missions.more", count=len(found) - PAGE))
    lines.append(ctx.t("missions.next_step", id=found[0].id))
    ctx.reply("\n".join(lines))


async def show_mission(ctx: Context, number: MissionNumber) -> None:
    """!mission N"""
    mission = await mission_store.get_visible(ctx.session, number, ctx.viewer, ctx.surface)
    if mission is None:
        await note_hidden_here(ctx, number)
        raise NotFound("error.no_such_mission", id=number)
    # Who coordinates it and how sensitive it is is for the staff, and never said in public.
    for_staff = ctx.is_staff and ctx.message.place.where is not Where.PUBLIC
    ctx.reply(mission_card(mission, ctx.t, ctx.services.taxonomy, for_staff=for_staff))


mission = router.group("mission", fallback=show_mission, answers=Where.PUBLIC)


def _read_fields(ctx: Context, text: str) -> tuple[dict[str, Any], tuple[str, ...]]:
    try:
        parsed = parse_fields(text, ctx.services.taxonomy)
    except FieldProblem as problem:
        raise BadArgument(
            problem.key, field=echo(problem.field), value=echo(problem.value)
        ) from None
    return parsed.values, parsed.unknown_skills


def _unknown_skills_note(ctx: Context, unknown: tuple[str, ...]) -> str:
    return "\n" + ctx.t("mission.unknown_skills", skills=", ".join(unknown)) if unknown else ""


@mission.command("ajouter", aliases=("add",), requires=(STAFF,), answers=Where.TEAM)
async def add_mission(ctx: Context, *, fields: str) -> None:
    """!mission ajouter + clé: valeur lines"""
    values, unknown = _read_fields(ctx, fields)
    if not values.get("title"):
        raise BadArgument("fields.title_required", field="titre", value="")
    created = await mission_store.create(ctx.session, values, ctx.now())
    keep_private_if_hidden(ctx, created)
    await ctx.audit("mission.add", f"#{created.id}", {"fields": sorted(values)})
    ctx.reply(
        ctx.t("mission.added", line=mission_line(created, ctx.t))
        + _unknown_skills_note(ctx, unknown)
    )
    if created.status == MissionStatus.OPEN:
        await announce_new_mission(ctx, created)


async def _staff_mission(ctx: Context, number: int) -> Mission:
    found = await mission_store.get(ctx.session, number)
    if found is None:
        raise NotFound("error.no_such_mission", id=number)
    keep_private_if_hidden(ctx, found)
    return found


@mission.command("modifier", aliases=("edit",), requires=(STAFF,), answers=Where.TEAM)
async def edit_mission(ctx: Context, number: MissionNumber, *, fields: str) -> None:
    """!mission modifier N + clé: valeur lines"""
    target = await _staff_mission(ctx, number)
    values, unknown = _read_fields(ctx, fields)
    was_open = target.status == MissionStatus.OPEN
    changes = mission_store.apply(target, values, ctx.now())
    if not changes:
        ctx.reply(ctx.t("mission.unchanged", line=mission_line(target, ctx.t)))
        return
    await ctx.audit("mission.edit", f"#{target.id}", {"changed": sorted(changes)})
    ctx.reply(
        ctx.t(
            "mission.edited",
            line=mission_line(target, ctx.t),
            fields=", ".join(ctx.t(f"field.{name}") for name in sorted(changes)),
        )
        + _unknown_skills_note(ctx, unknown)
    )
    if target.status == MissionStatus.OPEN and not was_open:
        await announce_new_mission(ctx, target)
    if "status" in changes and target.status in (MissionStatus.FILLED, MissionStatus.CLOSED):
        await update_appeals_about(ctx, target)


@mission.command("fermer", aliases=("close",), requires=(STAFF,), answers=Where.TEAM)
async def close_mission(ctx: Context, number: MissionNumber, *, reason: str | None = None) -> None:
    """!mission fermer N"""
    target = await _staff_mission(ctx, number)
    if target.status == MissionStatus.CLOSED:
        ctx.reply(ctx.t("mission.already_closed", line=mission_line(target, ctx.t)))
        return
    mission_store.apply(target, {"status": MissionStatus.CLOSED}, ctx.now())
    await ctx.audit("mission.close", f"#{target.id}", {"reason": reason or ""})
    ctx.reply(ctx.t("mission.closed", line=mission_line(target, ctx.t)))
    await update_appeals_about(ctx, target)
