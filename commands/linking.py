"""One person, one profile: a one-time code links a Matrix, forum or terminal identity.

Linking never gives anyone more than they had. The code is only ever given in private; the
identity that types it only claims it; both sides then confirm (`!lier confirmer`), each
having been told who the other is and what joining means. The joined profile keeps the lower
trust of two profiles (a fresh identity brings none of its own), and the staff are told.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from commands.context import Context, Where
from commands.errors import NotFound
from commands.i18n import Translator
from commands.in_private import tell_privately
from commands.router import Router
from commands.text import echo, fold, user_text
from storage import link_codes
from storage import volunteers as volunteer_store
from storage.enums import Trust
from storage.models import LinkCode, Volunteer

router = Router("volunteers")
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # nothing to mistake: no 0/O, 1/I/L
CODE_LENGTH = 6
VALIDITY = timedelta(minutes=30)
CONFIRM = {"confirmer", "confirm", "oui", "yes"}


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def lower(a: Trust, b: Trust) -> Trust:
    return a if a.rank <= b.rank else b


@router.command("lier", aliases=("link",), answers=Where.PRIVATE)
async def lier(ctx: Context, code: str | None = None) -> None:
    """!lier [CODE|confirmer]"""
    if code is None:
        await issue_code(ctx)
    elif fold(code) in CONFIRM:
        await confirm(ctx)
    else:
        await claim(ctx, code)


async def issue_code(ctx: Context) -> None:
    now = ctx.now()
    volunteer = await ctx.ensure_volunteer()
    fresh = new_code()
    await link_codes.issue(
        ctx.session,
        volunteer.id,
        fresh,
        owner_address=ctx.sender,
        now=now,
        expires_at=now + VALIDITY,
    )
    ctx.reply(ctx.t("link.code", code=fresh, minutes=int(VALIDITY.total_seconds() // 60)))


async def claim(ctx: Context, code: str) -> None:
    """Someone typed a code: tell them whose profile it is and what joining means; tell the
    profile's owner who asks. Nothing is joined yet."""
    entry = await link_codes.claim(
        ctx.session, code.strip().upper().replace("-", ""), ctx.sender, ctx.now()
    )
    owner = await volunteer_store.by_id(ctx.session, entry.volunteer_id) if entry else None
    if entry is None or owner is None:
        raise NotFound("link.unknown_code", code=echo(code, 20))
    if ctx.volunteer is not None and ctx.volunteer.id == owner.id:
        await link_codes.discard(ctx.session, entry)
        ctx.reply(ctx.t("link.already"))
        return
    owner_address = entry.owner_address or _first_address(owner)
    minutes = max(1, int((entry.expires_at - ctx.now()).total_seconds() // 60))
    ctx.reply(ctx.t("link.claimed", owner=user_text(owner_address), minutes=minutes))
    ask = Translator(owner.language)("link.asked", claimant=user_text(ctx.sender), minutes=minutes)
    tell_privately(ctx, owner_address, ask)


async def confirm(ctx: Context) -> None:
    """One side says yes; once both have, the two become one profile."""
    now = ctx.now()
    profile = ctx.volunteer.id if ctx.volunteer is not None else None
    entry = await link_codes.pending_for(ctx.session, ctx.sender, profile, now)
    if entry is None:
        raise NotFound("link.nothing_to_confirm")
    if entry.claimant == ctx.sender:
        entry.claimant_confirmed = True
    if profile is not None and entry.volunteer_id == profile:
        entry.owner_confirmed = True
    owner = await volunteer_store.by_id(ctx.session, entry.volunteer_id)
    if owner is None:  # erased meanwhile (the code would have gone with the profile)
        raise NotFound("link.nothing_to_confirm")
    if not (entry.claimant_confirmed and entry.owner_confirmed):
        other = entry.owner_address if entry.claimant == ctx.sender else entry.claimant
        ctx.reply(ctx.t("link.waiting_other", other=user_text(other or _first_address(owner))))
        return
    await join(ctx, entry, owner)


async def join(ctx: Context, entry: LinkCode, owner: Volunteer) -> None:
    claimant = entry.claimant or ""
    claimant_profile = await volunteer_store.by_address(ctx.session, claimant)
    before = (owner.trust, claimant_profile.trust if claimant_profile else owner.trust)
    owner.trust = lower(*before)
    if claimant_profile is not None:
        await volunteer_store.merge_into(ctx.session, owner, claimant_profile)
    else:
        volunteer_store.add_identity(owner, claimant)
    await link_codes.discard(ctx.session, entry)
    ctx.volunteer = owner
    await ctx.session.flush()
    await ctx.audit(
        "volunteer.link",
        None,
        {"identities": len(owner.identities), "trust": owner.trust.value},
    )
    names = ", ".join(user_text(i.address) for i in owner.identities)
    done = ctx.t("link.done", identities=names)
    lowered = any(level is not owner.trust for level in before)
    if lowered:
        done += "\n" + ctx.t("link.trust_lowered", level=ctx.t(f"trust.{owner.trust.value}"))
    ctx.reply(done)
    other = entry.owner_address if ctx.sender == claimant else claimant
    if other and other != ctx.sender:
        tell_privately(ctx, other, Translator(owner.language)("link.done", identities=names))
    staff = Translator(ctx.services.settings.language)
    notice = staff(
        "link.staff_notice",
        identities=names,
        level=staff(f"trust.{owner.trust.value}"),
        before=" / ".join(staff(f"trust.{level.value}") for level in before),
    )
    hub = ctx.services.hub
    ctx.after_commit.append(lambda: hub.notify_staff(notice))


def _first_address(volunteer: Volunteer) -> str:
    return volunteer.identities[0].address if volunteer.identities else "?"
