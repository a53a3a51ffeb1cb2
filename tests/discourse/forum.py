"""The CHATONS forum as the tests meet it: a fake Discourse with its default settings and
limits, members, and Tremplin on it, all on one simulated time."""

from __future__ import annotations

import asyncio
import json
import time
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
from tests.fakes.discourse import FakeDiscourse, FakePost, RecordedRequest, SiteSettings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_CATALOGUE = ROOT / "examples" / "missions.yaml"
BOT = "tremplin"
ADMIN_KEY = "cle-admin-tremplin-0123456789abcdef"
USER_KEY = "cle-utilisateur-tremplin-fedcba987654"
ASSOCIATIONS = 5
APPEALS = 17  # "Appels à bénévoles", a subcategory of "Associations"
COORDINATION = "mla-coordination"
STAFF_GROUP = "mla-equipe"


class Timeline:
    """One simulated time for the forum, the bot's client and the brain's clock.

    Real time still flows underneath; `advance` (and the bot's own waits, through `sleep`)
    move all three at once, so a test can wait out the forum's limits without waiting.
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.offset = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds
        self.clock.advance(seconds=seconds)

    async def sleep(self, seconds: float) -> None:
        self.advance(max(0.0, seconds))
        await asyncio.sleep(0)


def populate(forum: FakeDiscourse, *, bot_trust_level: int = 1, bot_is_new: bool = False) -> None:
    """Members, the coordinators' and the staff's groups, the appeal subcategory, the bot's
    keys. The forum is the CHATONS': its moderator is not the MLA's staff."""
    forum.add_user(
        BOT, name="Tremplin (robot de la MLA)", trust_level=bot_trust_level, new=bot_is_new
    )
    forum.add_user("alice", name="Alice Dupont")
    forum.add_user("bob", name="Bob Martin")
    forum.add_user("chloe", name="Chloé Bernard")
    forum.add_user("discobot", name="discobot", id=-2)
    forum.add_user("yann_k", name="Yann Kerbrat")
    forum.add_user("audrey.l", name="Audrey Lemoine")
    forum.add_user("claire", name="Claire (équipe MLA)")
    forum.add_user("modo", name="Modération CHATONS", moderator=True, trust_level=4)
    forum.add_group(
        COORDINATION, ["yann_k", "audrey.l"], owners=["yann_k"], mentionable=True, messageable=True
    )
    forum.add_group(STAFF_GROUP, ["claire"])
    forum.add_category(ASSOCIATIONS, "Associations")
    forum.add_category(APPEALS, "Appels à bénévoles", parent=ASSOCIATIONS)
    forum.add_admin_key(ADMIN_KEY)
    forum.add_user_api_key(USER_KEY, BOT)


def forum_settings(url: str, **overrides: Any) -> DiscourseConfig:
    """The connector's settings for a test: the real budgets, quick retries."""
    values: dict[str, Any] = {
        "enabled": True,
        "url": url,
        "username": BOT,
        "auth": "user_api_key",
        "appeal_category": APPEALS,
        "coordinators_group": COORDINATION,
        "staff_group": STAFF_GROUP,
        "request_timeout_seconds": 2.0,
        "retry_base_seconds": 0.01,
        "retry_max_seconds": 0.05,
    }
    values.update(overrides)
    return DiscourseConfig(**values)


def new_forum(timeline: Timeline, settings: SiteSettings | None = None) -> FakeDiscourse:
    return FakeDiscourse(settings, monotonic=timeline.monotonic, start=timeline.clock())


@dataclass
class ForumWorld:
    """A fake forum, Tremplin's database and brain, and a Matrix staff room that records."""

    forum: FakeDiscourse
    database: Database
    timeline: Timeline
    staff_room: RecordingPlatform = field(default_factory=lambda: RecordingPlatform("matrix"))
    brain: Brain | None = None
    connector: DiscourseConnector | None = None
    connectors: list[DiscourseConnector] = field(default_factory=list)

    @property
    def clock(self) -> Clock:
        return self.timeline.clock

    async def start(self, *, preflight: bool = True, **settings: Any) -> DiscourseConnector:
        """(Re)start Tremplin on the same database: a new brain and a new connector, which
        reads what the forum lets it do, as `tremplin run` does."""
        if self.connector is not None:
            await self.connector.stop()
        brain = make_brain(self.database, self.clock)
        brain.services.hub.register(self.staff_room)
        key = ADMIN_KEY if settings.get("auth") == "api_key" else USER_KEY
        self.brain = brain
        self.connector = DiscourseConnector(
            brain,
            forum_settings(self.forum.url, **settings),
            key,
            health=Health(),
            timer=self.timeline,
        )
        self.connector.register()
        self.connectors.append(self.connector)
        if preflight:
            await self.connector.preflight()
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

    def later(self, seconds: float = 61) -> None:
        """Time passes (by default, past the forum's pace between one person's posts)."""
        self.timeline.advance(seconds)

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

    def answered(self, topic_id: int, member: str) -> int:
        """How many of the bot's posts in the topic answer `member`."""
        return sum(1 for post in self.answers(topic_id) if post.raw.startswith(f"@{member} "))

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


def started_at() -> datetime:
    """Where the tests' clocks start: now, as the forum's time of day is now."""
    return datetime.now(UTC)
