"""The CHATONS forum as the tests meet it: a fake Discourse, members, and Tremplin on it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from bot.config import DiscourseConfig
from bot.connectors.discourse import DiscourseConnector, PollReport
from bot.health import Health
from commands.brain import Brain
from commands.catalogue import import_catalogue
from commands.context import IncomingMessage, Place
from storage.database import Database
from tests.conversation import STAFF, Clock, RecordingPlatform, make_brain
from tests.fakes.discourse import FakeDiscourse, FakePost, RecordedRequest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_CATALOGUE = ROOT / "examples" / "missions.yaml"
BOT = "tremplin"
ADMIN_KEY = "cle-admin-tremplin-0123456789abcdef"
USER_KEY = "cle-utilisateur-tremplin-fedcba987654"
APPEALS = 17
COORDINATION = "mla-coordination"


def populate(forum: FakeDiscourse) -> None:
    """Members, the coordinators' group, the appeal category, the bot's keys."""
    forum.add_user(BOT, name="Tremplin (robot de la MLA)")
    forum.add_user("alice", name="Alice Dupont")
    forum.add_user("bob", name="Bob Martin")
    forum.add_user("chloe", name="Chloé Bernard")
    forum.add_user("discobot", name="discobot")
    forum.add_user("yann_k", name="Yann Kerbrat")
    forum.add_user("audrey.l", name="Audrey Lemoine")
    forum.add_group(COORDINATION, ["yann_k", "audrey.l"], owners=["yann_k"], mentionable=True)
    forum.add_category(APPEALS, "Appels à bénévoles")
    forum.add_admin_key(ADMIN_KEY)
    forum.add_user_api_key(USER_KEY, BOT)


def forum_settings(url: str, **overrides: Any) -> DiscourseConfig:
    """The connector's settings for a test: fast retries, no local pacing to wait for."""
    values: dict[str, Any] = {
        "enabled": True,
        "url": url,
        "username": BOT,
        "appeal_category": APPEALS,
        "coordinators_group": COORDINATION,
        "poll_seconds": 5,
        "requests_per_minute": 600,
        "request_timeout_seconds": 2.0,
        "retry_base_seconds": 0.01,
        "retry_max_seconds": 0.05,
    }
    values.update(overrides)
    return DiscourseConfig(**values)


@dataclass
class ForumWorld:
    """A fake forum, Tremplin's database and brain, and a Matrix staff room that records."""

    forum: FakeDiscourse
    database: Database
    # The forum stamps posts with the time of day: the brain's clock starts there too, so the
    # first poll's backlog (the last hour) is the forum's last hour, whatever the date.
    clock: Clock = field(default_factory=lambda: Clock(datetime.now(UTC)))
    staff_room: RecordingPlatform = field(default_factory=lambda: RecordingPlatform("matrix"))
    brain: Brain | None = None
    connector: DiscourseConnector | None = None
    connectors: list[DiscourseConnector] = field(default_factory=list)

    async def start(self, **settings: Any) -> DiscourseConnector:
        """(Re)start Tremplin on the same database: a new brain and a new connector."""
        if self.connector is not None:
            await self.connector.stop()
        brain = make_brain(self.database, self.clock)
        brain.services.hub.register(self.staff_room)
        key = USER_KEY if settings.get("auth") == "user_api_key" else ADMIN_KEY
        self.brain = brain
        self.connector = DiscourseConnector(
            brain, forum_settings(self.forum.url, **settings), key, health=Health()
        )
        self.connector.register()
        self.connectors.append(self.connector)
        return self.connector

    async def load_catalogue(self) -> None:
        assert self.brain is not None
        async with self.database.session() as session:
            services = self.brain.services
            await import_catalogue(
                session, EXAMPLE_CATALOGUE.read_text("utf-8"), services.taxonomy, now=self.clock()
            )

    async def poll(self) -> PollReport:
        assert self.connector is not None
        return await self.connector.poll_once()

    async def staff_says(self, text: str) -> list[str]:
        """A staff member writes to Tremplin from the team chat."""
        assert self.brain is not None
        message = IncomingMessage(
            sender=STAFF, text=text, place=Place(platform="console", room="staff")
        )
        return await self.brain.handle(message)

    async def publish_appeal(self) -> int:
        """Staff publish the call on the forum; the new topic's id."""
        replies = await self.staff_says("!appel publier forum")
        assert any("publié" in reply for reply in replies), replies
        return self.forum.topics[-1].id

    def answers(self, topic_id: int) -> list[FakePost]:
        """What the bot posted in a topic after its first post."""
        return [
            post
            for post in self.forum.posts_in(topic_id)
            if post.username == BOT and post.post_number > 1
        ]

    def bot_posts(self) -> list[FakePost]:
        return [post for post in self.forum.posts if post.username == BOT]

    async def close(self) -> None:
        for connector in self.connectors:
            await connector.stop()


def form(request: RecordedRequest) -> dict[str, str]:
    """The form fields (or JSON) of a recorded POST, one value per field."""
    if request.body.startswith(b"{"):
        return {key: str(value) for key, value in json.loads(request.body).items()}
    return {key: values[0] for key, values in parse_qs(request.body.decode()).items()}
