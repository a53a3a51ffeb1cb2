"""The console connector: talk to Tremplin on standard input, read its answers on standard
output, as `console:NAME`."""

from __future__ import annotations

import sys
from typing import TextIO

from bot.connectors.console.incoming import messages
from bot.connectors.console.outgoing import PLATFORM, ConsoleOutbound
from bot.health import Health
from bot.render import to_plain
from commands.brain import Brain
from commands.context import IncomingMessage, Place
from commands.i18n import translate


class ConsoleConnector(ConsoleOutbound):
    """One person at the terminal; the brain's threads and notices are printed there too."""

    def __init__(
        self, brain: Brain, user: str, *, out: TextIO = sys.stdout, health: Health | None = None
    ) -> None:
        super().__init__(self._print, brain.services.settings.language)
        self.brain = brain
        self.user = user
        self.out = out
        self.health = health if health is not None else Health()

    def _print(self, text: str) -> None:
        self.out.write(text.rstrip("\n") + "\n\n")
        self.out.flush()

    async def start(self) -> None:
        self.brain.services.hub.register(self)
        self.health.report(PLATFORM, True, f"talking with {PLATFORM}:{self.user}")

    async def stop(self) -> None:
        self.brain.services.hub.unregister(self)

    async def converse(self, stream: TextIO) -> None:
        """Answer every message from `stream`, until the end of input."""
        interactive = stream.isatty()
        if interactive:
            self.write(translate("console.banner", self.language, user=self.user))
        place = Place(platform=PLATFORM, room="terminal", is_direct=True)
        async for text in messages(stream, self.brain, interactive):
            message = IncomingMessage(sender=f"{PLATFORM}:{self.user}", text=text, place=place)
            for reply in await self.brain.handle(message):
                self.write(to_plain(reply))


async def run_console(
    brain: Brain,
    user: str,
    stream: TextIO = sys.stdin,
    out: TextIO = sys.stdout,
    health: Health | None = None,
) -> None:
    """`tremplin console`: the connector started, a conversation until the end of input."""
    connector = ConsoleConnector(brain, user, out=out, health=health)
    await connector.start()
    try:
        await connector.converse(stream)
    finally:
        await connector.stop()
