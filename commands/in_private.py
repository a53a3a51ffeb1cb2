"""Answers that must not be given where others read: said briefly there, sent in private."""

from __future__ import annotations

import logging

from commands.context import Context
from commands.i18n import catalogue
from commands.ports import Hub, PortError
from storage import volunteers as volunteer_store

log = logging.getLogger(__name__)


def answer_in_private(asked: Context, private: Context) -> None:
    """`private` ran the command in the person's private conversation: the place they asked
    in reads one short sentence with nothing personal in it, and once the transaction is
    committed the answer goes to them directly (`Outbound.send_direct`). When their platform
    can't reach them privately, the place they asked in is told how to reach the bot instead.
    """
    asked.volunteer = private.volunteer
    asked.privacy_notice_shown = private.privacy_notice_shown
    asked.erased = private.erased
    asked.reply(asked.t("private.continued"))

    async def deliver() -> None:
        for action in private.after_commit:  # these may still change the private answer
            await action()
        if not private.replies:
            return
        if not await send_privately(private, "\n\n".join(private.replies)):
            platform = asked.message.place.platform
            key = f"private.unreachable.{platform}"
            await asked.replace_replies(
                [asked.t(key if key in catalogue() else "private.unreachable")]
            )

    asked.after_commit.append(deliver)


def move_to_private(asked: Context) -> None:
    """The command ran where it was asked, but its answer names something the room may not
    read (`Context.answer_privately`): the room reads one short sentence, the person the rest."""
    private = asked.for_private_answer()
    private.replies = list(asked.replies)
    asked.replies.clear()
    answer_in_private(asked, private)


async def send_privately(ctx: Context, text: str) -> bool:
    """Send `text` to the sender directly on the platform they wrote on; False when it can't."""
    return await send_direct(ctx.services.hub, ctx.message.place.platform, ctx.sender, text)


def tell_privately(ctx: Context, address: str, text: str) -> None:
    """A private message to `address`, on its own platform, once the transaction is committed
    (a platform's refusal is logged, no more)."""
    hub, platform = ctx.services.hub, volunteer_store.platform_of(address)

    async def send() -> None:
        await send_direct(hub, platform, address, text)

    ctx.after_commit.append(send)


async def send_direct(hub: Hub, platform: str, address: str, text: str) -> bool:
    """Send `text` to `address` privately on `platform`; False when it can't."""
    connector = hub.for_platform(platform)
    if connector is None:
        return False
    try:
        return await connector.send_direct(address, text)
    except PortError as error:
        log.info("no private message on %s: %s", platform, error)
        return False
