"""Change events: what a committed transaction changed, told to its database's subscribers."""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, object_session

log = logging.getLogger(__name__)
PENDING = "tremplin.changes"  # the key, in `session.info`, of what this transaction changed


class Change(StrEnum):
    """What a transaction may have changed, for those who keep a copy of it (the board)."""

    MISSIONS = "missions"  # a mission was created or edited
    APPEALS = "appeals"  # a call for volunteers was published


Listener = Callable[[frozenset[Change]], None]


def note_change(session: AsyncSession | Session, change: Change) -> None:
    """Remember that this transaction changes `change`; told to subscribers once committed."""
    session.info.setdefault(PENDING, set()).add(change)


def note_change_to(instance: object, change: Change) -> None:
    """`note_change` on the session `instance` belongs to (none: nothing will be written)."""
    session = object_session(instance)
    if session is not None:
        note_change(session, change)


class ChangeFeed:
    """One database's subscribers to its committed changes (per database, not per process)."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` after each commit that noted a change; returns how to stop."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def publish(self, session: AsyncSession) -> None:
        """Tell every subscriber what the committed `session` noted (nothing if it noted none)."""
        noted = session.info.pop(PENDING, None)
        if not noted:
            return
        changes = frozenset(noted)
        for listener in tuple(self._listeners):
            try:
                listener(changes)
            except Exception:  # the commit is done: a subscriber's failure must not undo it
                log.exception("a subscriber to database changes failed")
