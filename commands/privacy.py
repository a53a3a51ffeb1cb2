"""Personal data: see everything held about you, and erase it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from commands.context import Context, Where
from commands.ports import Hub
from commands.render import mission_line
from commands.router import Router
from commands.text import fold, one_line, user_text
from commands.understanding.echo import stated_skills
from storage import engagements as engagement_store
from storage import volunteers as volunteer_store
from storage.database import Database, Session
from storage.models import Volunteer
from storage.visibility import can_recall

router = Router("privacy")
TEXT_SHOWN = 4000  # all of it: `!competences` keeps at most this much


def _date(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d") if moment is not None else "—"


def as_plain_text(words: str) -> str:
    """Someone's own text shown back as it is: on one line after its label, escaped, so no
    line of it can become a Markdown list, heading, quote or code block."""
    return user_text(one_line(words, TEXT_SHOWN))


@router.command("mesdonnees", aliases=("mydata", "mes-donnees"), answers=Where.PRIVATE)
async def mesdonnees(ctx: Context) -> None:
    """!mesdonnees"""
    volunteer = ctx.volunteer
    if volunteer is None:
        ctx.reply(ctx.t("privacy.nothing_held"))
        return
    t = ctx.t
    every = await engagement_store.of_volunteer(ctx.session, volunteer.id)
    shown = [e for e in every if can_recall(e.mission, ctx.viewer, ctx.surface)]
    lines = [
        t("privacy.export_header"),
        t(
            "privacy.export_identities",
            identities=", ".join(user_text(i.address) for i in volunteer.identities),
        ),
        t("privacy.export_language", language=volunteer.language),
        t("privacy.export_trust", trust=t(f"trust.{volunteer.trust}")),
        t("privacy.export_skills", skills=stated_skills(volunteer, ctx.services.taxonomy, t)),
        t("privacy.export_text", text=as_plain_text(volunteer.skills_text) or "—"),
        t(
            "privacy.export_choices",
            alerts=t(f"yesno.{volunteer.alerts}"),
            findable=t(f"yesno.{volunteer.findable}"),
        ),
        t("privacy.export_source", source=as_plain_text(volunteer.source or "—")),
        t(
            "privacy.export_dates",
            consent=_date(volunteer.consent_at),
            active=_date(volunteer.last_active_at),
        ),
    ]
    if volunteer.ambassador_code:
        lines.append(t("privacy.export_ambassador", code=volunteer.ambassador_code))
    for engagement in shown:
        lines.append(
            "• " + mission_line(engagement.mission, t, detail=t(f"engagement.{engagement.status}"))
        )
    if len(every) > len(shown):  # held, so said; but not which mission, now hidden from them
        lines.append(t("privacy.export_hidden_engagements", count=len(every) - len(shown)))
    lines.append(t("privacy.export_footer"))
    ctx.reply("\n".join(lines))


@router.command("oublier", aliases=("forget",), answers=Where.PUBLIC)
async def oublier(ctx: Context, confirmation: str | None = None) -> None:
    """!oublier [confirmer]"""
    volunteer = ctx.volunteer
    if volunteer is None:
        ctx.reply(ctx.t("privacy.nothing_held"))
        return
    if confirmation is None or fold(confirmation) not in {"confirmer", "confirm"}:
        ctx.reply(ctx.t("privacy.forget_confirm"))
        return
    addresses = await erase(ctx.session, volunteer, ctx.now())
    ctx.volunteer = None
    ctx.erased = True
    database, hub = ctx.database, ctx.services.hub
    ctx.after_commit.append(lambda: forget_everywhere(database, hub, addresses))
    ctx.reply(ctx.t("privacy.forgotten"))


async def erase(session: Session, volunteer: Volunteer, now: datetime) -> list[str]:
    """Erase the person in this transaction (see `storage.volunteers.erase`); returns their
    addresses, for `forget_everywhere` once it is committed."""
    spellings = [user_text(identity.address) for identity in volunteer.identities]
    return await volunteer_store.erase(session, volunteer, now, mentions=spellings)


async def forget_everywhere(database: Database, hub: Hub, addresses: Iterable[str]) -> None:
    """After an erasure's commit: every connector drops what it keeps about the person, then
    the database files keep no older copy of what was deleted."""
    for address in addresses:
        await hub.forget(address)
    await database.forget_deleted()
