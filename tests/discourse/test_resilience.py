"""The forum misbehaves (429, 502, slow answers) and Tremplin restarts: every answer, once."""

from __future__ import annotations

import asyncio
import time

from bot.connectors.discourse.limiter import TokenBucket
from tests.discourse.forum import ForumWorld

ALICE = "Bonjour, je fais du CSS et je traduis de l'anglais, je peux aider !"
BOB = "Salut ! Je m'occupe de WordPress depuis des années, je veux bien aider."


async def test_a_restart_resumes_from_the_cursors_without_answering_again(
    world: ForumWorld,
) -> None:
    topic_id = await world.publish_appeal()
    world.forum.member_posts("alice", topic_id, ALICE)
    await world.poll()
    await world.start()  # a new process on the same database

    world.forum.member_posts("bob", topic_id, BOB)
    report = await world.poll()

    assert report.ok, report.errors
    assert (world.answered(topic_id, "alice"), world.answered(topic_id, "bob")) == (1, 1)
    assert len(world.answers(topic_id)) == 2


async def test_answers_owed_at_a_crash_are_posted_after_the_restart(world: ForumWorld) -> None:
    topic_id = await world.publish_appeal()
    world.forum.member_posts("alice", topic_id, ALICE)
    world.forum.inject(502, count=100, path_prefix="/posts", method="POST")

    failed = await world.poll()

    assert not failed.ok and world.answers(topic_id) == []
    world.forum.clear_injections()
    await world.start()  # the owed answer is in the database, not in memory
    report = await world.poll()

    assert report.ok and report.answers_flushed == 1
    assert world.answered(topic_id, "alice") == 1
    await world.poll()
    assert len(world.answers(topic_id)) == 1


async def test_a_restarting_bot_never_spends_the_forums_daily_allowance_twice(
    world: ForumWorld,
) -> None:
    assert world.connector is not None
    await world.connector.start(watch=False)
    topic_id = await world.publish_appeal()
    world.forum.member_posts("bob", topic_id, "Bonjour, je fais du CSS et du HTML.")
    await world.poll()
    spent = world.connector.client.day.used()
    assert spent == len(world.forum.requests), "every request the forum saw is counted"

    world.later(600)
    again = await world.start(preflight=False)  # the first one stops and keeps its count
    await again.start(watch=False)

    assert again.client.day.used() == spent, "the last day's requests still count"
    world.later(24 * 3600)
    assert again.client.day.used() == 0, "a day later, none does"


async def test_a_429_storm_is_waited_out(world: ForumWorld) -> None:
    topic_id = await world.publish_appeal()
    world.forum.member_posts("alice", topic_id, ALICE)
    world.forum.inject(429, count=2, retry_after=1)

    report = await world.poll()

    assert report.ok, report.errors
    limited = [i for i, r in enumerate(world.forum.requests) if r.status == 429]
    after = world.forum.requests[limited[-1] + 1]
    assert after.time - world.forum.requests[limited[-1]].time >= 0.9, "Retry-After honoured"
    assert world.answered(topic_id, "alice") == 1


async def test_a_long_429_storm_delays_the_answers_but_loses_none(world: ForumWorld) -> None:
    topic_id = await world.publish_appeal()
    world.forum.member_posts("alice", topic_id, ALICE)
    world.forum.member_posts("bob", topic_id, BOB)
    world.forum.inject(429, count=9, retry_after=0)

    reports = [await world.poll() for _ in range(4)]

    assert not reports[0].ok and reports[-1].ok
    assert (world.answered(topic_id, "alice"), world.answered(topic_id, "bob")) == (1, 1)
    assert len(world.answers(topic_id)) == 2


async def test_a_502_storm_is_survived_without_duplicates(world: ForumWorld) -> None:
    topic_id = await world.publish_appeal()
    world.forum.member_posts("alice", topic_id, ALICE)
    world.forum.member_posts("bob", topic_id, BOB)
    world.forum.inject(502, count=6, path_prefix="/posts", method="POST")
    world.forum.inject(502, count=5, path_prefix="/notifications")

    reports = [await world.poll() for _ in range(4)]

    assert not reports[0].ok and reports[-1].ok
    assert (world.answered(topic_id, "alice"), world.answered(topic_id, "bob")) == (1, 1)
    assert len(world.answers(topic_id)) == 2


