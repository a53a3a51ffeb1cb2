"""Reading the forum as it really behaves: collapsed notifications, subcategories, restarts,
and a quiet day that spends under half of the key's budget."""

from __future__ import annotations

from bot.connectors.discourse.pacing import Pacer
from tests.discourse.forum import APPEALS, ASSOCIATIONS, BOT, ForumWorld

ALICE = "Bonjour, je fais du CSS et je traduis de l'anglais, je peux aider !"
BOB = "Salut ! Je m'occupe de WordPress depuis des années, je veux bien aider."
DAY = 86400.0


async def test_two_members_replying_between_two_polls_are_both_answered_once(
    world: ForumWorld,
) -> None:
    topic_id = await world.publish_appeal()
    await world.poll()
    alice = world.forum.member_posts("alice", topic_id, ALICE)
    world.later(20)
    world.forum.member_posts("bob", topic_id, BOB)

    [left] = [n for n in world.forum.notifications_for(BOT) if n.topic_id == topic_id]
    assert left.post_number == alice.post_number, "Discourse kept one, pointing at the first"
    await world.poll()
    world.later()
    await world.poll()

    assert (world.answered(topic_id, "alice"), world.answered(topic_id, "bob")) == (1, 1)
    assert len(world.answers(topic_id)) == 2


async def test_two_private_messages_between_two_polls_are_both_answered(
    world: ForumWorld,
) -> None:
    await world.poll()
    pm = world.forum.create_pm_as(
        "alice", "Une question", "Bonjour, comment est-ce que je participe ?", [BOT]
    )
    world.later(20)
    world.forum.member_posts("alice", pm.id, "Et aussi :\n!missions\n\nmerci d'avance")
    assert len([n for n in world.forum.notifications_for(BOT) if n.topic_id == pm.id]) == 1

    await world.poll()

    answers = [p for p in world.forum.posts_in(pm.id) if p.username == BOT]
    assert [a.reply_to_post_number for a in answers] == [1, 2]


async def test_a_call_in_a_subcategory_is_followed(world: ForumWorld) -> None:
    topic_id = await world.publish_appeal()
    world.forum.member_posts("alice", topic_id, ALICE)

    report = await world.poll()

    assert report.ok, report.errors
    assert world.forum.topic(topic_id).category_id == APPEALS
    assert world.forum.site.categories[APPEALS].parent_id == ASSOCIATIONS
    lists = world.forum.requests_to("/c/")
    assert lists[0].status == 301, "asked by its id alone, Discourse redirects"
    assert lists[-1].path == "/c/associations/appels-a-benevoles/17/l/latest.json"
    assert lists[-1].status == 200
    assert world.answered(topic_id, "alice") == 1


async def test_a_reply_whose_notification_was_lost_is_found_within_the_hour(
    world: ForumWorld,
) -> None:
    topic_id = await world.publish_appeal()
    await world.poll()
    world.forum.member_posts("alice", topic_id, ALICE)
    world.forum.site.notifications.clear()  # the bot dismissed them all from its browser

    await world.poll()
    assert world.answered(topic_id, "alice") == 0
    world.later(3600)
    await world.poll()

    assert world.answered(topic_id, "alice") == 1


async def test_a_mention_elsewhere_is_answered_and_the_rest_of_that_topic_is_not(
    world: ForumWorld,
) -> None:
    await world.poll()
    topic = world.forum.create_topic_as(
        "chloe", "Nos outils libres préférés", "Parlons de nos outils préférés, ici."
    )
    world.forum.member_posts("alice", topic.id, "Moi j'aime bien !missions, c'est drôle.")
    world.later(20)
    world.forum.member_posts("bob", topic.id, "@tremplin peux-tu nous lister :\n!missions")

    await world.poll()

    answers = [p for p in world.forum.posts_in(topic.id) if p.username == BOT]
    assert [a.raw.split()[0] for a in answers] == ["@bob"], "alice didn't write to the bot"


async def test_a_restart_between_two_posts_of_one_notification_answers_each_once(
    world: ForumWorld,
) -> None:
    topic_id = await world.publish_appeal()
    world.forum.member_posts("alice", topic_id, ALICE)
    await world.poll()
    await world.start()  # a new process on the same database
    world.later(20)
    world.forum.member_posts("bob", topic_id, BOB)
    world.later(20)
    world.forum.member_posts("alice", topic_id, "Et je peux aussi relire des textes en anglais.")

    report = await world.poll()
    world.later()
    await world.poll()

    assert report.ok, report.errors
    assert (world.answered(topic_id, "alice"), world.answered(topic_id, "bob")) == (2, 1)
    assert len(world.answers(topic_id)) == 3


async def test_a_quiet_day_spends_under_half_of_the_day_budget(world: ForumWorld) -> None:
    await world.publish_appeal()
    assert world.connector is not None
    before = len(world.forum.requests)
    elapsed = 0.0

    while elapsed < DAY:
        report = await world.poll()
        assert report.ok, report.errors
        pause = world.connector.next_pause()
        world.later(pause)
        elapsed += pause

    spent = world.forum.requests[before:]
    assert len(spent) < 1440, "under half of a user API key's 2,880 a day"
    assert [r.status for r in spent if r.status != 200] == [301], "never refused"
    assert len(world.forum.requests_to("/c/")) <= 2 + 24, "the category, once an hour"
    budget = world.connector.health.parts["discourse"]["budget"]
    assert budget["requests_per_day"] == 2880
    assert budget["requests_last_24h"] <= len(spent) + 10


async def test_polls_come_quicker_while_people_talk_then_slow_down(world: ForumWorld) -> None:
    topic_id = await world.publish_appeal()
    assert world.connector is not None
    await world.poll()
    quiet = world.connector.next_pause()
    world.forum.member_posts("alice", topic_id, ALICE)

    await world.poll()
    talking = world.connector.next_pause()
    world.later(601)
    await world.poll()

    pacer = Pacer(60, 2880)
    assert (quiet, talking) == (pacer.quiet_seconds, 15.0)
    assert quiet > 60, "stretched so a quiet day stays under half of the budget"
    assert world.connector.next_pause() == quiet
    assert world.connector.health.parts["discourse"]["active"] is False
