"""The rooms the bot is in and what each is for; opening onboarding and direct rooms."""

from __future__ import annotations

import logging
from fnmatch import fnmatchcase
from typing import Any

from nio import (
    AsyncClient,
    InviteMemberEvent,
    JoinedRoomsResponse,
    JoinResponse,
    MatrixRoom,
    RoomCreateEvent,
    RoomCreateResponse,
    RoomInviteResponse,
    RoomPreset,
    RoomResolveAliasResponse,
    RoomVisibility,
    SyncResponse,
    UnknownAccountDataEvent,
)

from bot.config import MatrixConfig
from bot.connectors.matrix.client import NotSignedIn
from bot.connectors.matrix.ledger import Ledger
from commands.i18n import Translator
from commands.identities import is_matrix_user
from commands.ports import OnboardingRequest
from storage.visibility import Surface

log = logging.getLogger(__name__)

STAFF_POWER_LEVEL = 50
MEGOLM = "m.megolm.v1.aes-sha2"
ENCRYPTION_STATE = {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": MEGOLM}}


class RoomError(Exception):
    """The homeserver did not create or join a room; `errcode` says why, when it said."""

    def __init__(self, message: str, response: object) -> None:
        super().__init__(f"{message}: {response}")
        self.errcode = str(getattr(response, "status_code", "") or "")

    @property
    def refused(self) -> bool:
        """True when asking again won't help (a rate limit or an outage might)."""
        return self.errcode.startswith("M_") and self.errcode != "M_LIMIT_EXCEEDED"


class Rooms:
    """Configured, staff, public, direct and onboarding rooms, as the bot knows them."""

    def __init__(self, config: MatrixConfig, ledger: Ledger, language: str) -> None:
        self.config = config
        self.ledger = ledger
        self.t = Translator(language)
        self.client: AsyncClient | None = None
        self.staff_room: str | None = None
        self.public_rooms: set[str] = set()
        self.configured: set[str] = set()
        self.onboarding: dict[str, bool] = {}  # room id -> a coordinator has answered there
        self.direct: dict[str, str] = {}  # user id -> the direct room the bot uses with them
        self.direct_room_ids: set[str] = set()
        self.fresh: set[str] = set()  # created by this process, maybe not synced yet
        self._staff_creators: set[str] = set()

    # -- start-up -----------------------------------------------------------------------

    async def load(self, client: AsyncClient) -> None:
        """Bind to a signed-in client and read what the database knows."""
        self.client = client
        self.onboarding = await self.ledger.onboarding_rooms()
        self.direct = dict(self.ledger.direct_rooms)
        self.direct_room_ids.update(self.direct.values())

    async def join_configured(self) -> None:
        """Join matrix.rooms, the staff room and the public rooms (ids or aliases)."""
        client = self._client()
        joined = await client.joined_rooms()
        already = set(joined.rooms) if isinstance(joined, JoinedRoomsResponse) else set()
        resolved: dict[str, str | None] = {}
        wanted = [*self.config.rooms, *self.config.public_rooms]
        if self.config.staff_room:
            wanted.append(self.config.staff_room)
        for name in dict.fromkeys(wanted):
            room_id = await self._resolve(name)
            resolved[name] = room_id
            if room_id is None or room_id in already:
                continue
            response = await client.join(room_id)
            if isinstance(response, JoinResponse):
                log.info("joined %s", name)
            else:
                log.warning("could not join %s: %s", name, response)
        self.configured = {room for name in self.config.rooms if (room := resolved.get(name))}
        self.public_rooms = {
            room for name in self.config.public_rooms if (room := resolved.get(name))
        }
        self.staff_room = resolved.get(self.config.staff_room) if self.config.staff_room else None

    async def _resolve(self, name: str) -> str | None:
        if not name.startswith("#"):
            return name
        response = await self._client().room_resolve_alias(name)
        if isinstance(response, RoomResolveAliasResponse):
            return str(response.room_id)
        log.warning("room alias %s not found: %s", name, response)
        return None

    # -- what the sync shows ------------------------------------------------------------

    def observe(self, response: SyncResponse) -> None:
        """Learn direct rooms (m.direct) and the staff room's creators from a sync batch."""
        for event in response.account_data_events:
            if isinstance(event, UnknownAccountDataEvent) and event.type == "m.direct":
                self._learn_direct(event.content)
        if self.staff_room and self.staff_room in response.rooms.join:
            info = response.rooms.join[self.staff_room]
            for event in [*info.state, *info.timeline.events]:
                if isinstance(event, RoomCreateEvent):
                    self._learn_creators(event)

    def _learn_direct(self, content: dict[str, Any]) -> None:
        for user_id, room_ids in content.items():
            if isinstance(room_ids, list) and room_ids:
                self.direct_room_ids.update(str(room) for room in room_ids)
                self.direct.setdefault(user_id, str(room_ids[-1]))

    def _learn_creators(self, event: RoomCreateEvent) -> None:
        # From room version 12 on, creators outrank every power level and aren't listed in it.
        version = event.room_version
        if not version.isdigit() or int(version) >= 12:
            more = event.source.get("content", {}).get("additional_creators", [])
            self._staff_creators = {event.sender, *(u for u in more if isinstance(u, str))}

    async def answer_invites(self, response: SyncResponse) -> None:
        """Join when invited by someone matching matrix.accept_invites_from; refuse others."""
        client = self._client()
        for room_id, info in response.rooms.invite.items():
            inviter, is_direct = None, False
            for event in info.invite_state:
                if (
                    isinstance(event, InviteMemberEvent)
                    and event.state_key == client.user_id
                    and event.membership == "invite"
                ):
                    inviter, is_direct = event.sender, bool(event.content.get("is_direct"))
            if room_id in self.configured or self._accepts(inviter):
                answer = await client.join(room_id)
                if isinstance(answer, JoinResponse):
                    log.info("joined %s, invited by %s", room_id, inviter)
                    if is_direct and inviter:
                        self._remember_direct(inviter, room_id)
                else:
                    log.warning("could not join %s: %s", room_id, answer)
            else:
                log.info("refused the invite to %s from %s", room_id, inviter)
                await client.room_leave(room_id)

    def _accepts(self, inviter: str | None) -> bool:
        return inviter is not None and any(
            fnmatchcase(inviter, pattern) for pattern in self.config.accept_invites_from
        )

    # -- what a room is -----------------------------------------------------------------

    def surface(self, room_id: str) -> Surface:
        return Surface.PUBLIC if room_id in self.public_rooms else Surface.CHAT

    def is_direct(self, room_id: str) -> bool:
        """A room with the bot and one other member, or one flagged as direct."""
        if room_id in self.configured or room_id in self.public_rooms:
            return False
        if room_id == self.staff_room or room_id in self.onboarding:
            return False
        if room_id in self.direct_room_ids:
            return True
        room = self._client().rooms.get(room_id)
        return room is not None and len(room.users) <= 2

    def is_staff(self, user_id: str) -> bool:
        """Power level 50 or more (or creator, from room version 12) in the staff room."""
        if not self.staff_room or self.client is None:
            return False
        room = self.client.rooms.get(self.staff_room)
        if room is None or user_id not in room.users or user_id in room.invited_users:
            return False
        if user_id in self._staff_creators:
            return True
        return int(room.power_levels.get_user_level(user_id)) >= STAFF_POWER_LEVEL

    def members(self, room_id: str) -> dict[str, str]:
        """Who has joined the room (invitees not yet), with the name their clients show."""
        room = self._room(room_id)
        if room is None:
            return {}
        return {
            user_id: user.display_name or ""
            for user_id, user in room.users.items()
            if user_id not in room.invited_users
        }

    def is_shared(self, room_id: str) -> bool:
        """A team room: several people read it, none of them chosen for a mission (unlike the
        staff room, an onboarding room or a direct room), and it isn't public."""
        if room_id == self.staff_room or room_id in self.onboarding:
            return False
        return self.surface(room_id) is Surface.CHAT and not self.is_direct(room_id)

    def readers(self, room_id: str) -> dict[str, bool]:
        """Who reads what the bot says in the room (members, and invitees who will read the
        history once in), each with whether they are staff; the bot itself aside."""
        room = self._room(room_id)
        if room is None:
            return {}
        people = {*room.users, *room.invited_users} - {room.own_user_id}
        return {user_id: self.is_staff(user_id) for user_id in people}

    def _room(self, room_id: str) -> MatrixRoom | None:
        """The room as the client knows it; None for an unknown room or before signing in."""
        return self.client.rooms.get(room_id) if self.client is not None else None

    def display_name(self, room_id: str, user_id: str) -> str | None:
        room = self._client().rooms.get(room_id)
        name = room.user_name(user_id) if room is not None else None
        return str(name) if name else None

    # -- creating rooms -----------------------------------------------------------------

    async def open_onboarding_room(self, request: OnboardingRequest) -> tuple[str, str]:
        """An invite-only room (encrypted unless configured otherwise) with the volunteer and
        the coordinators who have Matrix ids; returns its id and name."""
        client = self._client()
        name = self.t("matrix.onboarding_room_name", title=request.mission_title)
        topic = self.t(
            "matrix.onboarding_room_topic", id=request.mission_id, title=request.mission_title
        )
        coordinators: list[str] = []
        for person in request.coordinators:
            if not is_matrix_user(person):
                log.info("coordinator %s has no Matrix id: not invited to %s", person, name)
            elif person not in (request.volunteer, client.user_id, *coordinators):
                coordinators.append(person)
        response = await client.room_create(
            visibility=RoomVisibility.private,
            name=name,
            topic=topic,
            preset=RoomPreset.private_chat,
            invite=[request.volunteer],
            initial_state=[ENCRYPTION_STATE] if self.config.encrypt_onboarding else [],
        )
        if not isinstance(response, RoomCreateResponse):
            raise RoomError(f"could not create the onboarding room {name!r}", response)
        room_id = str(response.room_id)
        self.fresh.add(room_id)
        self.onboarding[room_id] = False
        for coordinator in coordinators:
            invited = await client.room_invite(room_id, coordinator)
            if not isinstance(invited, RoomInviteResponse):
                log.warning("could not invite %s to %s: %s", coordinator, room_id, invited)
        log.info("onboarding room %s opened for engagement %d", room_id, request.engagement_id)
        return room_id, name

    async def direct_room_for(self, user_id: str) -> str:
        """The direct room the bot already shares with `user_id`, or a new one."""
        client = self._client()
        known = self.direct.get(user_id)
        if known is not None:
            room = client.rooms.get(known)
            still_shared = room is not None and user_id in room.users
            if still_shared or (room is None and known in self.fresh):
                return known
        response = await client.room_create(
            visibility=RoomVisibility.private,
            is_direct=True,
            preset=RoomPreset.private_chat,
            invite=[user_id],
            initial_state=[ENCRYPTION_STATE] if self.config.encrypt_onboarding else [],
        )
        if not isinstance(response, RoomCreateResponse):
            raise RoomError(f"could not open a direct room with {user_id}", response)
        room_id = str(response.room_id)
        self.fresh.add(room_id)
        self._remember_direct(user_id, room_id)
        return room_id

    def forget(self, user_id: str) -> None:
        """An erased person: the bot no longer knows which room is theirs."""
        self.ledger.forget_person(user_id, self.direct.pop(user_id, None))

    def _remember_direct(self, user_id: str, room_id: str) -> None:
        self.direct[user_id] = room_id
        self.direct_room_ids.add(room_id)
        self.ledger.remember_direct_room(user_id, room_id)

    def _client(self) -> AsyncClient:
        if self.client is None:
            raise NotSignedIn("not signed in to Matrix yet")
        return self.client
