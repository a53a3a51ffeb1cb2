"""Commands as typed async functions: declaration, argument parsing, dispatch and help."""

from __future__ import annotations

import difflib
import inspect
import types
import typing
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from commands.checks import Requirement, may_answer_in
from commands.context import Context, IncomingMessage, Where
from commands.converters import CONVERTERS, READERS, Reader
from commands.errors import BadArgument, CommandError, MissingArgument, NotAllowed, NotFound
from commands.i18n import Translator
from commands.in_private import answer_in_private, move_to_private
from commands.text import echo, fold, next_token

Callback = Callable[..., Awaitable[None]]
PREFIX = "!"


@dataclass(frozen=True)
class Parameter:
    """One argument of a command, read from its signature."""

    name: str
    convert: Callable[[str], Any]
    required: bool
    default: Any
    takes_rest: bool  # keyword-only: the rest of the message, newlines included
    read: Reader | None = None  # reads its own words, with the message in hand (a person)

    def placeholder(self, t: Translator) -> str:
        text = t(f"arg.{self.name}")
        return text if self.required else f"[{text}]"


@dataclass(eq=False)
class Command:
    """A command: its names, what it needs, its parameters and its subcommands."""

    name: str
    aliases: tuple[str, ...]
    callback: Callback | None
    topic: str
    requires: tuple[Requirement, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    parent: Command | None = None
    subcommands: dict[str, Command] = field(default_factory=dict)
    hidden: bool = False
    # The most open place this command may answer in; None: not declared, taken as private.
    answers: Where | None = None

    @property
    def answers_in(self) -> Where:
        return Where.PRIVATE if self.answers is None else self.answers

    @property
    def qualified_name(self) -> str:
        return f"{self.parent.qualified_name} {self.name}" if self.parent else self.name

    @property
    def key(self) -> str:
        return self.qualified_name.replace(" ", ".")

    def allowed(self, ctx: Context) -> bool:
        chain = [self, *self.ancestors()]
        return all(requirement(ctx) for command in chain for requirement in command.requires)

    def ancestors(self) -> Iterator[Command]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def name_in(self, language: str) -> str:
        """The full name in `language`: French names, English aliases."""
        own = self.aliases[0] if language == "en" and self.aliases else self.name
        return f"{self.parent.name_in(language)} {own}" if self.parent else own

    def usage(self, t: Translator) -> str:
        words = [PREFIX + self.name_in(t.language), *(p.placeholder(t) for p in self.parameters)]
        return " ".join(words)

    def other_name(self, language: str) -> str:
        """The name in the other language, shown beside the usage (`!participer` ↔ `!join`)."""
        other = PREFIX + self.name_in("fr" if language == "en" else "en")
        return "" if other == PREFIX + self.name_in(language) else other

    def subcommand(self, word: str) -> Command | None:
        return self.subcommands.get(fold(word))

    def command(
        self,
        name: str,
        *,
        aliases: Sequence[str] = (),
        requires: Sequence[Requirement] = (),
        hidden: bool = False,
        answers: Where | None = None,
    ) -> Callable[[Callback], Callback]:
        """Declare a subcommand (`!mission ajouter`)."""
        return declare(self.topic, name, aliases, requires, hidden, answers, self.attach)

    def attach(self, sub: Command) -> None:
        sub.parent = self
        for word in (sub.name, *sub.aliases):
            self.subcommands[fold(word)] = sub


def declare(
    topic: str,
    name: str,
    aliases: Sequence[str],
    requires: Sequence[Requirement],
    hidden: bool,
    answers: Where | None,
    add: Callable[[Command], None],
) -> Callable[[Callback], Callback]:
    """The decorator behind `Router.command` and `Command.command`."""

    def register(callback: Callback) -> Callback:
        add(build_command(name, aliases, callback, topic, requires, hidden, answers))
        return callback

    return register


def _unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        arguments = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(arguments) == 1:
            return arguments[0], True
    return annotation, False


def read_parameters(callback: Callback) -> tuple[Parameter, ...]:
    """The command's parameters, from the function's signature and type hints."""
    hints = typing.get_type_hints(callback)
    parameters = []
    for name, parameter in list(inspect.signature(callback).parameters.items())[1:]:
        annotation, optional = _unwrap_optional(hints.get(name, str))
        convert = CONVERTERS.get(annotation)
        if convert is None:
            raise TypeError(f"{callback.__name__}: no converter for {name}: {annotation!r}")
        has_default = parameter.default is not inspect.Parameter.empty
        parameters.append(
            Parameter(
                name=name,
                convert=convert,
                required=not (has_default or optional),
                default=parameter.default if has_default else None,
                takes_rest=parameter.kind is inspect.Parameter.KEYWORD_ONLY,
                read=READERS.get(annotation),
            )
        )
    return tuple(parameters)


def build_command(
    name: str,
    aliases: Sequence[str],
    callback: Callback | None,
    topic: str,
    requires: Sequence[Requirement] = (),
    hidden: bool = False,
    answers: Where | None = None,
) -> Command:
    return Command(
        name=name,
        aliases=tuple(aliases),
        callback=callback,
        topic=topic,
        requires=tuple(requires),
        parameters=read_parameters(callback) if callback else (),
        hidden=hidden,
        answers=answers,
    )


def parse_arguments(
    command: Command, text: str, message: IncomingMessage | None = None
) -> dict[str, Any]:
    """Read `text` into the command's parameters; extra words after them are ignored."""
    values: dict[str, Any] = {}
    rest = text
    for parameter in command.parameters:
        if parameter.read is not None and message is not None and rest.strip():
            values[parameter.name], rest = parameter.read(rest, message)
            continue
        if parameter.takes_rest:
            raw: str | None = rest.strip() or None
            rest = ""
        else:
            raw, rest = next_token(rest)
        if raw is None:
            if parameter.required:
                raise MissingArgument("error.missing_argument", argument=parameter.name)
            values[parameter.name] = parameter.default
            continue
        values[parameter.name] = parameter.convert(raw)
    return values


class Router:
    """The commands of one topic (`missions`, `volunteers`, …), or all of them once included."""

    def __init__(self, topic: str = "root") -> None:
        self.topic = topic
        self.commands: dict[str, Command] = {}

    def command(
        self,
        name: str,
        *,
        aliases: Sequence[str] = (),
        requires: Sequence[Requirement] = (),
        hidden: bool = False,
        answers: Where | None = None,
    ) -> Callable[[Callback], Callback]:
        """Declare a command and where it may answer:
        `@router.command("participer", aliases=("join",), answers=Where.PUBLIC)`."""
        return declare(self.topic, name, aliases, requires, hidden, answers, self.add)

    def group(
        self,
        name: str,
        *,
        aliases: Sequence[str] = (),
        requires: Sequence[Requirement] = (),
        fallback: Callback | None = None,
        answers: Where | None = None,
    ) -> Command:
        """A command with subcommands; `fallback` runs when no subcommand is named."""
        group = build_command(name, aliases, fallback, self.topic, requires, answers=answers)
        self.add(group)
        return group

    def add(self, command: Command) -> None:
        for word in (command.name, *command.aliases):
            folded = fold(word)
            if self.commands.get(folded, command) is not command:
                raise ValueError(f"two commands answer to {word!r}")
            self.commands[folded] = command

    def include(self, other: Router) -> None:
        for command in other.unique_commands():
            self.add(command)

    def unique_commands(self) -> list[Command]:
        return list(dict.fromkeys(self.commands.values()))

    def resolve(self, text: str) -> tuple[Command | None, str, str]:
        """The command named at the start of `text` (after `!`), its arguments, and the word."""
        word, rest = next_token(text.removeprefix(PREFIX))
        command = self.commands.get(fold(word or ""))
        if command is None:
            return None, rest, word or ""
        while command.subcommands:
            sub_word, sub_rest = next_token(rest)
            sub = command.subcommand(sub_word) if sub_word else None
            if sub is None:
                break
            command, rest = sub, sub_rest
        return command, rest, word or ""

    def suggestions(self, word: str, ctx: Context) -> list[str]:
        names = {
            fold(w): c
            for c in self.unique_commands()
            if c.allowed(ctx) and not c.hidden
            for w in (c.name, *c.aliases)
        }
        close = difflib.get_close_matches(fold(word), list(names), n=2, cutoff=0.6)
        return [PREFIX + word for word in close]

    async def dispatch(self, ctx: Context) -> None:
        """Run the command in the message; a `CommandError` becomes a localized reply.

        Who may run it is checked first (a refusal is no secret); then where it may answer:
        asked for in a place more open than it allows, it runs in the person's private
        conversation, and the place they asked in is only told so.
        """
        command, rest, word = self.resolve(ctx.message.text)
        try:
            if command is None:
                raise NotFound("error.unknown_command", command=echo(PREFIX + word))
            await self.check(command, ctx)
        except CommandError as error:
            ctx.reply(self.explain(error, command, word, ctx))
            return
        if may_answer_in(command.answers_in, ctx.message.place):
            await self.run(command, ctx, rest, word)
            if ctx.answer_privately and ctx.message.place.where is not Where.PRIVATE:
                move_to_private(ctx)
            return
        private = ctx.for_private_answer()
        await self.run(command, private, rest, word)
        answer_in_private(ctx, private)

    async def check(self, command: Command, ctx: Context) -> None:
        """Raise `NotAllowed` (audited) unless every requirement of the command and its
        parents holds."""
        for node in [*reversed(list(command.ancestors())), command]:
            for requirement in node.requires:
                if not requirement(ctx):
                    await on_refusal(ctx, command)
                    raise NotAllowed(requirement.refusal)

    async def run(self, command: Command, ctx: Context, rest: str, word: str) -> None:
        """Parse the arguments and run the command, explaining a `CommandError`."""
        try:
            if command.callback is None:
                raise MissingArgument("error.missing_subcommand")
            arguments = parse_arguments(command, rest, ctx.message)
            await command.callback(ctx, **arguments)
        except CommandError as error:
            ctx.reply(self.explain(error, command, word, ctx))

    def explain(self, error: CommandError, command: Command | None, word: str, ctx: Context) -> str:
        params = dict(error.params)
        if "argument" in params:
            params["argument"] = ctx.t(f"arg.{params['argument']}")
        text = ctx.t(error.key, **params)
        if command is None:
            suggestions = self.suggestions(word, ctx)
            hint = "error.did_you_mean" if suggestions else "error.see_help"
            joined = f" {ctx.t('word.or')} ".join(suggestions)
            return f"{text} {ctx.t(hint, suggestions=joined)}"
        if isinstance(error, (BadArgument, MissingArgument)):
            usage = command.usage(ctx.t)
            if command.subcommands and command.callback is None:
                usage = " | ".join(sub.usage(ctx.t) for sub in unique(command.subcommands))
            return f"{text}\n{ctx.t('error.usage', usage=usage)}"
        return text


def unique(commands: dict[str, Command]) -> list[Command]:
    return list(dict.fromkeys(commands.values()))


async def on_refusal(ctx: Context, command: Command) -> None:
    """Refused staff commands are audited: who tried what."""
    await ctx.audit(
        "refused:" + command.key, details={"platform": ctx.message.place.platform}, allowed=False
    )
