"""At start: what the forum lets the bot's account do, and what won't work because of it.

One request for the account (`GET /u/{name}.json`: trust level, age, private messages),
one per configured group. The answer tunes the pace of the bot's posts, the recipients of
onboarding messages, and the plain sentences shown in /healthz and told to the staff.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.config import DiscourseConfig
from bot.connectors.discourse.api import Account
from bot.connectors.discourse.client import ForumClient, ForumRefused

log = logging.getLogger(__name__)

NEW_ACCOUNT_HOURS = 24
TRUST_LEVEL_BASIC = 1


@dataclass(frozen=True)
class Limitation:
    """Something that won't work as usual: a catalogue key (`discourse.limit.<key>`) and the
    values its sentence names."""

    key: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass
class Abilities:
    """What the forum lets the bot do; optimistic until the preflight has read it."""

    checked: bool = False
    trust_level: int | None = None
    new_account: bool = False
    can_send_private_messages: bool = True
    silenced: bool = False
    # None: no coordinators' group configured, or not known yet.
    group_messageable: bool | None = None
    limitations: list[Limitation] = field(default_factory=list)

    def keys(self) -> list[str]:
        return [limitation.key for limitation in self.limitations]


def _is_new(account: Account, now: datetime) -> bool:
    """`User#new_user?`: under a day old or at trust level 0 (slower pace, first-day limits)."""
    young = account.created_at is not None and account.created_at >= now - timedelta(
        hours=NEW_ACCOUNT_HOURS
    )
    staff = account.admin or account.moderator
    return (young or account.trust_level < TRUST_LEVEL_BASIC) and not staff


async def read_abilities(client: ForumClient, config: DiscourseConfig, now: datetime) -> Abilities:
    """Ask the forum; raises ForumError when it can't be reached (tried again later)."""
    account = await client.account()
    abilities = Abilities(checked=True, trust_level=account.trust_level)
    abilities.new_account = _is_new(account, now)
    abilities.silenced = account.silenced_till is not None and account.silenced_till > now
    staff = account.admin or account.moderator
    if account.can_send_private_messages is not None:
        abilities.can_send_private_messages = account.can_send_private_messages
    else:
        abilities.can_send_private_messages = staff or account.trust_level >= TRUST_LEVEL_BASIC
    name = {"username": account.username}
    limits = abilities.limitations
    if abilities.silenced:
        limits.append(Limitation("silenced", name))
    if account.trust_level < TRUST_LEVEL_BASIC and not staff:
        limits.append(Limitation("trust_level_0", name))
    elif abilities.new_account:
        limits.append(Limitation("first_day", name))
    if not abilities.can_send_private_messages:
        limits.append(Limitation("no_private_messages", name))
    group = config.coordinators_group
    if group:
        try:
            abilities.group_messageable = await client.group_messageable(group)
        except ForumRefused:  # Discourse answers 403 for a group that doesn't exist
            abilities.group_messageable = False
            limits.append(Limitation("group_missing", {"group": group}))
        else:
            if not abilities.group_messageable:
                limits.append(Limitation("group_not_messageable", {"group": group}))
    staff_group = config.staff_group
    if staff_group:
        try:
            await client.group_members(staff_group)
        except ForumRefused:
            limits.append(Limitation("staff_group_unreadable", {"group": staff_group}))
    log.info(
        "forum account %s: trust level %s, limits %s",
        account.username,
        account.trust_level,
        abilities.keys() or "none",
    )
    return abilities
