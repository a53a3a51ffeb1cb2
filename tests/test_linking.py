"""One person, one profile: linking a Matrix identity and a forum identity with a code."""

from __future__ import annotations

import re

import pytest

from tests.conversation import Chat

pytestmark = pytest.mark.dates  # run again under faketime by ./dev test


def code_in(answer: str) -> str:
    match = re.search(r"Votre code : ([A-Z0-9]{6})", answer)
    assert match, answer
    return match.group(1)


async def test_linking_merges_skills_and_missions(chat: Chat) -> None:
    await chat.say("@alice:mla.example", "!competences css")
    await chat.say("@alice:mla.example", "!participer 2")
    await chat.say("discourse:alice", "!competences je traduis de l'anglais")
    code = code_in(await chat.say("@alice:mla.example", "!lier"))
    claimed = await chat.say("discourse:alice", f"!lier {code.lower()}")
    assert "Ce code est celui du profil de @alice:mla.example" in claimed  # nothing joined yet
    assert "Il reste à confirmer" in await chat.say("@alice:mla.example", "!lier confirmer")
    answer = await chat.say("discourse:alice", "!lier confirmer")
    assert answer == "C'est fait : un seul profil pour @alice:mla.example, discourse:alice."
    mine = await chat.say("discourse:alice", "!mesmissions")
    assert "#2 Ajouter une police" in mine
    data = await chat.say("@alice:mla.example", "!mesdonnees")
    assert "CSS" in data and "anglais" in data.lower()


async def test_a_code_works_once_and_expires(chat: Chat, clock) -> None:
    code = code_in(await chat.say("@alice:mla.example", "!lier"))
    assert "Ce code est celui du profil" in await chat.say("discourse:alice", f"!lier {code}")
    assert "n'existe pas ou a expiré" in await chat.say("console:alice", f"!lier {code}")
    await chat.say("discourse:alice", "!lier confirmer")
    assert "C'est fait" in await chat.say("@alice:mla.example", "!lier confirmer")
    assert "n'existe pas ou a expiré" in await chat.say("console:alice", f"!lier {code}")
    code = code_in(await chat.say("@alice:mla.example", "!lier"))
    clock.advance(minutes=31)
    assert "n'existe pas ou a expiré" in await chat.say("console:alice", f"!lier {code}")


async def test_linking_never_raises_trust(chat: Chat) -> None:
    await chat.say("@mallory:evil.example", "!start")
    await chat.say("discourse:trusted", "!start")
    await chat.say("staff", "!confiance discourse:trusted confiance")
    code = code_in(await chat.say("@mallory:evil.example", "!lier"))
    await chat.say("discourse:trusted", f"!lier {code}")
    await chat.say("discourse:trusted", "!lier confirmer")
    await chat.say("@mallory:evil.example", "!lier confirmer")
    # The code's owner keeps their own level: nobody gains trust by linking. A mission one
    # may not see is exactly a number that doesn't exist (issue 13, #6).
    nonexistent = await chat.say("@mallory:evil.example", "!participer 999")
    assert await chat.say("@mallory:evil.example", "!participer 13") == nonexistent.replace(
        "999", "13"
    )
