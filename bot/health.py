"""What each running part last reported, for `/healthz`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class Health:
    """Each part (matrix, discourse, scheduler…) reports ok or not, with a short detail.

    With a `clock` (the brain's), each report says when it was made (`at`, seconds since the
    epoch); without one, reports carry no time.
    """

    parts: dict[str, dict[str, Any]] = field(default_factory=dict)
    clock: Callable[[], datetime] | None = None

    def report(self, part: str, ok: bool, detail: str = "", **extra: Any) -> None:
        moment = {"at": self.clock().timestamp()} if self.clock is not None else {}
        self.parts[part] = {"ok": ok, "detail": detail, **moment, **extra}

    @property
    def ok(self) -> bool:
        return all(part["ok"] for part in self.parts.values())

    def snapshot(self) -> dict[str, Any]:
        return {"ok": self.ok, "parts": {name: dict(part) for name, part in self.parts.items()}}
