"""Personal data: see everything held about you, and erase it."""

from __future__ import annotations

from datetime import datetime

from commands.context import Context
from commands.render import mission_line
from commands.router import Router
from commands.text import fold, user_text
from commands.understanding.echo import stated_skills
from storage import engagements as engagement_store
from storage import volunteers as volunteer_store

router = Router("privacy")


def _date(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d") if moment is not None else "—"


@router.command("mesdonnees", aliases=("mydata", "mes-donnees"))
async def mesdonnees(ctx: Context) -> None:
    """!mesdonnees"""
    volunteer = ctx.volunteer
    if volunteer is None:
        ctx.reply(ctx.t("privacy.nothing_held"))
        return
    t = ctx.t
    engagements = await engagement_store.of_volunteer(ctx.session, volunteer.id)
    lines = [
        t("privacy.export_header"),
        t(
            "privacy.export_identities",
            identities=", ".join(user_text(i.address) for i in volunteer.identities),
        ),
        t("privacy.export_language", language=volunteer.language),
        t("privacy.export_trust", trust=t(f"trust.{volunteer.trust}")),
        t("privacy.export_skills", skills=stated_skills(volunteer, ctx.services.taxonomy, t)),
        t("privacy.export_text", text=user_text(volunteer.skills_text) or "—"),
        t(
            "privacy.export_choices",
            alerts=t(f"yesno.{volunteer.alerts}"),
            findable=t(f"yesno.{volunteer.findable}"),
        ),
        t("privacy.export_source", source=user_text(volunteer.source or "—")),
        t(
            "privacy.export_dates",
            consent=_date(volunteer.consent_at),
            active=_date(volunteer.last_active_at),
        ),
    ]
    if volunteer.ambassador_code:
        lines.append(t("privacy.export_ambassador", code=volunteer.ambassador_code))
    for engagement in engagements:
        lines.append(
            "• " + mission_line(engagement.mission, t, detail=t(f"engagement.{engagement.status}"))
        )
    lines.append(t("privacy.export_footer"))
    ctx.reply("\n".join(lines))


@router.command("oublier", aliases=("forget",))
async def oublier(ctx: Context, confirmation: str | None = None) -> None:
    """!oublier [confirmer]"""
    volunteer = ctx.volunteer
    if volunteer is None:
        ctx.reply(ctx.t("privacy.nothing_held"))
        return
    if confirmation is None or fold(confirmation) not in {"confirmer", "confirm"}:
        ctx.reply(ctx.t("privacy.forget_confirm"))
        return
    await volunteer_store.erase(ctx.session, volunteer, ctx.now())
    ctx.volunteer = None
    ctx.reply(ctx.t("privacy.forgotten"))
