"""The brain: one entry point that turns a neutral message into replies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from commands.audience import audience
from commands.context import Context, IncomingMessage, is_staff
from commands.middleware import (
    FloodControl,
    Middleware,
    OnePerSender,
    SessionAndDedupe,
    chain,
    identify,
)
from commands.registry import build_router
from commands.router import PREFIX, Router
from commands.services import Services
from commands.text import clean
from commands.volunteers import answer_free_text
from storage import engagements as engagement_store
from storage import events
from storage import volunteers as volunteer_store
from storage.database import Database
from storage.enums import EngagementStatus


@dataclass(frozen=True)
class PendingReplies:
    event_id: str
    replies: list[str]


class Brain:
    """Router plus middleware, bound to a database and the running connectors."""

    def __init__(self, database: Database, services: Services, router: Router | None = None):
        self.database = database
        self.services = services
        self.router = router or build_router()
        settings = services.settings
        middlewares: list[Middleware] = [
            FloodControl(settings.flood_burst, settings.flood_per_second),
            OnePerSender(),
            SessionAndDedupe(database),
            identify,
            audience,
        ]
        self._pipeline = chain(middlewares, self.router.dispatch)
        self._free_text = chain(middlewares, answer_free_text)

    async def handle(self, message: IncomingMessage) -> list[str]:
        """The Markdown replies owed for `message` (none for chatter that isn't a command)."""
        text = clean(message.text).strip()
        ctx = Context(message=message, services=self.services, router=self.router)
        ctx.language = self.services.settings.language
        if not text.startswith(PREFIX) or text == PREFIX:
            # Staff chatting in a call's topic are not volunteers to match.
            if message.answer_free_text and text and not is_staff(message, self.services.settings):
                ctx.message = IncomingMessage(**{**message.__dict__, "text": text})
                await self._free_text(ctx)
                return ctx.replies
            if message.place.is_direct and text:
                return [ctx.t("hint.not_a_command")]
            return []
        ctx.message = IncomingMessage(**{**message.__dict__, "text": text})
        await self._pipeline(ctx)
        return ctx.replies

    async def note_thread_message(
        self, platform: str, thread_ref: str, sender: str, at: datetime | None = None
    ) -> bool:
        """A message in an onboarding thread: the first one not from the volunteer is the
        coordinators' first response (for `!suivi` and the reminders)."""
        async with self.database.session() as session:
            engagement = await engagement_store.by_thread(session, platform, thread_ref)
            if engagement is None or engagement.first_response_at is not None:
                return False
            if engagement.volunteer_id is not None:
                volunteer = await volunteer_store.by_id(session, engagement.volunteer_id)
                if volunteer and sender in {i.address for i in volunteer.identities}:
                    return False
            engagement.first_response_at = at or self.services.clock()
            if engagement.status == EngagementStatus.ONBOARDING:
                engagement.status = EngagementStatus.ACTIVE
                engagement.active_at = engagement.first_response_at
            return True

    async def mark_delivered(self, platform: str, event_id: str) -> None:
        async with self.database.session() as session:
            await events.mark_delivered(session, platform, event_id)

    async def pending(self, platform: str) -> list[PendingReplies]:
        """Replies stored for events whose answer was never confirmed sent."""
        async with self.database.session() as session:
            return [
                PendingReplies(entry.event_id, list(entry.replies))
                for entry in await events.undelivered(session, platform)
            ]
