"""Where the bot is a plain member: the forum's limits, its approval queue, its rules for
private messages and groups; what the bot does about each, and what it tells people."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest_asyncio
from sqlalchemy import select

from bot.connectors.discourse.api import ARCHETYPE_PRIVATE_MESSAGE
from storage import appeals as appeal_store
from storage.database import Database
from storage.models import Engagement
from tests.discourse.forum import (
    APPEALS,
    ASSOCIATIONS,
    BOT,
    COORDINATION,
    ForumWorld,
    Timeline,
    form,
    new_forum,
    populate,
)
from tests.fakes.discourse import FakeDiscourse, GroupLevel, TrustLevel

MEMBERS = ("alice", "bob", "chloe", "yann_k", "audrey.l", "claire")
JOIN = "Bonjour, la police du site, je sais faire.\n!participer 2"


def pm_requests(forum: FakeDiscourse) -> list[dict[str, str]]:
    return [
        form(r)
        for r in forum.requests_to("/posts", "POST")
        if form(r).get("archetype") == ARCHETYPE_PRIVATE_MESSAGE
    ]


@contextlib.asynccontextmanager
async def bot_on_forum(
    timeline: Timeline, forum_db: Database, *, bot_trust_level: int = 1, bot_is_new: bool = False
) -> AsyncIterator[ForumWorld]:
    """Tremplin started, with the example catalogue, on a forum where the bot's account is
    as told."""
    forum = new_forum(timeline)
    populate(forum, bot_trust_level=bot_trust_level, bot_is_new=bot_is_new)
    await forum.start()
    world = ForumWorld(forum, forum_db, timeline)
    try:
        await world.start()
        await world.load_catalogue()
        yield world
    finally:
        await world.close()
        await forum.stop()


@pytest_asyncio.fixture
async def newcomer_bot(timeline: Timeline, forum_db: Database) -> AsyncIterator[ForumWorld]:
    """The bot's account was created today (trust level 1): its first day's limits apply."""
    async with bot_on_forum(timeline, forum_db, bot_is_new=True) as world:
        yield world


@pytest_asyncio.fixture
async def trust_level_0_bot(timeline: Timeline, forum_db: Database) -> AsyncIterator[ForumWorld]:
    """The bot's account is at trust level 0 (a year old, it has posted before)."""
    async with bot_on_forum(timeline, forum_db, bot_trust_level=TrustLevel.NEW) as world:
        yield world


async def test_a_first_day_reply_limit_holds_back_replies_only(newcomer_bot: ForumWorld) -> None:
    world = newcomer_bot
    topic_id = await world.publish_appeal()
    for turn in range(11):  # the 11th reply of the day is one too many
        member = MEMBERS[turn % len(MEMBERS)]
        world.forum.member_posts(
            member, topic_id, f"Je fais du CSS, je peux aider (message {turn})."
        )
        world.later(31)
        await world.poll()
    assert len(world.answers(topic_id)) == 10

    world.forum.member_posts("bob", topic_id, JOIN)
    world.later(31)
    report = await world.poll()

    assert report.ok, "reading goes on; nothing is failing"
    [opened] = [t for t in world.forum.topics if t.is_private_message]
    assert world.forum.posts_in(opened.id)[0].raw.startswith("Bienvenue"), "a new PM may go"
    assert len(world.answers(topic_id)) == 10, "replies wait for the forum's day to pass"
    health = world.connector.health.parts["discourse"] if world.connector else {}
    assert "reply" in health["budget"]["posts_held_back"]

    world.later(86400)
    await world.poll()
    world.later(60)
    await world.poll()

    assert len(world.answers(topic_id)) == 12, "both owed answers, once each"
    held = [p.raw.split()[0] for p in world.answers(topic_id)[10:]]
    assert held == ["@audrey.l", "@bob"], "the 11th member's answer, then bob's, in order"


async def test_an_answer_held_for_approval_is_neither_lost_nor_posted_again(
    world: ForumWorld,
) -> None:
    world.forum.add_category(30, "Entraide modérée", require_reply_approval=True)
    topic = world.forum.create_topic_as(
        "alice", "Qui connaît les missions de la MLA ?", "@tremplin peux-tu lister :\n!missions", 30
    )

    await world.poll()
    world.later()
    await world.poll()
    world.later()
    await world.poll()

    answers_posted = [
        r for r in world.forum.requests_to("/posts", "POST") if form(r).get("topic_id")
    ]
    assert len(answers_posted) == 1, "posted once, held by the forum, never again"
    [pending] = world.forum.pending_posts
    assert pending.raw.startswith("@alice ") and "#1 Ouvrir le compte Mastodon" in pending.raw
    assert any("attend la validation" in notice for notice in world.staff_room.staff)

    world.forum.approve(pending.id)
    world.later()
    await world.poll()

    bot_answers = [p for p in world.forum.posts_in(topic.id) if p.username == BOT]
    assert [p.raw for p in bot_answers] == [pending.raw], "it appears once approved, alone"


