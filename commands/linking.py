"""One person, one profile: a one-time code links a Matrix, forum or terminal identity."""

from __future__ import annotations

import secrets
from datetime import timedelta

from commands.context import Context
from commands.router import Router
from commands.text import echo, user_text
from storage import link_codes
from storage import volunteers as volunteer_store

router = Router("volunteers")
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # nothing to mistake: no 0/O, 1/I/L
CODE_LENGTH = 6
VALIDITY = timedelta(minutes=30)


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


@router.command("lier", aliases=("link",))
async def lier(ctx: Context, code: str | None = None) -> None:
    """!lier [CODE]"""
    now = ctx.now()
    if code is None:
        volunteer = await ctx.ensure_volunteer()
        fresh = new_code()
        await link_codes.issue(ctx.session, volunteer.id, fresh, now=now, expires_at=now + VALIDITY)
        ctx.reply(ctx.t("link.code", code=fresh, minutes=int(VALIDITY.total_seconds() // 60)))
        return
    owner = await link_codes.redeem(ctx.session, code.strip().upper().replace("-", ""), now)
    target = await volunteer_store.by_id(ctx.session, owner) if owner is not None else None
    if target is None:
        ctx.reply(ctx.t("link.unknown_code", code=echo(code, 20)))
        return
    if ctx.volunteer is not None and ctx.volunteer.id == target.id:
        ctx.reply(ctx.t("link.already"))
        return
    if ctx.volunteer is not None:
        await volunteer_store.merge_into(ctx.session, target, ctx.volunteer)
    else:
        volunteer_store.add_identity(target, ctx.sender)
    ctx.volunteer = target
    await ctx.session.flush()
    await ctx.audit("volunteer.link", None, {"identities": len(target.identities)})
    names = ", ".join(user_text(i.address) for i in target.identities)
    ctx.reply(ctx.t("link.done", identities=names))
