"""One person, one profile: a one-time code links a Matrix, forum or terminal identity."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import delete

from commands.context import Context
from commands.router import Router
from commands.text import echo, user_text
from storage import audit
from storage import volunteers as volunteer_store
from storage.models import Identity, LinkCode

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
    await ctx.session.execute(delete(LinkCode).where(LinkCode.expires_at < now))
    if code is None:
        volunteer = await ctx.ensure_volunteer()
        await ctx.session.execute(delete(LinkCode).where(LinkCode.volunteer_id == volunteer.id))
        fresh = new_code()
        ctx.session.add(LinkCode(code=fresh, volunteer_id=volunteer.id, expires_at=now + VALIDITY))
        ctx.reply(ctx.t("link.code", code=fresh, minutes=int(VALIDITY.total_seconds() // 60)))
        return
    entry = await ctx.session.get(LinkCode, code.strip().upper().replace("-", ""))
    if entry is None or entry.expires_at < now:
        ctx.reply(ctx.t("link.unknown_code", code=echo(code, 20)))
        return
    target = await volunteer_store.by_id(ctx.session, entry.volunteer_id)
    await ctx.session.delete(entry)
    if target is None:
        ctx.reply(ctx.t("link.unknown_code", code=echo(code, 20)))
        return
    if ctx.volunteer is not None and ctx.volunteer.id == target.id:
        ctx.reply(ctx.t("link.already"))
        return
    if ctx.volunteer is not None:
        await volunteer_store.merge_into(ctx.session, target, ctx.volunteer)
    else:
        target.identities.append(
            Identity(address=ctx.sender, platform=volunteer_store.platform_of(ctx.sender))
        )
    ctx.volunteer = target
    await ctx.session.flush()
    await audit.record(
        ctx.session, ctx.sender, "volunteer.link", None, {"identities": len(target.identities)}
    )
    names = ", ".join(user_text(i.address) for i in target.identities)
    ctx.reply(ctx.t("link.done", identities=names))
