"""`!stats`: which channels bring volunteers who stay (staff only)."""

from __future__ import annotations

import asyncio
import logging

from commands.channels import SOURCES
from commands.checks import STAFF
from commands.context import Context, Where
from commands.i18n import Translator
from commands.render import mission_line
from commands.router import Router
from commands.text import user_text
from storage.stats import STAGES, Funnel, funnel

router = Router("staff")
log = logging.getLogger(__name__)
SHOWN_GAPS = 8


def source_label(source: str, t: Translator) -> str:
    if source.startswith("ambassador:"):
        return t("stats.ambassador", code=source.split(":", 1)[1])
    if source in SOURCES:
        return f"{SOURCES[source]} ({source})"
    return t("stats.direct") if source == "direct" else source


def funnel_text(result: Funnel, t: Translator) -> str:
    """The funnel as lines: one per source, stages in order, then response time and gaps."""
    if not result.by_source:
        return t("stats.empty")
    header = " → ".join(t(f"stats.stage.{stage}") for stage in STAGES)
    lines = [t("stats.header"), t("stats.legend", stages=header)]
    ordered = sorted(result.by_source.items(), key=lambda item: -item[1]["started"])
    for source, counts in ordered:
        figures = " → ".join(str(counts[stage]) for stage in STAGES)
        lines.append(f"{user_text(source_label(source, t))} : {figures}")
    totals = " → ".join(str(result.total(stage)) for stage in STAGES)
    lines.append(t("stats.total", figures=totals))
    if result.median_first_response_hours is None:
        lines.append(t("stats.no_response_yet"))
    else:
        lines.append(t("stats.first_response", hours=result.median_first_response_hours))
    if result.gaps:
        lines.append(t("stats.gaps_header"))
        for mission, sources in result.gaps[:SHOWN_GAPS]:
            where = ", ".join(f"{source_label(s, t)} ({n})" for s, n in sources.most_common(3))
            detail = t("stats.gap_found_via", where=where) if where else t("stats.gap_nobody")
            lines.append(mission_line(mission, t, detail=detail))
    return "\n".join(lines)


@router.command("stats", requires=(STAFF,), answers=Where.TEAM)
async def stats(ctx: Context) -> None:
    """!stats"""
    result = await funnel(ctx.session, ctx.now())
    ctx.reply(funnel_text(result, ctx.t))
    if result.by_source:
        hub = ctx.services.hub
        t = ctx.t

        async def post_chart() -> None:
            """After the commit, drawn in a worker thread: the loop keeps answering."""
            try:
                png = await asyncio.to_thread(render_funnel_png, result, t)
                await hub.send_staff_image(png, "tremplin-funnel.png", t("stats.chart_title"))
            except Exception:  # the figures were answered; only the picture is missing
                log.exception("the funnel chart could not be drawn or sent")

        ctx.after_commit.append(post_chart)


def render_funnel_png(result: Funnel, t: Translator) -> bytes:
    """The chart as PNG bytes; matplotlib is imported on first use (it is slow to import)."""
    from commands.chart import funnel_png

    return funnel_png(result, t)
