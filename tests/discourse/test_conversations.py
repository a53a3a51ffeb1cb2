"""Tremplin on the CHATONS forum, as members see it: calls, answers, onboarding messages."""

from __future__ import annotations

from sqlalchemy import select

from bot.connectors.discourse.api import ARCHETYPE_PRIVATE_MESSAGE
from storage.models import Appeal, Engagement
from tests.discourse.forum import APPEALS, BOT, COORDINATION, ForumWorld, form
from tests.fakes.discourse import extract_mentions

SKILLS_REPLY = "Bonjour, je fais du CSS et je traduis de l'anglais, je peux aider !"
HIDDEN_TITLES = (
    "Nextcloud",
    "tableaux de suivi",
    "Former l'équipe",
    "système d'information",
    "RGPD",
)


async def test_staff_publish_the_call_in_the_appeal_category(world: ForumWorld) -> None:
    topic_id = await world.publish_appeal()

    topic = world.forum.topic(topic_id)
    assert topic.category_id == APPEALS and topic.archetype == "regular"
    assert topic.title.startswith("La MLA renforce son équipe bénévole")
    call = world.forum.posts_in(topic_id)[0]
    assert call.username == BOT
    for line in ("#1 Ouvrir le compte Mastodon", "#2 Ajouter une police", "#4 Traduire le site"):
        assert line in call.raw
    assert not any(title in call.raw for title in HIDDEN_TITLES), "internal or confidential"
    assert extract_mentions(call.raw) == [], "@font-face is a title, not a person"
    async with world.database.session() as session:
        appeal = (await session.scalars(select(Appeal))).one()
    assert (appeal.channel, appeal.place) == ("forum", str(topic_id))


async def test_a_free_text_reply_is_answered_once_with_matching_missions(
    world: ForumWorld,
) -> None:
    topic_id = await world.publish_appeal()
    alice = world.forum.member_posts("alice", topic_id, SKILLS_REPLY)

    await world.poll()
    await world.poll()

    [answer] = world.answers(topic_id)
    assert answer.reply_to_post_number == alice.post_number
    assert answer.raw.startswith("@alice Merci pour votre message")
    assert "#2 Ajouter une police" in answer.raw and "#4 Traduire le site" in answer.raw
    assert extract_mentions(answer.raw) == ["alice"]
    assert len(world.forum.notifications_for("alice")) == 1, "alice hears of it, once"


async def test_joining_from_a_longer_post_opens_a_private_message_with_the_coordinators(
    world: ForumWorld,
) -> None:
    topic_id = await world.publish_appeal()
    bob = world.forum.member_posts(
        "bob",
        topic_id,
        "Bonjour à toutes et à tous !\nLa police du site, je sais faire.\n!participer 2\n\nBob",
    )

    await world.poll()

    [created] = [
        form(r)
        for r in world.forum.requests_to("/posts", "POST")
        if form(r).get("archetype") == ARCHETYPE_PRIVATE_MESSAGE
    ]
    assert created["target_recipients"] == f"bob,{COORDINATION}"
    pm = world.forum.topics[-1]
    assert pm.is_private_message
    assert pm.title == "Accueil · Ajouter une police avec @font-face sur le site"
    welcome = world.forum.posts_in(pm.id)[0].raw
    assert welcome.startswith("Bienvenue sur la mission")
    assert extract_mentions(welcome) == []
    [answer] = world.answers(topic_id)
    assert answer.reply_to_post_number == bob.post_number
    assert answer.raw.startswith("@bob C'est parti !")
    assert "discourse:bob" in world.staff_room.staff[0], "the staff room hears of it"
    async with world.database.session() as session:
        engagement = (await session.scalars(select(Engagement))).one()
    assert (engagement.status, engagement.thread_platform, engagement.thread_ref) == (
        "onboarding",
        "discourse",
        str(pm.id),
    )

    world.forum.member_posts("yann_k", pm.id, "Bienvenue Bob ! On se parle jeudi ?")
    await world.poll()

    async with world.database.session() as session:
        engagement = (await session.scalars(select(Engagement))).one()
    assert engagement.first_response_at is not None, "the coordinator answered"
    assert [p.username for p in world.forum.posts_in(pm.id)] == [BOT, "yann_k"], "bot silent"


