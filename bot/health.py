"""What each running part last reported, for `/healthz`."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Health:
    """Each part (matrix, discourse, scheduler…) reports ok or not, with a short detail."""

    parts: dict[str, dict[str, Any]] = field(default_factory=dict)

    def report(self, part: str, ok: bool, detail: str = "", **extra: Any) -> None:
        self.parts[part] = {"ok": ok, "detail": detail, "at": time.time(), **extra}

    @property
    def ok(self) -> bool:
        return all(part["ok"] for part in self.parts.values())

    def snapshot(self) -> dict[str, Any]:
        return {"ok": self.ok, "parts": {name: dict(part) for name, part in self.parts.items()}}
