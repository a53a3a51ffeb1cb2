"""One person, one profile: linking a Matrix identity and a forum identity with a code."""

from __future__ import annotations

import re

import pytest

from storage import volunteers as volunteer_store
from storage.enums import Trust
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


async def trust_of(chat: Chat, address: str) -> Trust | None:
    async with chat.brain.database.session() as session:
        volunteer = await volunteer_store.by_address(session, address)
        return volunteer.trust if volunteer is not None else None


async def test_typing_someone_elses_code_gives_nobody_anything_until_both_confirm(
    chat: Chat,
) -> None:
    # The attack of issue 13 (#3): a newcomer gets a trusted volunteer to type his code.
    await chat.say("discourse:trusted", "!competences chiffrement, mon texte très personnel")
    await chat.say("staff", "!confiance discourse:trusted confiance")
    await chat.say("discourse:trusted", "!participer 13")
    code = code_in(await chat.say("@mallory:evil.example", "!lier"))
    claimed = await chat.say("discourse:trusted", f"!lier {code}")
    assert "Ce code est celui du profil de @mallory:evil.example" in claimed
    assert "niveau de confiance le plus bas" in claimed
    # Mallory alone can't finish it, and sees nothing of hers meanwhile.
    assert "Il reste à confirmer" in await chat.say("@mallory:evil.example", "!lier confirmer")
    data = await chat.say("@mallory:evil.example", "!mesdonnees")
    assert "très personnel" not in data and "discourse:trusted" not in data
    assert await trust_of(chat, "discourse:trusted") is Trust.TRUSTED
    # The code serves one claim only: nobody else can take it over meanwhile.
    assert "n'existe pas" in await chat.say("console:eve", f"!lier {code}")


async def test_a_joined_profile_keeps_the_lower_trust_and_the_staff_are_told(chat: Chat) -> None:
    await chat.say("discourse:trusted", "!competences chiffrement")
    await chat.say("staff", "!confiance discourse:trusted confiance")
    await chat.say("discourse:trusted", "!participer 13")
    code = code_in(await chat.say("@newbie:mla.example", "!lier"))
    await chat.say("discourse:trusted", f"!lier {code}")
    await chat.say("@newbie:mla.example", "!lier confirmer")
    done = await chat.say("discourse:trusted", "!lier confirmer")
    assert done.startswith("C'est fait : un seul profil pour discourse:trusted, @newbie:mla")
    assert "le niveau de confiance le plus bas des deux : nouveau·elle" in done
    assert await trust_of(chat, "@newbie:mla.example") is Trust.NEWCOMER
    assert await trust_of(chat, "discourse:trusted") is Trust.NEWCOMER
    # The confidential mission she was on is now hidden from the joined profile.
    mine = await chat.say("@newbie:mla.example", "!mesmissions")
    assert "Maintenir le système d'information sécurisé" not in mine
    [notice] = [text for text in chat.platform.staff if "reliés" in text]
    assert "discourse:trusted, @newbie:mla.example" in notice
    assert "avant : nouveau·elle / de confiance" in notice


async def test_a_fresh_identity_joins_at_the_owners_level(chat: Chat) -> None:
    await chat.say("@alice:mla.example", "!start")
    await chat.say("staff", "!confiance @alice:mla.example confirmé")
    code = code_in(await chat.say("@alice:mla.example", "!lier"))
    await chat.say("discourse:alice", f"!lier {code}")
    await chat.say("discourse:alice", "!lier confirmer")
    assert "C'est fait" in await chat.say("@alice:mla.example", "!lier confirmer")
    assert await trust_of(chat, "discourse:alice") is Trust.CONFIRMED


async def test_the_other_side_is_asked_privately_and_told_when_it_is_done(chat: Chat) -> None:
    code = code_in(await chat.say("console:alice", "!lier"))
    await chat.say("console:alice2", f"!lier {code}")
    [(address, asked)] = chat.platform.direct
    assert address == "console:alice"
    assert "console:alice2 a tapé votre code" in asked and "!lier confirmer" in asked
    await chat.say("console:alice", "!lier confirmer")
    await chat.say("console:alice2", "!lier confirmer")
    assert chat.platform.direct[-1] == (
        "console:alice",
        "C'est fait : un seul profil pour console:alice, console:alice2.",
    )


async def test_nothing_to_confirm_without_a_claim_and_nothing_after_expiry(
    chat: Chat, clock
) -> None:
    assert "rien à confirmer" in await chat.say("console:alice", "!lier confirmer")
    code = code_in(await chat.say("console:alice", "!lier"))
    assert "rien à confirmer" in await chat.say("console:alice", "!lier confirmer")
    await chat.say("console:bob", f"!lier {code}")
    clock.advance(minutes=31)
    assert "rien à confirmer" in await chat.say("console:bob", "!lier confirmer")
    assert "rien à confirmer" in await chat.say("console:alice", "!lier confirmer")
