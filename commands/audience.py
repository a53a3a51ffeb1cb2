"""Who reads an answer: in a shared room, everyone in it; nobody is shown what one may not see."""

from __future__ import annotations

from collections.abc import Mapping

from commands.context import Context, Where, is_staff_identity
from commands.in_private import send_privately
from commands.middleware import Handler
from storage import missions as mission_store
from storage import volunteers as volunteer_store
from storage.enums import Trust
from storage.models import Mission
from storage.visibility import can_see


async def audience(handler: Handler, ctx: Context) -> None:
    """In a team room the connector names the readers of: when the sender may see confidential
    missions but someone reading along may not, answer as if for that someone."""
    readers = ctx.message.readers
    if (
        readers is not None
        and ctx.message.place.where is Where.TEAM
        and ctx.own_viewer.sees_confidential
    ):
        ctx.shared_with_untrusted = await someone_untrusted(ctx, readers())
    await handler(ctx)


async def someone_untrusted(ctx: Context, readers: Mapping[str, bool]) -> bool:
    """True when one of the readers (the sender aside) is neither staff nor trusted."""
    settings = ctx.services.settings
    others = [
        address
        for address, vouched in readers.items()
        if address != ctx.sender and not is_staff_identity(address, vouched, settings)
    ]
    if not others:
        return False
    trust = await volunteer_store.trust_by_address(ctx.session, others)
    return any(trust.get(address) is not Trust.TRUSTED for address in others)


async def note_hidden_here(ctx: Context, number: int) -> None:
    """`#number` was answered as missing because the room may not see it: if the sender may,
    tell them so in private once the transaction is committed (the room learns nothing)."""
    if not ctx.shared_with_untrusted:
        return
    if await mission_store.get_visible(ctx.session, number, ctx.own_viewer, ctx.surface) is None:
        return
    hint = ctx.t("audience.hidden_here", id=number)

    async def tell() -> None:
        await send_privately(ctx, hint)

    ctx.after_commit.append(tell)


def keep_private_if_hidden(ctx: Context, mission: Mission) -> None:
    """A staff answer about `mission` goes to the sender in private when the room may not see
    it (a confidential mission edited from a team room with newcomers in it)."""
    if ctx.shared_with_untrusted and not can_see(mission, ctx.viewer, ctx.surface):
        ctx.answer_privately = True
