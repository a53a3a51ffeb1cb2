"""Volunteers: stating skills, missions that fit and why, joining, and the staff's tools."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from bot.render import to_plain
from commands.i18n import Translator
from storage.models import Engagement
from tests.conversation import COORDINATOR, Chat

pytestmark = pytest.mark.dates  # run again under faketime by ./dev test


async def test_skills_are_echoed_back_in_the_persons_words(chat: Chat) -> None:
    answer = await chat.say(
        "alice", "!competences je fais du css et un peu de wordpress, je traduis aussi de l'anglais"
    )
    first_line = answer.splitlines()[0]
    assert first_line.startswith("Merci ! J'ai compris : ")
    for skill in ("CSS", "WordPress", "traduction", "anglais"):
        assert skill.lower() in first_line.lower()
    assert "!alertes oui" in answer
    assert "!pourmoi" in answer


async def test_what_was_not_understood_is_said(chat: Chat) -> None:
    answer = await chat.say("alice", "!competences du css et du macramé")
    assert "Je n'ai pas reconnu : macramé" in answer


async def test_no_skill_recognised(chat: Chat) -> None:
    answer = await chat.say("alice", "!competences je suis très motivée")
    assert "Je n'ai reconnu aucune compétence" in answer


async def test_a_first_profile_comes_with_the_privacy_notice(chat: Chat) -> None:
    answer = await chat.say("alice", "!competences css")
    assert "!mesdonnees" in answer and "!oublier" in answer
    assert "!mesdonnees" not in await chat.say("alice", "!competences html")


async def test_missions_for_me_rank_with_the_reason(chat: Chat) -> None:
    await chat.say("alice", "!competences je fais du css et je traduis de l'anglais")
    answer = await chat.say("alice", "!pourmoi")
    lines = [line for line in answer.splitlines() if line.startswith("#")]
    # Two of the stated skills beat one; both are entry doors, which come first.
    assert lines[0].startswith("#4 Traduire le site en anglais — vous avez indiqué : ")
    assert "traduction" in lines[0].lower() and "anglais" in lines[0].lower()
    assert lines[1].startswith(
        "#2 Ajouter une police avec @font-face sur le site — vous avez indiqué : CSS"
    )
    assert all("porte d'entrée" in line for line in lines[:2])
    assert "les portes d'entrée d'abord" in answer
    assert "Pour vous lancer : !participer 4" in answer


async def test_ranking_is_deterministic(chat: Chat) -> None:
    await chat.say("alice", "!competences css html anglais linux wordpress")
    answers = {await chat.say("alice", "!pourmoi") for _ in range(3)}
    assert len(answers) == 1


async def test_without_a_match_entry_doors_are_shown_anyway(chat: Chat) -> None:
    await chat.say("alice", "!competences je fais de la comptabilité et du droit fiscal")
    answer = await chat.say("alice", "!pourmoi")
    assert "Je n'ai pas encore de mission qui corresponde" in answer or "Dites-moi" in answer
    assert "#1 Ouvrir le compte Mastodon de la MLA" in answer


async def test_joining_opens_one_thread_with_the_coordinators(chat: Chat) -> None:
    await chat.say("alice", "!competences css")
    answer = await chat.say("alice", "!participer 2")
    assert answer.startswith("C'est parti ! Je vous ai invité·e dans un espace privé")
    [thread] = chat.platform.threads
    assert thread.volunteer == "console:alice"
    assert thread.coordinators == (COORDINATOR,)
    welcome = to_plain(thread.welcome)
    assert "Bienvenue sur la mission « Ajouter une police avec @font-face sur le site »" in welcome
    assert "Compétences indiquées : CSS" in welcome
    assert "Pour bien démarrer" in welcome
    assert "lanceurs et lanceuses d'alerte" in welcome
    assert chat.platform.staff == [
        "Nouvelle inscription : console:alice pour #2 Ajouter une police avec @font-face sur le "
        "site. Espace d'accueil : Accueil · Ajouter une police avec @font-face sur le site"
    ]


async def test_joining_twice_gives_one_engagement(chat: Chat) -> None:
    await chat.say("alice", "!participer 2")
    again = await chat.say("alice", "!participer 2")
    assert again.startswith("Vous êtes déjà sur #2")
    async with chat.brain.database.session() as session:
        assert await session.scalar(select(func.count(Engagement.id))) == 1
    assert len(chat.platform.threads) == 1


async def test_a_burst_of_the_same_join_opens_one_thread(chat: Chat) -> None:
    answers = await asyncio.gather(*(chat.say("alice", "!participer 4") for _ in range(8)))
    assert sum(a.startswith("C'est parti") for a in answers) == 1
    assert len(chat.platform.threads) == 1


async def test_joining_is_refused_with_the_reason(chat: Chat) -> None:
    # Only those who may see a mission learn why it can't be joined (issue 13, #6): for
    # anyone else it is exactly a number that doesn't exist.
    def missing(number: int) -> str:
        return Translator("fr")("error.no_such_mission", id=number)

    await chat.say("staff", "!mission fermer 3")
    assert "est fermée, désolé" in await chat.say("staff", "!participer 3")
    assert await chat.say("alice", "!participer 3") == missing(3)
    await chat.say("staff", "!mission modifier 4\nstatut: pourvue")
    assert "a déjà trouvé ses bénévoles" in await chat.say("staff", "!participer 4")
    assert await chat.say("alice", "!participer 4") == missing(4)
    confidential = await chat.say("alice", "!participer 13")
    nonexistent = await chat.say("alice", "!participer 999")
    assert confidential == missing(13) == nonexistent.replace("999", "13")
    assert "sécurisé" not in confidential
    assert chat.platform.threads == []


async def test_trusted_volunteers_may_join_confidential_missions(chat: Chat) -> None:
    await chat.say("alice", "!competences linux")
    assert "console:alice est maintenant de confiance" in await chat.say(
        "staff", "!confiance console:alice confiance"
    )
    assert "C'est parti" in await chat.say("alice", "!participer 13")


async def test_my_missions(chat: Chat) -> None:
    assert "Vous n'avez pas encore de mission" in await chat.say("alice", "!mesmissions")
    await chat.say("alice", "!participer 1")
    answer = await chat.say("alice", "!mesmissions")
    assert "#1 Ouvrir le compte Mastodon de la MLA — accueil en cours" in answer


async def test_completing_an_entry_door_proposes_more_trust(chat: Chat) -> None:
    await chat.say("alice", "!participer 1")
    answer = await chat.say("staff", "!terminer console:alice 1 Très bien fait, merci")
    assert "#1 Ouvrir le compte Mastodon de la MLA" in answer and "est terminée" in answer
    assert "!confiance console:alice confirmé" in answer
    assert "terminée, merci !" in await chat.say("alice", "!mesmissions")
    assert "déjà terminée" in await chat.say("staff", "!terminer console:alice 1")


async def test_trust_changes_are_audited_and_understood_in_both_languages(chat: Chat) -> None:
    await chat.say("alice", "!start")
    assert "confirmé·e" in await chat.say("staff", "!confiance console:alice confirmed")
    assert "n'est pas un niveau de confiance" in await chat.say(
        "staff", "!confiance console:alice chef"
    )
    assert "Je ne connais personne" in await chat.say("staff", "!confiance console:zoe confiance")


async def test_who_knows_what_only_lists_people_who_agreed(chat: Chat) -> None:
    await chat.say("alice", "!competences linux et nextcloud")
    await chat.say("bob", "!competences linux")
    await chat.say("alice", "!trouvable oui")
    answer = await chat.say("staff", "!benevoles Linux")
    assert "console:alice" in answer and "console:bob" not in answer
    assert "Personne n'a indiqué" in await chat.say("staff", "!benevoles graphisme")


async def test_followups_list_threads_waiting_for_a_coordinator(chat: Chat, clock) -> None:
    await chat.say("alice", "!participer 1")
    assert "Tous les accueils ont eu une réponse" in await chat.say("staff", "!suivi")
    clock.advance(hours=49)
    answer = await chat.say("staff", "!suivi")
    assert "#1 Ouvrir le compte Mastodon de la MLA" in answer and "depuis 49 h" in answer


async def test_alerts_reach_opted_in_volunteers_once_a_day(chat: Chat, clock) -> None:
    await chat.say("alice", "!competences graphisme et vidéo")
    await chat.say("alice", "!alertes oui")
    await chat.say("bob", "!competences graphisme")  # not opted in
    await chat.say(
        "staff", "!mission ajouter\ntitre: Affiche pour le festival\ncompétences: graphisme"
    )
    await chat.say("staff", "!mission ajouter\ntitre: Logo du podcast\ncompétences: graphisme")
    assert [address for address, _ in chat.platform.direct] == ["console:alice"]
    assert "Affiche pour le festival" in chat.platform.direct[0][1]
    clock.advance(days=1, minutes=1)
    await chat.say("staff", "!mission ajouter\ntitre: Bannière du site\ncompétences: graphisme")
    assert len(chat.platform.direct) == 2
    await chat.say("alice", "!alertes non")
    clock.advance(days=2)
    await chat.say("staff", "!mission ajouter\ntitre: Flyer\ncompétences: graphisme")
    assert len(chat.platform.direct) == 2


async def test_no_alert_for_a_mission_a_refusal_turns_down_as_ranking_reads_it(
    chat: Chat,
) -> None:
    understood = await chat.say(
        "alice", "!competences Je suis nulle en informatique, mais la communication, j'adore !"
    )
    assert "pas : Informatique" in understood or "pas : informatique" in understood.lower()
    await chat.say("alice", "!alertes oui")
    await chat.say(
        "staff", "!mission ajouter\ntitre: Refaire le site\ncompétences: communication, wordpress"
    )
    assert chat.platform.direct == [], "WordPress is computing, which she turned down"
    await chat.say(
        "staff", "!mission ajouter\ntitre: Plan de communication\ncompétences: communication"
    )
    assert [address for address, _ in chat.platform.direct] == ["console:alice"]


async def test_confidential_missions_are_never_alerted_to_newcomers(chat: Chat) -> None:
    await chat.say("alice", "!competences chiffrement")
    await chat.say("alice", "!alertes oui")
    await chat.say(
        "staff",
        "!mission ajouter\ntitre: Clés du coffre\ncompétences: chiffrement\n"
        "sensibilité: confidentielle",
    )
    assert chat.platform.direct == []


async def test_completing_thanks_the_volunteer_and_shows_the_next_step(chat: Chat) -> None:
    await chat.say("alice", "!competences css html wordpress")
    await chat.say("alice", "!participer 2")
    await chat.say("staff", "!terminer console:alice 2")
    [(address, text)] = chat.platform.direct
    assert address == "console:alice"
    assert text.startswith("Bravo et merci pour #2 Ajouter une police")
    assert "Envie d'aller plus loin ?" in text
    further = text.split("Envie d'aller plus loin ?")[1]
    assert "#9 Rendre le site accessible" in further and "porte d'entrée" not in further


async def test_a_platform_failure_keeps_the_sign_up_and_the_retry_resumes(chat: Chat) -> None:
    failing = chat.platform.open_onboarding_thread

    async def unreachable(request: object) -> object:
        raise ConnectionError("homeserver unreachable")

    chat.platform.open_onboarding_thread = unreachable  # type: ignore[method-assign]
    answer = await chat.say("alice", "!participer 2")
    assert "je n'ai pas réussi à ouvrir l'espace d'accueil" in answer
    assert "!participer 2" in answer
    assert "intéressé·e" in await chat.say("alice", "!mesmissions")
    chat.platform.open_onboarding_thread = failing  # type: ignore[method-assign]
    assert "C'est parti" in await chat.say("alice", "!participer 2")
    assert len(chat.platform.threads) == 1
    assert "accueil en cours" in await chat.say("alice", "!mesmissions")
