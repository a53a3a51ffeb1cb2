"""What a handler knows about the message it answers, and how it replies."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import IntEnum
from typing import Any

from commands.i18n import DEFAULT_LANGUAGE, Translator
from commands.services import Services, Settings
from storage import audit, events
from storage import volunteers as volunteer_store
from storage.database import Database, Session
from storage.enums import Trust
from storage.models import Volunteer
from storage.visibility import Surface, Viewer


class Where(IntEnum):
    """How private a place is; a command declares the most open place it may answer in."""

    PUBLIC = 0  # anyone may read: a public room, a forum topic
    TEAM = 1  # the association's own rooms: team chat, onboarding threads
    STAFF_ROOM = 2  # the coordinators' own room (`matrix.staff_room`): the staff at work
    PRIVATE = 3  # the person and the bot alone: a direct room, a forum private message, a terminal


@dataclass(frozen=True)
class Place:
    """Where a message was written."""

    platform: str  # console | matrix | discourse
    room: str | None = None  # Matrix room id, Discourse topic id
    thread: str | None = None
    is_direct: bool = False
    surface: Surface = Surface.CHAT
    is_staff_room: bool = False  # the room the connector's config names as the staff's own

    @property
    def where(self) -> Where:
        if self.surface is Surface.PUBLIC:
            return Where.PUBLIC
        if self.is_direct:
            return Where.PRIVATE
        return Where.STAFF_ROOM if self.is_staff_room else Where.TEAM

    def private(self) -> Place:
        """The private conversation with the same person on the same platform."""
        return Place(self.platform, is_direct=True, surface=Surface.CHAT)


@dataclass(frozen=True)
class Mention:
    """Someone a message names the way its client does it: a Matrix pill (a link to the person,
    showing `label` in the text) or an entry of `m.mentions` (no label)."""

    identity: str
    label: str | None = None


# Who is in the room where a message was written: identity → the name people see. A callable,
# asked only when a command must find someone by name (a big room costs nothing otherwise).
RoomMembers = Callable[[], Mapping[str, str]]
# Who reads a shared room (the team's own rooms): identity → whether the platform vouches for
# them as staff. Given by the connector for the rooms where answers are read by several people
# it knows, so that nothing is shown there that one of them may not see.
RoomReaders = Callable[[], Mapping[str, bool]]


@dataclass(frozen=True)
class IncomingMessage:
    """A platform event turned neutral by its connector."""

    sender: str  # identity: @alice:example.org, discourse:alice, console:alice
    text: str
    place: Place
    event_id: str | None = None
    display_name: str | None = None
    sent_at: datetime | None = None
    staff_by_platform: bool = False  # e.g. power level >= 50 in the Matrix staff room
    language_hint: str | None = None
    answer_free_text: bool = False  # a reply to a call for volunteers: read it for skills
    mentions: tuple[Mention, ...] = ()  # the people the message points at (pills, m.mentions)
    members: RoomMembers | None = None  # the room's members, for names written by hand
    readers: RoomReaders | None = None  # everyone who reads the answers, in a shared room


def is_staff(message: IncomingMessage, settings: Settings) -> bool:
    """Whether the sender of `message` is staff (`is_staff_identity`)."""
    return is_staff_identity(message.sender, message.staff_by_platform, settings)


def is_staff_identity(identity: str, vouched: bool, settings: Settings) -> bool:
    """Who is staff, the one rule: an identity listed in `staff:`, or one its platform vouches
    for (`vouched`: power level 50 or more in the Matrix staff room, membership of
    `discourse.staff_group`). Nothing else counts: not a forum's own admins or moderators, not
    a linked profile, not a trust level."""
    return vouched or identity in settings.staff


@dataclass
class Context:
    """The message, the database session, the person, and the replies being written."""

    message: IncomingMessage
    services: Services
    session: Session = field(init=False)
    volunteer: Volunteer | None = None
    language: str = DEFAULT_LANGUAGE
    replies: list[str] = field(default_factory=list)
    after_commit: list[Callable[[], Any]] = field(default_factory=list)
    # The root `commands.router.Router`, for `!aide`; typed loosely because the router sits
    # above the context (it imports it), and an import back would close a cycle.
    router: object | None = None
    database: Database = field(init=False)
    privacy_notice_shown: bool = False
    erased: bool = False  # the sender was just erased: their message is kept under no name
    # Someone reading the room may not see confidential missions (`commands.audience`).
    shared_with_untrusted: bool = False
    # The answer names something the room may not read: it goes to the person in private.
    answer_privately: bool = False

    @property
    def sender(self) -> str:
        return self.message.sender

    @property
    def t(self) -> Translator:
        return Translator(self.language)

    @property
    def is_staff(self) -> bool:
        return is_staff(self.message, self.services.settings)

    @property
    def trust(self) -> Trust:
        return self.volunteer.trust if self.volunteer is not None else Trust.NEWCOMER

    @property
    def viewer(self) -> Viewer:
        """Whoever reads the answer: the sender, and in a shared room everyone in it."""
        return Viewer(
            trust=self.trust,
            is_staff=self.is_staff,
            shared_with_untrusted=self.shared_with_untrusted,
        )

    @property
    def own_viewer(self) -> Viewer:
        """The sender alone, as in their private conversation."""
        return Viewer(trust=self.trust, is_staff=self.is_staff)

    @property
    def surface(self) -> Surface:
        return self.message.place.surface

    def now(self) -> datetime:
        return self.services.clock()

    async def audit(
        self,
        action: str,
        target: str | None = None,
        details: dict[str, Any] | None = None,
        *,
        allowed: bool = True,
    ) -> None:
        """Note in the audit log that the sender did (or tried) `action`, now."""
        await audit.record(
            self.session, self.sender, action, target, details, now=self.now(), allowed=allowed
        )

    def for_private_answer(self) -> Context:
        """The same person, session and profile, answered in their private conversation: the
        replies are sent to them directly after the commit, never stored with the event."""
        message = replace(self.message, place=self.message.place.private(), event_id=None)
        private = Context(
            message=message,
            services=self.services,
            volunteer=self.volunteer,
            language=self.language,
            router=self.router,
            privacy_notice_shown=self.privacy_notice_shown,
        )
        for name in ("session", "database"):
            if hasattr(self, name):
                setattr(private, name, getattr(self, name))
        return private

    def reply(self, text: str) -> None:
        """Add a Markdown reply; the connector renders and sends it."""
        self.replies.append(text)

    async def replace_replies(self, replies: list[str]) -> None:
        """After the commit, change what the person will read (and what is stored for it)."""
        self.replies[:] = replies
        if self.message.event_id is not None:
            async with self.database.session() as session:
                await events.replace_replies(
                    session, self.message.place.platform, self.message.event_id, replies
                )

    async def ensure_volunteer(self) -> Volunteer:
        """The sender's profile, created on first need (consent is the act of asking)."""
        if self.volunteer is None:
            self.volunteer = await volunteer_store.create(
                self.session,
                self.sender,
                now=self.now(),
                language=self.language,
                display_name=self.message.display_name,
            )
        return self.volunteer
