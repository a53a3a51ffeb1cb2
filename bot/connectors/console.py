"""The terminal: talk to Tremplin on standard input, read its answers on standard output."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable
from typing import TextIO

from bot.render import to_plain
from commands.brain import Brain
from commands.context import IncomingMessage, Place
from commands.i18n import translate
from commands.ports import OnboardingRequest, ThreadRef
from commands.router import PREFIX


class ConsoleOutbound:
    """Private threads, staff notices and alerts, printed where the conversation is."""

    platform = "console"

    def __init__(self, write: Callable[[str], None], language: str = "fr") -> None:
        self.write = write
        self.language = language

    async def open_onboarding_thread(self, request: OnboardingRequest) -> ThreadRef:
        label = translate("console.thread_label", self.language, title=request.mission_title)
        people = ", ".join((request.volunteer, *request.coordinators))
        self.write(translate("console.thread_opened", self.language, label=label, people=people))
        self.write(to_plain(request.welcome))
        self.write(translate("console.thread_end", self.language))
        return ThreadRef("console", f"console-thread-{request.engagement_id}", label)

    async def send_direct(self, address: str, text: str) -> bool:
        self.write(translate("console.direct", self.language, person=address, text=to_plain(text)))
        return True

    async def notify_staff(self, text: str) -> bool:
        self.write(translate("console.staff", self.language, text=to_plain(text)))
        return True

    async def post_in_thread(self, thread_ref: str, text: str) -> bool:
        self.write(
            translate("console.in_thread", self.language, thread=thread_ref, text=to_plain(text))
        )
        return True


async def read_lines(stream: TextIO) -> AsyncIterator[str]:
    """Lines of `stream`, read in a worker thread so the event loop never blocks."""
    while True:
        line = await asyncio.to_thread(stream.readline)
        if not line:
            return
        yield line.rstrip("\r\n")


def takes_following_lines(brain: Brain, first_line: str) -> bool:
    """Whether the command on `first_line` reads `clé: valeur` lines after it."""
    command, _, _ = brain.router.resolve(first_line)
    if command is None or not command.parameters:
        return False
    last = command.parameters[-1]
    return last.takes_rest and last.name == "fields"


async def messages(stream: TextIO, brain: Brain, interactive: bool) -> AsyncIterator[str]:
    """Group lines into messages: `!` starts one, other lines continue it, a blank line ends it.

    In a terminal, a one-line command is sent at Enter, except those that take field lines.
    """
    current: list[str] = []
    async for line in read_lines(stream):
        starts = line.lstrip().startswith(PREFIX)
        if not line.strip() or (starts and current):
            if current:
                yield "\n".join(current)
            current = [line] if line.strip() else []
        else:
            current.append(line)
        one_line_command = interactive and len(current) == 1 and starts
        if one_line_command and not takes_following_lines(brain, line.strip()):
            yield current.pop()
    if current:
        yield "\n".join(current)


async def run_console(
    brain: Brain, user: str, stream: TextIO = sys.stdin, out: TextIO = sys.stdout
) -> None:
    """Answer every message from `stream` as `console:user`, until the end of input."""

    def write(text: str) -> None:
        out.write(text.rstrip("\n") + "\n\n")
        out.flush()

    language = brain.services.settings.language
    brain.services.hub.register(ConsoleOutbound(write, language))
    interactive = stream.isatty()
    if interactive:
        write(translate("console.banner", language, user=user))
    place = Place(platform="console", room="terminal", is_direct=True)
    async for text in messages(stream, brain, interactive):
        message = IncomingMessage(sender=f"console:{user}", text=text, place=place)
        for reply in await brain.handle(message):
            write(to_plain(reply))
