"""The one shape of every connector: started, stopped, reporting its health, and the brain's
way to its platform (the `Outbound` port of `commands.ports`)."""

from __future__ import annotations

from typing import Protocol

from bot.health import Health
from commands.ports import Outbound


class NotConfigured(Exception):
    """A connector is enabled but can't run: the message names the setting or the secret."""


class Connector(Outbound, Protocol):
    """A platform's connection, as `tremplin run` (and the command line) drive it.

    `start` connects and registers the connector with the brain's hub; what it listens to runs
    in the background, and a failure there is reported to `health` (under `platform`) and
    retried, never raised. `stop` lets the work in hand finish briefly, unregisters, closes.
    """

    health: Health

    async def start(self) -> None: ...

    async def stop(self) -> None: ...
