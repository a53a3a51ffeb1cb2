"""Lines typed (or piped) into the terminal, grouped into messages for the brain."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TextIO

from commands.brain import Brain
from commands.router import PREFIX


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
