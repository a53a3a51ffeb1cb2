"""`!aide`: the commands this person may use, generated from the router."""

from __future__ import annotations

from commands.checks import STAFF
from commands.context import Context, Where
from commands.errors import NotFound
from commands.i18n import Translator, catalogue
from commands.router import PREFIX, Command, Router
from commands.text import echo

router = Router("help")

TOPIC_ORDER = ("missions", "volunteers", "onboarding", "privacy", "help", "staff", "appeals")


def describe(command: Command, t: Translator) -> str:
    """What the command does, and where it answers when that is not everywhere."""
    text = t(f"help.{command.key}")
    if command.answers_in is not Where.PUBLIC:
        text += " " + t(f"help.where.{command.answers_in.name.lower()}")
    return text


def help_line(command: Command, ctx: Context) -> str:
    alias = command.other_name(ctx.language)
    names = f"`{command.usage(ctx.t)}`" + (f" [`{alias}`]" if alias else "")
    return f"{names} — {describe(command, ctx.t)}"


def details(command: Command, t: Translator) -> list[str]:
    """`!aide COMMANDE` says more than the list: how to write it, and where it answers."""
    lines = []
    if f"help.detail.{command.key}" in catalogue():
        lines.append(t(f"help.detail.{command.key}"))
    if command.answers_in is not Where.PUBLIC:
        lines.append(t(f"help.where_detail.{command.answers_in.name.lower()}"))
    return lines


def visible_commands(root: Router, ctx: Context) -> list[Command]:
    """Every command and subcommand the caller may run, in the order of TOPIC_ORDER."""
    found: list[Command] = []
    for command in sorted(root.unique_commands(), key=lambda c: TOPIC_ORDER.index(c.topic)):
        if command.hidden or not command.allowed(ctx):
            continue
        if command.callback is not None:
            found.append(command)
        found += [
            sub
            for sub in dict.fromkeys(command.subcommands.values())
            if sub.allowed(ctx) and not sub.hidden
        ]
    return found


@router.command("aide", aliases=("help",), answers=Where.PUBLIC)
async def aide(ctx: Context, *, command: str | None = None) -> None:
    """!aide [COMMANDE]"""
    root = ctx.router
    if not isinstance(root, Router):
        raise TypeError("the brain always gives the context its router")
    if command:
        found, _, word = root.resolve(command if command.startswith(PREFIX) else PREFIX + command)
        if found is None or not found.allowed(ctx) or found.hidden:
            raise NotFound("error.unknown_command", command=echo(PREFIX + word))
        lines = [help_line(found, ctx), *details(found, ctx.t)]
        subs = [s for s in dict.fromkeys(found.subcommands.values()) if s.allowed(ctx)]
        lines += [help_line(sub, ctx) for sub in subs]
        ctx.reply("\n".join(lines))
        return
    commands = visible_commands(root, ctx)
    volunteers = [c for c in commands if not is_staff_command(c)]
    staff = [c for c in commands if c not in volunteers]
    lines = [ctx.t("help.intro")]
    lines += [help_line(command, ctx) for command in volunteers]
    if staff:
        lines += ["", ctx.t("help.staff_intro")]
        lines += [help_line(command, ctx) for command in staff]
    lines += ["", ctx.t("help.outro")]
    ctx.reply("\n".join(lines))


def is_staff_command(command: Command) -> bool:
    return any(STAFF in node.requires for node in (command, *command.ancestors()))
