"""Missions in conversation: listing, details, and staff editing with `clé: valeur` lines."""

from __future__ import annotations

import re

from sqlalchemy import select

from storage.models import AuditEntry, Mission
from tests.conversation import Chat

ENTRY_DOORS = (
    "Ouvrir le compte Mastodon de la MLA",
    "Ajouter une police avec @font-face sur le site",
    "Automatiser la lettre d'information",
    "Traduire le site en anglais",
)


def mission_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if re.match(r"^#\d+ ", line)]


async def test_missions_lists_the_four_entry_doors_first(chat: Chat) -> None:
    answer = await chat.say("alice", "!missions")
    lines = mission_lines(answer)
    assert [line.split(" ", 1)[1].split(" — ")[0] for line in lines[:4]] == list(ENTRY_DOORS)
    assert all("porte d'entrée" in line for line in lines[:4])
    assert "!participer" in answer


async def test_a_newcomer_never_sees_confidential_missions(chat: Chat) -> None:
    answer = await chat.say("alice", "!missions")
    assert "système d'information sécurisé" not in answer
    assert "Administrer le Nextcloud" in answer  # internal: fine in the team chat


async def test_staff_see_confidential_missions(chat: Chat) -> None:
    answer = await chat.say("staff", "!missions")
    assert "Maintenir le système d'information sécurisé" in answer


async def test_mission_details_say_how_to_join(chat: Chat) -> None:
    answer = await chat.say("alice", "!mission 2")
    assert "#2 Ajouter une police avec @font-face sur le site" in answer
    assert "Compétences : HTML, CSS" in answer or "Compétences :" in answer
    assert "!participer 2" in answer


async def test_a_hidden_mission_looks_like_no_mission(chat: Chat) -> None:
    hidden = await chat.say("alice", "!mission 13")
    missing = await chat.say("alice", "!mission 999")
    assert hidden == missing.replace("999", "13")


async def test_mission_number_accepts_a_hash(chat: Chat) -> None:
    assert "#3 Automatiser" in await chat.say("alice", "!mission #3")


async def test_keyword_search(chat: Chat) -> None:
    answer = await chat.say("alice", "!missions wordpress")
    assert mission_lines(answer) and all("WordPress" in line for line in mission_lines(answer))
    assert "Aucune mission" in await chat.say("alice", "!missions macramé")


async def test_a_volunteer_cannot_add_a_mission_and_the_attempt_is_audited(chat: Chat) -> None:
    answer = await chat.say("alice", "!mission ajouter\ntitre: Pirater la lune")
    assert answer == "Cette commande est réservée à l'équipe de la MLA."
    async with chat.brain.database.session() as session:
        assert (
            await session.scalar(select(Mission).where(Mission.title == "Pirater la lune")) is None
        )
        refused = (await session.scalars(select(AuditEntry))).all()
    assert [(e.actor, e.action, e.allowed) for e in refused] == [
        ("console:alice", "refused:mission.ajouter", False)
    ]


async def test_staff_add_a_mission_with_french_keys(chat: Chat) -> None:
    answer = await chat.say(
        "staff",
        "!mission ajouter\n"
        "titre: Réparer le formulaire de contact\n"
        "résumé: Le formulaire n'envoie plus les messages\n"
        "compétences: WordPress, PHP\n"
        "porte: non\n"
        "sensibilité: interne\n"
        "engagement: ponctuelle\n"
        "durée: 3 h\n"
        "coordination: @coord:mla.example",
    )
    assert answer.startswith("Mission ajoutée : #15 Réparer le formulaire de contact")
    details = await chat.say("staff", "!mission 15")
    assert "interne" in details and "@coord:mla.example" in details
    async with chat.brain.database.session() as session:
        mission = await session.get(Mission, 15)
        audit = (await session.scalars(select(AuditEntry))).all()
    assert mission is not None and mission.skills[:1] == ["wordpress"]
    assert mission.sensitivity == "internal" and mission.entry_door is False
    assert [(e.actor, e.action, e.target) for e in audit] == [
        ("console:staff", "mission.add", "#15")
    ]


async def test_staff_add_with_english_keys_and_a_multiline_description(chat: Chat) -> None:
    answer = await chat.say(
        "staff",
        "!mission add\ntitle: Map our servers\ndescription: First line\nsecond line\n"
        "skills: linux\nentry_door: yes\nsensitivity: public\nstatus: draft",
    )
    assert "#15 Map our servers" in answer
    async with chat.brain.database.session() as session:
        mission = await session.get(Mission, 15)
    assert mission is not None
    assert mission.description == "First line\nsecond line"
    assert mission.status == "draft" and mission.entry_door is True
    assert "Map our servers" not in await chat.say("alice", "!missions")


async def test_a_bad_field_is_named_and_nothing_is_stored(chat: Chat) -> None:
    answer = await chat.say("staff", "!mission ajouter\ntitre: X\nsensibilité: secrète")
    assert "« sensibilité » ne peut pas valoir « secrète »" in answer
    assert "Utilisation : !mission ajouter" in answer
    answer = await chat.say("staff", "!mission ajouter\ntitre: X\ncouleur: bleu")
    assert "Je ne connais pas le champ « couleur »" in answer
    answer = await chat.say("staff", "!mission ajouter\nporte: oui")
    assert "besoin d'un titre" in answer
    async with chat.brain.database.session() as session:
        assert len((await session.scalars(select(Mission))).all()) == 14


async def test_staff_edit_and_close_a_mission(chat: Chat) -> None:
    answer = await chat.say("staff", "!mission modifier 2\ndurée: 90 min\nstatut: pourvue")
    assert answer.startswith("Mission modifiée : #2 Ajouter une police")
    assert answer.endswith("(champs : durée, statut)")
    assert "Ajouter une police" not in await chat.say("alice", "!missions")
    assert "Mission fermée : #3" in await chat.say("staff", "!mission fermer 3")
    assert "déjà fermée" in await chat.say("staff", "!mission fermer 3")
    assert "Je ne trouve pas de mission #99" in await chat.say("staff", "!mission fermer 99")


async def test_edit_without_a_number_shows_the_usage(chat: Chat) -> None:
    answer = await chat.say("staff", "!mission modifier")
    assert "Il manque : N." in answer
    assert "Utilisation : !mission modifier N clé: valeur…" in answer


async def test_english_speakers_get_english(chat: Chat) -> None:
    assert "I'll answer in English" in await chat.say("bob", "!language en")
    answer = await chat.say("bob", "!missions")
    assert "Open missions" in answer and "entry door" in answer
