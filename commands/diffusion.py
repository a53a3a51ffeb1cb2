"""`!diffusion`: each public mission's state on API Engagement, and why one was refused."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from commands.audience import keep_private_if_hidden
from commands.checks import STAFF
from commands.context import Context, Where
from commands.i18n import Translator
from commands.render import mission_line, mission_ref
from commands.router import Router
from commands.text import user_text
from storage import diffusion as diffusion_store
from storage.models import Diffusion

router = Router("staff")


def state(diffusion: Diffusion | None, t: Translator) -> str:
    """Where one mission stands: not sent, failing, or what the moderation said."""
    if diffusion is None or (diffusion.sent is None and diffusion.error is None):
        return t("diffusion.state.waiting")
    if diffusion.sent is None:
        return t("diffusion.state.failing", error=user_text(diffusion.error or ""))
    if diffusion.moderation is None:
        text = t("diffusion.state.sent")
    else:
        who = t(f"diffusion.by.{diffusion.moderated_by or 'api-engagement'}")
        text = t(f"diffusion.state.{diffusion.moderation}", by=who)
        if diffusion.moderation_comment:
            text += t("diffusion.reason", reason=user_text(diffusion.moderation_comment))
    if diffusion.error:
        text += " · " + t("diffusion.state.update_failing", error=user_text(diffusion.error))
    return text


def last_pass_line(summary: dict[str, Any] | None, t: Translator) -> str:
    if summary is None:
        return t("diffusion.never_run")
    at = datetime.fromisoformat(summary["at"])
    line = t(
        "diffusion.last_pass",
        day=f"{at:%d/%m/%Y}",
        time=f"{at:%H:%M}",
        created=summary.get("created", 0),
        updated=summary.get("updated", 0),
        withdrawn=summary.get("withdrawn", 0),
    )
    if summary.get("stopped"):
        line += " " + t("diffusion.last_pass_stopped", reason=user_text(summary["stopped"]))
    return line


@router.command("diffusion", aliases=("distribution",), requires=(STAFF,), answers=Where.TEAM)
async def diffusion(ctx: Context) -> None:
    """!diffusion"""
    seen = await diffusion_store.overview(ctx.session)
    t = ctx.t
    lines = []
    if not ctx.services.settings.diffusion_enabled:
        lines.append(t("diffusion.off"))
    lines.append(t("diffusion.header", count=len(seen.published)))
    lines += [
        mission_line(mission, t, detail=state(publication, t))
        for mission, publication in seen.published
    ]
    if seen.to_withdraw:
        lines.append(t("diffusion.to_withdraw"))
        for publication, mission in seen.to_withdraw:
            if mission is not None:
                keep_private_if_hidden(ctx, mission)
            label = mission_ref(mission) if mission else f"`{user_text(publication.client_id)}`"
            lines.append(label)
    lines.append(last_pass_line(seen.last_pass, t))
    ctx.reply("\n".join(lines))
