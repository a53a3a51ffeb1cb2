"""Every topic's commands gathered into the router the brain uses."""

from __future__ import annotations

from commands import (
    appeals,
    diffusion,
    help,
    linking,
    missions,
    onboarding,
    privacy,
    staff,
    stats,
    volunteers,
)
from commands.router import Router

TOPICS = (
    missions,
    volunteers,
    linking,
    onboarding,
    privacy,
    help,
    staff,
    stats,
    appeals,
    diffusion,
)


def build_router() -> Router:
    root = Router()
    for topic in TOPICS:
        root.include(topic.router)
    return root
