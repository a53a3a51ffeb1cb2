"""The connector's small pieces, without a homeserver: reading events, writing replies, waiting."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nio import MegolmEvent

from bot.config import MatrixConfig, Secrets
from bot.connectors.matrix import MatrixConnector
from bot.connectors.matrix.incoming import (
    RecentThreads,
    read_mentions,
    read_text_event,
    strip_reply_fallback,
)
from bot.connectors.matrix.outgoing import (
    PAGE_LIMIT,
    notice_content,
    pages,
    reply_messages,
    transaction_id,
)
from bot.connectors.matrix.sync import Backoff
from bot.connectors.matrix.unreadable import UnreadableMessages
from commands.ports import OnboardingRequest, PortError
from commands.text import MENTION_GUARD, Mentions, no_mentions
from storage.database import Database
from tests.conversation import make_brain


def test_an_edit_is_read_from_its_new_content_never_from_the_star_fallback() -> None:
    content = {
        "msgtype": "m.text",
        "body": "* !missions",
        "m.new_content": {"msgtype": "m.text", "body": "!missions"},
        "m.relates_to": {"rel_type": "m.replace", "event_id": "$original"},
    }
    event = read_text_event("$edit", content)
    assert event is not None
    assert event.text == "!missions"
    assert event.reply_to == "$original"


def test_a_reply_fallback_is_dropped_and_the_thread_root_kept() -> None:
    content = {
        "msgtype": "m.text",
        "body": "> <@bob:example.org> quelles missions ?\n> il y en a ?\n\n!missions css",
        "m.relates_to": {
            "rel_type": "m.thread",
            "event_id": "$root",
            "is_falling_back": False,
            "m.in_reply_to": {"event_id": "$question"},
        },
    }
    event = read_text_event("$cmd", content)
    assert event is not None
    assert event.text == "!missions css"
    assert event.thread_root == "$root"
    assert event.reply_to == "$cmd"


def test_notices_and_quotes_that_are_not_fallbacks_are_left_alone() -> None:
    assert read_text_event("$n", {"msgtype": "m.notice", "body": "!missions"}) is None
    assert strip_reply_fallback("> une citation\n\n!aide", is_reply=False) == (
        "> une citation\n\n!aide"
    )


def test_recent_threads_forget_the_oldest() -> None:
    threads = RecentThreads(capacity=2)
    threads.remember("$a", "$root")
    threads.remember("$b", None)
    threads.remember("$c", "$other")
    assert threads.root_of("$a") is None
    assert threads.root_of("$c") == "$other"


def test_transaction_ids_are_the_same_after_a_restart_and_differ_per_message() -> None:
    assert transaction_id("$event", 0) == transaction_id("$event", 0)
    assert transaction_id("$event", 0) != transaction_id("$event", 1)
    assert transaction_id("$event", 0) != transaction_id("$other", 0)
    assert transaction_id("$event", 0).startswith("tremplin-")


def test_a_long_reply_is_paged_on_line_boundaries() -> None:
    lines = [f"#{n} une mission au titre assez long pour remplir la page" for n in range(800)]
    markdown = "\n".join(lines)
    result = pages(markdown)
    assert len(result) > 1
    assert all(len(page) <= PAGE_LIMIT for page in result)
    assert "\n".join(result) == markdown


def test_every_page_of_every_reply_gets_its_own_transaction_id() -> None:
    long = "\n".join(["ligne"] * 5000)
    messages = reply_messages(
        [long, "court"], event_id="$e", reply_to="$e", sender="@a:x", thread_root=None
    )
    ids = [txn for txn, _ in messages]
    assert len(ids) == len(set(ids)) == 4
    assert ids[0] == transaction_id("$e", 0)


def test_room_mentions_are_defused_but_addresses_stay_intact() -> None:
    assert no_mentions("@room et @everyone", Mentions.ROOM) == (
        f"@{MENTION_GUARD}room et @{MENTION_GUARD}everyone"
    )
    assert no_mentions("écrire à contact@room.org", Mentions.ROOM) == "écrire à contact@room.org"


def test_a_notice_mentions_only_the_person_answered() -> None:
    content = notice_content("**Bonjour** @room", mention="@a:x", reply_to="$e")
    assert content["msgtype"] == "m.notice"
    assert content["m.mentions"] == {"user_ids": ["@a:x"]}
    assert "<strong>Bonjour</strong>" in content["formatted_body"]
    assert "@room" not in content["body"] and "@room" not in content["formatted_body"]
    assert notice_content("Pour l'équipe")["m.mentions"] == {}


def test_backoff_doubles_with_jitter_up_to_its_ceiling_and_resets() -> None:
    backoff = Backoff(first=1.0, maximum=60.0, rng=lambda: 1.0)
    delays = [backoff.next_delay() for _ in range(10)]
    assert delays[:4] == [1.0, 2.0, 4.0, 8.0]
    assert max(delays) == 60.0
    low = Backoff(first=1.0, maximum=60.0, rng=lambda: 0.0)
    assert low.next_delay() == 0.5
    backoff.reset()
    assert backoff.next_delay() == 1.0


async def test_a_homeserver_out_of_reach_is_a_port_error_and_the_brain_is_told() -> None:
    config = MatrixConfig(enabled=True, homeserver="http://127.0.0.1:9", user_id="@t:x")
    brain = make_brain(Database("sqlite+aiosqlite:///:memory:"))
    secrets = Secrets(None, None, None, None, None)
    connector = MatrixConnector(config, brain, secrets)  # not started: not signed in
    request = OnboardingRequest(1, 2, "Traduire le site", "@alice:x", ("@coord:x",), "Bienvenue")

    with pytest.raises(PortError) as raised:
        await connector.open_onboarding_thread(request)

    assert raised.value.key == "port.matrix.unavailable" and not raised.value.refused
    assert await connector.send_direct("@alice:x", "Bonjour") is False


# -- pills and withheld keys, without a homeserver -----------------------------------------

MATRIX_ID = st.from_regex(r"@[a-z0-9._=\-]{1,12}:[a-z0-9]{1,8}\.example", fullmatch=True)
SHOWN_NAME = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=20
).filter(lambda name: name.strip())


def element_html(pills: list[tuple[str, str]], quoted: str | None = None) -> str:
    """`formatted_body` as Element writes it: each pill a matrix.to link around the name, after
    an <mx-reply> block quoting the message answered, when there is one."""
    reply = (
        f'<mx-reply><blockquote><a href="https://matrix.to/#/{quoted}">{html.escape(quoted)}</a>'
        "</blockquote></mx-reply>"
        if quoted
        else ""
    )
    links = " ".join(
        f'<a href="https://matrix.to/#/{quote(user_id)}">{html.escape(name)}</a>'
        for user_id, name in pills
    )
    return f"{reply}!confiance {links} confirmé"


@settings(max_examples=200, deadline=None)
@given(
    pills=st.lists(st.tuples(MATRIX_ID, SHOWN_NAME), max_size=4, unique_by=lambda p: p[0]),
    quoted=st.one_of(st.none(), MATRIX_ID),
    also=st.lists(MATRIX_ID, max_size=3),
)
def test_pills_are_read_in_order_with_their_names_and_quotes_are_skipped(
    pills: list[tuple[str, str]], quoted: str | None, also: list[str]
) -> None:
    content = {
        "msgtype": "m.text",
        "body": "!confiance …",
        "format": "org.matrix.custom.html",
        "formatted_body": element_html(pills, quoted),
        "m.mentions": {"user_ids": [user_id for user_id, _ in pills] + also},
    }
    mentions = read_mentions(content)

    shown = [(user_id, " ".join(name.split())) for user_id, name in pills]
    assert [(m.identity, m.label) for m in mentions[: len(pills)]] == shown
    extra = [m.identity for m in mentions[len(pills) :]]
    assert extra == [u for u in dict.fromkeys(also) if u not in dict(pills)]
    assert all(m.label is None for m in mentions[len(pills) :])


def test_an_edit_names_people_from_its_new_content() -> None:
    pill = '<a href="https://matrix.to/#/@alice:x.example">Alice</a>'
    content = {
        "msgtype": "m.text",
        "body": "* !confiance Alice confirmé",
        "m.new_content": {
            "msgtype": "m.text",
            "body": "!confiance Alice confirmé",
            "format": "org.matrix.custom.html",
            "formatted_body": f"!confiance {pill} confirmé",
        },
        "m.relates_to": {"rel_type": "m.replace", "event_id": "$original"},
    }
    event = read_text_event("$edit", content)
    assert event is not None
    assert [(m.identity, m.label) for m in event.mentions] == [("@alice:x.example", "Alice")]


def megolm(event_id: str, sender: str, session_id: str, sender_key: str = "curve") -> MegolmEvent:
    """An encrypted room event as Synapse sends it in /sync."""
    event = MegolmEvent.from_dict(
        {
            "type": "m.room.encrypted",
            "event_id": event_id,
            "sender": sender,
            "origin_server_ts": 0,
            "content": {
                "algorithm": "m.megolm.v1.aes-sha2",
                "ciphertext": "x",
                "device_id": "DEVICE",
                "sender_key": sender_key,
                "session_id": session_id,
            },
        }
    )
    assert isinstance(event, MegolmEvent)
    return event


class NoKeys:
    """Where `UnreadableMessages` asks for keys: a client that never gets them."""

    async def request_room_key(self, event: MegolmEvent) -> None:
        return None


async def test_a_withheld_key_makes_its_messages_due_at_once_and_only_those() -> None:
    now = [100.0]
    waiting = UnreadableMessages(grace_seconds=20, clock=lambda: now[0])
    client: Any = NoKeys()
    await waiting.track(client, "!r", megolm("$a", "@alice:x", "s1"))
    await waiting.track(client, "!r", megolm("$b", "@alice:x", "s2"))
    await waiting.track(client, "!r", megolm("$c", "@bob:x", "s1"))
    assert waiting.seconds_until_due() == 20

    waiting.note_withheld("@mallory:x", {"code": "m.blacklisted", "session_id": "s2"})
    waiting.note_withheld("@alice:x", {"code": "m.unavailable", "session_id": "s2"})
    assert waiting.overdue() == []  # someone else's word, or "ask another device": no
    waiting.note_withheld("@alice:x", {"code": "m.unverified", "session_id": "s1"})

    [due] = waiting.overdue()
    assert due.event.event_id == "$a" and due.message_key == "matrix.key_withheld.unverified"
    await waiting.track(client, "!r", megolm("$d", "@alice:x", "s1"))  # later, same session
    [later] = waiting.overdue()
    assert later.event.event_id == "$d"
    now[0] += 20
    rest = waiting.overdue()
    assert {w.event.event_id for w in rest} == {"$b", "$c"}
    assert {w.message_key for w in rest} == {"matrix.unreadable_message"}


async def test_no_olm_names_the_sending_device_not_a_session() -> None:
    waiting = UnreadableMessages(grace_seconds=20, clock=lambda: 0.0)
    client: Any = NoKeys()
    await waiting.track(client, "!r", megolm("$a", "@alice:x", "s1", sender_key="phone"))
    await waiting.track(client, "!r", megolm("$b", "@alice:x", "s2", sender_key="laptop"))

    waiting.note_withheld("@alice:x", {"code": "m.no_olm", "sender_key": "phone"})

    [due] = waiting.overdue()
    assert due.event.event_id == "$a" and due.message_key == "matrix.key_withheld.no_olm"
