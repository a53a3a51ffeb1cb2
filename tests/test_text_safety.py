"""Property tests: nobody is ever mentioned by what the bot writes, and identities parse one way.

A "live mention" is judged here the way each platform judges it, written from their sources
rather than from our guard:
- Discourse (discourse-markdown-it, features/mentions.js and text-post-process.js): "@" and a
  word character make a mention when the character before the "@" is nothing, a space, or
  what markdown-it's `isPunctChar` accepts (Unicode punctuation and symbols).
- Synapse (the legacy push rule `.m.rule.roomnotif`, a glob matched on word boundaries):
  "@room" anywhere, unless a letter, digit or "_" touches it.
"""

from __future__ import annotations

import re
import unicodedata

from hypothesis import example, given
from hypothesis import strategies as st

from bot.connectors.discourse.outgoing import forum_text, reply_body
from bot.connectors.matrix.outgoing import notice_content
from bot.render import to_plain
from commands.identities import (
    CONSOLE,
    DISCOURSE,
    MATRIX,
    forum_identity,
    forum_username,
    parse_identity,
)
from commands.text import MENTION_GUARD, Mentions, mentions, no_mentions, unguarded, user_text

# Text where mentions are likely: "@" next to letters, punctuation, spaces and guards, plus
# anything Unicode has.
TRICKY = st.text(
    alphabet=st.one_of(
        st.sampled_from("@@@abcZ_1.-/`:!#([«\"' \n\t\u00a0é\u0301" + MENTION_GUARD),
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
    ),
    max_size=60,
)
ROOM_WORDS = ("room", "everyone", "here", "channel")
# Usernames as Discourse allows them (UsernameValidator): "." and "-" only inside.
USERNAME = st.from_regex(r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,18}[A-Za-z0-9_])?", fullmatch=True)


def _discourse_boundary(character: str) -> bool:
    return character.isspace() or unicodedata.category(character)[0] in "PSZ"


def forum_mentions(text: str) -> list[str]:
    """The names Discourse would mention in `text` (usernames taken as broadly as possible)."""
    found = []
    for match in re.finditer(r"@(\w[\w.-]*)", text):
        start = match.start()
        if start == 0 or _discourse_boundary(text[start - 1]):
            found.append(match.group(1).rstrip(".-").lower())
    return found


def room_mentions(text: str) -> list[str]:
    """The room-wide keywords a Matrix push rule would fire on in `text`."""
    words = "|".join(ROOM_WORDS)
    return re.findall(rf"(?<![^\W])@({words})(?![^\W])", text, re.IGNORECASE)


@given(text=TRICKY)
@example(text="@@alice _@bob x.@chloe /@dan `@eve (@frank) «@room»")
def test_forum_text_mentions_nobody_and_reads_the_same(text: str) -> None:
    safe = forum_text(text)
    assert forum_mentions(safe) == []
    assert unguarded(safe) == unguarded(text)


@given(text=TRICKY)
@example(text="écrire à contact@mla.org ou @alice@mastodon.social")
def test_forum_text_keeps_addresses_intact(text: str) -> None:
    address = f"contact{text.count('@')}@mla.org"
    assert address in forum_text(f"{text} {address} ")


@given(name=USERNAME, text=TRICKY)
def test_a_forum_reply_mentions_only_the_member_answered(name: str, text: str) -> None:
    assert forum_mentions(reply_body(name, [text, text])) == [name.lower()]
    assert forum_mentions(reply_body(None, [text])) == []


@given(text=TRICKY)
@example(text="@@room x.@room @Everyone, (@here) contact@room.org")
def test_a_matrix_notice_never_notifies_the_room(text: str) -> None:
    content = notice_content(text, mention="@alice:example.org")
    assert room_mentions(content["body"]) == []
    assert room_mentions(content["formatted_body"]) == []
    assert content["m.mentions"] == {"user_ids": ["@alice:example.org"]}


@given(text=TRICKY)
def test_peoples_words_mention_nobody_anywhere(text: str) -> None:
    safe = user_text(text)
    assert re.search(r"@\w", safe) is None
    assert forum_mentions(safe) == [] and room_mentions(safe) == []
    assert forum_mentions(to_plain(safe, keep_mention_guards=True)) == []


@given(text=TRICKY, which=st.sampled_from(Mentions))
def test_the_guard_is_invisible_and_idempotent(text: str, which: Mentions) -> None:
    once = no_mentions(text, which)
    assert no_mentions(once, which) == once
    assert unguarded(once) == unguarded(text)


@given(text=TRICKY)
def test_mentions_of_the_bot_are_found_as_the_forum_sees_them(text: str) -> None:
    assert mentions(f"{text} @Tremplin, merci", "tremplin")
    assert mentions(text, "tremplin") == ("tremplin" in forum_mentions(text))
    assert not mentions(forum_text(text), "tremplin")


# --- identities ---------------------------------------------------------------------------

# The grammar the README states: Matrix user ids as they are, `discourse:NAME`, `console:NAME`.
GRAMMAR = re.compile(r"@[^\s:]+:\S+|(discourse|console):\S+")
NON_SPACE = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Zs", "Zl", "Zp", "Cc")),
    min_size=1,
    max_size=20,
).filter(lambda text: not any(c.isspace() for c in text))
IDENTITY_TEXT = st.one_of(
    st.builds(lambda local, server: f"@{local}:{server}", NON_SPACE, NON_SPACE),
    st.builds(lambda name: f"discourse:{name}", NON_SPACE),
    st.builds(lambda name: f"console:{name}", NON_SPACE),
    st.text(max_size=30),
    TRICKY,
)


@given(text=IDENTITY_TEXT)
@example(text="@alice:example.org")
@example(text="console:alice\n")
@example(text="discourse:Alice")
@example(text="@alice")
def test_identities_follow_the_grammar_and_read_back_the_same(text: str) -> None:
    identity = parse_identity(text)
    assert (identity is not None) == (GRAMMAR.fullmatch(text) is not None)
    if identity is None:
        return
    written = str(identity)
    assert parse_identity(written) == identity
    assert not any(c.isspace() for c in written)
    if text.startswith("@"):
        assert (identity.platform, written) == (MATRIX, text)
    elif identity.platform == DISCOURSE:
        assert written == text.lower() and identity.name == identity.name.lower()
    else:
        assert (identity.platform, written) == (CONSOLE, text)


@given(username=USERNAME)
def test_a_forum_member_is_one_identity_whatever_the_case(username: str) -> None:
    identity = forum_identity(username)
    assert identity == forum_identity(username.upper()) == forum_identity(username.lower())
    parsed = parse_identity(identity)
    assert parsed is not None and parsed.platform == DISCOURSE
    assert forum_username(identity) == username.lower()


@given(text=IDENTITY_TEXT)
def test_only_forum_identities_have_a_forum_username(text: str) -> None:
    username = forum_username(text)
    if username is not None:
        assert text.lower() == f"discourse:{username}"
        assert forum_mentions(f"@{username}") == [username]