async def test_a_post_that_timed_out_is_not_duplicated_when_retried(world: ForumWorld) -> None:
    await world.start(auth="api_key", request_timeout_seconds=0.5)  # an admin's key
    topic_id = await world.publish_appeal()
    world.forum.member_posts("alice", topic_id, ALICE)
    world.forum.inject_delay(1.5, count=1, path_prefix="/posts", method="POST")

    report = await world.poll()
    posts = world.forum.requests_to("/posts", "POST")
    await world.forum.wait_for(lambda: all(r.status is not None for r in posts), within=5)

    assert report.ok, report.errors
    assert len(posts) == 3, "the call, the answer that timed out, the same answer again"
    assert world.answered(topic_id, "alice") == 1, "the forum's memo gave back the first post"


async def test_with_a_user_api_key_a_lost_answer_is_looked_for_before_posting_again(
    world: ForumWorld,
) -> None:
    await world.start(
        auth="user_api_key",
        request_timeout_seconds=0.5,
        retry_base_seconds=1.0,
        retry_max_seconds=1.0,
    )
    topic_id = await world.publish_appeal()
    world.forum.member_posts("alice", topic_id, ALICE)
    world.forum.inject_delay(0.8, count=1, path_prefix="/posts", method="POST")

    report = await world.poll()
    await world.forum.wait_for(lambda: all(r.status for r in world.forum.requests), within=5)

    assert report.ok, report.errors
    assert {r.auth for r in world.forum.requests} == {"user"}
    assert len(world.forum.requests_to("/posts", "POST")) == 2, "no second try: it had landed"
    assert world.answered(topic_id, "alice") == 1


async def test_the_running_connector_polls_and_stops_cleanly(world: ForumWorld) -> None:
    topic_id = await world.publish_appeal()
    world.forum.member_posts("alice", topic_id, ALICE)
    assert world.connector is not None

    health = world.connector.health

    await world.connector.start()
    await world.forum.wait_for(lambda: world.answered(topic_id, "alice") == 1)
    await world.connector.stop()  # the poll under way ends first

    assert health.parts["discourse"]["ok"] is True
    assert world.brain is not None and world.brain.services.hub.for_platform("discourse") is None


async def test_the_bot_never_sends_more_than_its_budget() -> None:
    bucket = TokenBucket(600)
    assert bucket.capacity + bucket.rate * 60 <= 600, "any rolling minute stays in budget"
    started = time.monotonic()
    for _ in range(int(bucket.capacity)):
        await bucket.acquire()
    burst = time.monotonic() - started
    for _ in range(3):
        await bucket.acquire()
    paced = time.monotonic() - started - burst

    assert burst < 0.1 and paced >= 2.5 / bucket.rate
    bucket.pause(0.3)
    waited = time.monotonic()
    await asyncio.wait_for(bucket.acquire(), 2)
    assert time.monotonic() - waited >= 0.25, "a 429 pauses every caller"


async def test_a_call_the_forum_cannot_take_is_explained_and_not_followed(
    world: ForumWorld,
) -> None:
    world.forum.inject(502, count=100, path_prefix="/posts", method="POST")

    replies = await world.staff_says("!appel publier forum")

    assert replies == [
        "Le forum ne répond pas pour l'instant : rien n'y a été fait. "
        "Réessayez dans quelques minutes."
    ]
    world.forum.clear_injections()
    assert world.forum.topics == []
    assert await world.connector.inbox.appeal_topics() == set()  # nothing to follow


async def test_a_call_the_forum_refuses_is_explained_once(world: ForumWorld) -> None:
    world.forum.inject(403, count=100, path_prefix="/posts", method="POST")

    replies = await world.staff_says("!appel publier forum")

    assert replies == [
        "Le forum a refusé ma demande : rien n'y a été fait. "
        "L'équipe en trouvera la raison dans le journal de Tremplin."
    ]
    assert len(world.forum.requests_to("/posts", "POST")) == 1  # a refusal is not retried


async def test_without_an_appeal_category_the_call_says_which_setting_is_missing(
    world: ForumWorld,
) -> None:
    await world.start(appeal_category=None)

    replies = await world.staff_says("!appel publier forum")

    assert replies == [
        "Aucune catégorie du forum n'est prévue pour les appels "
        "(réglage discourse.appeal_category) : rien n'a été publié."
    ]
    assert world.forum.requests_to("/posts") == []
