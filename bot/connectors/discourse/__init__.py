"""The CHATONS forum (Discourse): polling, webhooks, replies, onboarding messages, appeals."""

from bot.connectors.discourse.client import (
    ForumActionLimited,
    ForumClient,
    ForumError,
    ForumRefused,
    ForumUnavailable,
)
from bot.connectors.discourse.connector import DiscourseConnector
from bot.connectors.discourse.outgoing import ForumOutbound
from bot.connectors.discourse.watcher import PollReport

__all__ = [
    "DiscourseConnector",
    "ForumActionLimited",
    "ForumClient",
    "ForumError",
    "ForumOutbound",
    "ForumRefused",
    "ForumUnavailable",
    "PollReport",
]
