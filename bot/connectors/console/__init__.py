"""The terminal: `tremplin console`, and where terminal threads go in `tremplin reminders`."""

from bot.connectors.console.connector import ConsoleConnector, run_console
from bot.connectors.console.outgoing import ConsoleOutbound

__all__ = ["ConsoleConnector", "ConsoleOutbound", "run_console"]
