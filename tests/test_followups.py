"""Follow-ups over months on one engagement: each message exactly once, restarts included."""

from __future__ import annotations

from datetime import timedelta

import pytest

from commands.reminders import run_pass
from tests.conversation import Chat, Clock, make_brain

pytestmark = pytest.mark.dates  # run again under faketime by ./dev test


async def follow_up(chat: Chat, clock: Clock) -> list[str]:
    report = await run_pass(chat.brain.database, chat.brain.services, clock())
    assert report.failed == []
    return report.sent


async def test_an_engagement_followed_from_welcome_to_erasure(chat: Chat, clock: Clock) -> None:
    platform = chat.platform
    await chat.say("alice", "!competences wordpress")
    await chat.say("alice", "!participer 5")  # recurring: WordPress updates
    [thread] = [ref for ref in ("thread-1",)]
    start = clock()

    clock.advance(hours=47)
    assert await follow_up(chat, clock) == []

    clock.advance(hours=2)  # 49 h: the coordinators are reminded in the thread, once
    assert await follow_up(chat, clock) == ["first_response engagement:1"]
    assert await follow_up(chat, clock) == []
    [(where, reminder)] = platform.in_threads
    assert where == thread
    assert reminder.startswith("Petit rappel pour console:coord : console:alice attend")

    # Tremplin restarts: a new brain on the same database, the same platforms out there.
    chat = Chat(make_brain(chat.brain.database, clock), platform)
    chat.brain.services.hub.register(platform)
    assert await follow_up(chat, clock) == []

    clock.advance(hours=48)  # 97 h: nobody answered, the staff hear about it
    assert await follow_up(chat, clock) == ["escalation engagement:1"]
    assert [n for n in platform.staff if n.startswith("Personne n'a encore accueilli")] == [
        "Personne n'a encore accueilli console:alice sur #5 Mettre à jour les extensions "
        "WordPress après 96 h (espace : thread-1). Quelqu'un de l'équipe peut-il "
        "prendre le relais ?"
    ]

    await chat.brain.note_thread_message("console", thread, "console:coord")
    answered = clock()
    assert "accueil" not in await chat.say("alice", "!mesmissions")  # now "en cours"

    clock.now = answered + timedelta(weeks=2, minutes=1)
    assert await follow_up(chat, clock) == ["checkin_2w engagement:1"]
    assert "Comment ça se passe sur #5" in platform.in_threads[-1][1]
    assert "!bilan 5 avance" in platform.in_threads[-1][1]
    assert "Bonne continuation" in await chat.say("alice", "!bilan 5 avance")

    clock.now = answered + timedelta(weeks=6, minutes=1)
    assert await follow_up(chat, clock) == ["checkin_6w engagement:1"]

    clock.now = answered + timedelta(days=90, minutes=1)
    assert await follow_up(chat, clock) == ["renewal engagement:1:1"]
    assert "On continue ensemble ?" in platform.in_threads[-1][1]
    assert await follow_up(chat, clock) == []

    assert "merci pour ce que vous avez fait" in await chat.say("alice", "!bilan 5 stop")
    assert await follow_up(chat, clock) == ["exit engagement:1"]
    assert "pourquoi vous arrêtez" in platform.in_threads[-1][1]
    assert await follow_up(chat, clock) == []
    assert len(platform.in_threads) == 5  # reminder, 2 check-ins, renewal, exit: nothing else

    clock.now = start + timedelta(days=90 + 25 * 30)  # two years without a word from alice
    assert await follow_up(chat, clock) == [
        f"retention_warning volunteer:1:{(answered + timedelta(days=90, minutes=1)):%Y%m%d}"
    ]
    [address] = [a for a, text in platform.direct if "effacerai" in text]
    assert address == "console:alice"
    assert await follow_up(chat, clock) == []

    clock.advance(days=31)
    assert await follow_up(chat, clock) == ["retention_erase volunteer:1"]
    assert "Je ne garde rien sur vous" in await chat.say("alice", "!mesdonnees")


async def test_a_reply_after_the_warning_keeps_the_data(chat: Chat, clock: Clock) -> None:
    await chat.say("alice", "!competences css")
    clock.advance(days=24 * 30 + 1)
    assert [s.split(":")[0] for s in await follow_up(chat, clock)] == [
        "retention_warning volunteer"
    ]
    clock.advance(days=3)
    await chat.say("alice", "!mesmissions")  # alice is back
    clock.advance(days=40)
    assert await follow_up(chat, clock) == []
    assert "CSS" in await chat.say("alice", "!mesdonnees")


async def test_a_reminder_that_cannot_be_sent_stays_due(chat: Chat, clock: Clock) -> None:
    await chat.say("alice", "!participer 1")
    chat.brain.services.hub.connectors.clear()  # the platform is unreachable for now
    clock.advance(hours=49)
    report = await run_pass(chat.brain.database, chat.brain.services, clock())
    assert report.failed == ["first_response engagement:1"]
    chat.brain.services.hub.register(chat.platform)
    assert await follow_up(chat, clock) == ["first_response engagement:1"]


async def test_dry_run_sends_nothing(chat: Chat, clock: Clock) -> None:
    await chat.say("alice", "!participer 1")
    clock.advance(hours=49)
    report = await run_pass(chat.brain.database, chat.brain.services, clock(), dry_run=True)
    assert report.due == ["first_response engagement:1"] and report.sent == []
    assert chat.platform.in_threads == []
    assert await follow_up(chat, clock) == ["first_response engagement:1"]