async def test_mission_coordinators_on_the_forum_are_the_recipients(world: ForumWorld) -> None:
    await world.staff_says("!mission modifier 4\ncoordination: discourse:audrey.l")
    topic_id = await world.publish_appeal()
    world.forum.member_posts("chloe", topic_id, "Je traduis volontiers.\n!participer 4 merci")

    await world.poll()

    pm_posts = [r for r in world.forum.requests_to("/posts", "POST") if "archetype" in form(r)]
    assert form(pm_posts[0])["target_recipients"] == "chloe,audrey.l"


async def test_quoted_mentions_never_become_mentions(world: ForumWorld) -> None:
    topic_id = await world.publish_appeal()
    world.forum.member_posts(
        "bob", topic_id, "@everyone @mla-coordination regardez cet appel, il est pour vous"
    )
    bob_post = world.forum.posts_in(topic_id)[-1]
    quoting = (
        f'[quote="bob, post:{bob_post.post_number}, topic:{topic_id}"]\n'
        "@everyone @mla-coordination regardez cet appel\n[/quote]\n"
        "!competences css, et je dis bonjour à @everyone @mla-coordination"
    )
    world.forum.member_posts("alice", topic_id, quoting)
    notified_before = len(world.forum.notifications_for("yann_k"))

    await world.poll()

    answers = [a for a in world.answers(topic_id) if a.raw.startswith("@alice")]
    assert len(answers) == 1
    assert extract_mentions(answers[0].raw) == ["alice"]
    assert len(world.forum.notifications_for("yann_k")) == notified_before


async def test_the_bot_ignores_itself_and_other_bots(world: ForumWorld) -> None:
    topic_id = await world.publish_appeal()
    assert world.connector is not None
    await world.connector.post_in_thread(str(topic_id), "!missions — rappel : l'appel reste ouvert")
    world.forum.member_posts("discobot", topic_id, "!missions je suis un robot, moi aussi")
    world.forum.member_posts("system", topic_id, "Ce sujet a été épinglé, voici les missions")

    await world.poll()
    await world.poll()

    assert [p.raw[:9] for p in world.answers(topic_id)] == ["!missions"]


async def test_a_member_writing_privately_gets_an_answer_there(world: ForumWorld) -> None:
    await world.poll()  # first start: the cursor is set
    pm = world.forum.create_pm_as(
        "alice", "Une question", "Bonjour, comment est-ce que je participe ?", [BOT]
    )
    world.later(20)  # a person's two posts are never 5 seconds apart (the forum's pace)
    world.forum.member_posts("alice", pm.id, "Et aussi :\n!missions\n\nmerci d'avance")

    await world.poll()

    posts = world.forum.posts_in(pm.id)
    answers = [p for p in posts if p.username == BOT]
    assert len(answers) == 2, [p.raw for p in posts]
    assert answers[0].reply_to_post_number == 1 and "!aide" in answers[0].raw
    assert answers[1].reply_to_post_number == 2 and "#1 Ouvrir le compte Mastodon" in answers[1].raw


async def test_a_quiet_poll_costs_at_most_two_requests(world: ForumWorld) -> None:
    topic_id = await world.publish_appeal()
    world.forum.member_posts("alice", topic_id, SKILLS_REPLY)
    await world.poll()

    quiet = await world.poll()

    assert quiet.ok and quiet.requests <= 2
    assert world.connector is not None
    assert world.connector.health.parts["discourse"]["ok"] is True


async def test_the_same_question_twice_gets_two_answers(world: ForumWorld) -> None:
    topic_id = await world.publish_appeal()
    world.forum.member_posts("alice", topic_id, "Je regarde ce qui existe :\n!missions")
    await world.poll()
    world.forum.member_posts("alice", topic_id, "Pardon, je redemande :\n!missions")

    await world.poll()

    first, second = world.answers(topic_id)
    assert first.raw != second.raw, "a bot may not post the same text twice in five minutes"
    assert second.raw.endswith(f"_(en réponse à votre message n° {second.post_number - 1})_")


async def test_a_second_call_in_the_same_month_gets_its_own_title(world: ForumWorld) -> None:
    first = await world.publish_appeal()
    world.forum.advance(600)  # past the forum's five minutes for identical posts
    second = await world.publish_appeal()

    titles = [world.forum.topic(first).title, world.forum.topic(second).title]
    assert titles[1] == f"{titles[0]} (2)"
