"""One error hierarchy; the router turns each into a short reply in the person's language."""

from __future__ import annotations

from typing import Any


class CommandError(Exception):
    """A problem the person should read about: a catalogue key and its parameters."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class UserInputError(CommandError):
    """The command was written in a way we can't use; the reply shows its usage."""


class BadArgument(UserInputError):
    pass


class MissingArgument(UserInputError):
    pass


class NotAllowed(CommandError):
    """A check refused the command (staff only, trust too low)."""


class NotFound(CommandError):
    pass


class Refused(CommandError):
    """The command is understood and allowed, but what it asks can't be done now.

    A platform that refuses or can't be reached raises one of these too:
    `commands.ports.PortError`, explained like the others.
    """