async def test_a_call_held_for_approval_is_followed_once_approved_and_never_posted_again(
    world: ForumWorld,
) -> None:
    world.forum.add_category(
        APPEALS, "Appels à bénévoles", parent=ASSOCIATIONS, require_topic_approval=True
    )

    [told] = await world.staff_says("!appel publier forum")

    assert "en attente de validation" in told and "sans rien republier" in told
    [pending] = world.forum.pending_posts
    await world.poll()  # nothing to follow yet: the call isn't visible
    first_post = world.forum.approve(pending.id)  # the CHATONS moderators agree, later
    topic_id = first_post.topic_id
    world.forum.member_posts("bob", topic_id, "Bonjour ! Je fais du CSS et un peu de traduction.")
    world.later(3600)  # the hourly look at the calls' category
    await world.poll()

    [answer] = world.answers(topic_id)
    assert answer.raw.startswith("@bob ")
    async with world.database.session() as session:
        assert await appeal_store.places(session, "forum") == [str(topic_id)]
    topics_posted = [r for r in world.forum.requests_to("/posts", "POST") if form(r).get("title")]
    assert len(topics_posted) == 1, "the call was sent once, never published again"


async def test_a_new_account_s_first_post_is_held_and_the_staff_know_why(
    timeline: Timeline, forum_db: Database
) -> None:
    async with bot_on_forum(
        timeline, forum_db, bot_trust_level=TrustLevel.NEW, bot_is_new=True
    ) as world:
        replies = await world.staff_says("!appel publier forum")

        assert "en attente de validation" in replies[0]
        assert world.forum.topics == [] and len(world.forum.pending_posts) == 1
        told = "\n".join(world.staff_room.staff)
        assert "niveau de confiance 0" in told and "messages privés" in told


async def test_at_trust_level_0_joining_is_answered_in_the_topic_with_whom_to_write(
    trust_level_0_bot: ForumWorld,
) -> None:
    world = trust_level_0_bot
    topic_id = await world.publish_appeal()
    world.forum.member_posts("bob", topic_id, JOIN)

    await world.poll()

    assert pm_requests(world.forum) == [], "the account may not: nothing is tried"
    [answer] = world.answers(topic_id)
    assert answer.raw.startswith("@bob Le forum ne me laisse pas ouvrir de message privé")
    assert f"@\u2060{COORDINATION}" in answer.raw or f"@{COORDINATION}" in answer.raw
    assert any("discourse:bob" in notice and "#2" in notice for notice in world.staff_room.staff)
    async with world.database.session() as session:
        engagement = (await session.scalars(select(Engagement))).one()
    assert engagement.status == "interested", "noted, waiting for a coordinator"


async def test_the_staff_hear_once_what_trust_level_0_prevents_and_how_to_fix_it(
    trust_level_0_bot: ForumWorld,
) -> None:
    world = trust_level_0_bot
    assert world.connector is not None
    await world.poll()
    health = world.connector.health.parts["discourse"]

    await world.start()  # a restart tells the staff nothing new

    [notice] = world.staff_room.staff
    assert notice.startswith("Tremplin sur le forum : ce qui ne marchera pas tout à fait")
    assert "niveau de confiance 0" in notice and "passe au niveau 1" in notice
    assert any("messages privés" in limit for limit in health["limits"])
    assert health["trust_level"] == 0


async def test_when_the_group_cant_be_messaged_its_people_are_named(
    forum: FakeDiscourse, forum_db: Database, timeline: Timeline
) -> None:
    forum.group(COORDINATION).messageable_level = GroupLevel.NOBODY  # Discourse's default
    world = ForumWorld(forum, forum_db, timeline)
    try:
        await world.start()
        await world.load_catalogue()
        topic_id = await world.publish_appeal()
        world.forum.member_posts("bob", topic_id, JOIN)

        await world.poll()

        [created] = pm_requests(world.forum)
        assert created["target_recipients"] == "bob,yann_k,audrey.l", "owners first"
        [pm] = [t for t in world.forum.topics if t.is_private_message]
        people = {world.forum.site.user_by_id(uid).username for uid in pm.allowed_user_ids}
        assert people == {BOT, "bob", "yann_k", "audrey.l"}
        told = "\n".join(world.staff_room.staff)
        assert "n'accepte pas les messages privés du robot" in told
    finally:
        await world.close()


async def test_a_group_that_stopped_accepting_messages_is_replaced_by_its_people(
    world: ForumWorld,
) -> None:
    topic_id = await world.publish_appeal()
    world.forum.group(COORDINATION).messageable_level = GroupLevel.NOBODY  # changed meanwhile
    world.forum.member_posts("bob", topic_id, JOIN)

    await world.poll()

    first, second = pm_requests(world.forum)
    assert first["target_recipients"] == f"bob,{COORDINATION}"
    assert second["target_recipients"] == "bob,yann_k,audrey.l"
    [answer] = world.answers(topic_id)
    assert answer.raw.startswith("@bob C'est parti !")
