"""Conversations: what a person reads back when they write as they really write."""

from __future__ import annotations

import pytest

from bot.render import to_plain
from commands.context import IncomingMessage, Place
from storage.visibility import Surface
from tests.conversation import Chat

pytestmark = pytest.mark.dates  # run again under faketime by ./dev test


async def forum_reply(chat: Chat, who: str, text: str) -> str:
    """A member answering a call for volunteers on the forum, in their own words."""
    message = IncomingMessage(
        sender=f"discourse:{who}",
        text=text,
        place=Place(platform="console", room="topic-1", surface=Surface.PUBLIC),
        answer_free_text=True,
    )
    return "\n\n".join(to_plain(reply) for reply in await chat.brain.handle(message))


def mission_lines(answer: str) -> list[str]:
    return [line for line in answer.splitlines() if line.startswith("#")]


async def test_levels_and_refusals_are_said_back(chat: Chat) -> None:
    answer = await chat.say(
        "alice", "!competences Je fais du CSS et un peu de WordPress, mais pas de PHP svp"
    )
    assert answer.splitlines()[0] == (
        "Merci ! J'ai compris : CSS, WordPress (débutant·e) ; pas : PHP."
    )
    assert "!competences sans COMPÉTENCE" in answer


async def test_the_same_in_english(chat: Chat) -> None:
    await chat.say("sam", "!language en")
    answer = await chat.say(
        "sam", "!skills Total beginner with WordPress, experienced proofreader. Please no PHP."
    )
    assert answer.splitlines()[0] == (
        "Thank you! I understood: WordPress (beginner), Proofreading (experienced); not: PHP."
    )


async def test_a_skill_can_be_taken_out(chat: Chat) -> None:
    await chat.say("alice", "!competences du WordPress, de la sécurité et du CSS")
    assert "#5 Mettre à jour les extensions WordPress" in await chat.say("alice", "!pourmoi")
    answer = await chat.say("alice", "!competences sans WordPress")
    assert answer.splitlines() == [
        "C'est noté : je ne vous proposerai plus rien qui demande WordPress.",
        "Vous m'avez indiqué : Sécurité informatique, CSS ; pas : WordPress. "
        "Pour changer : !competences TEXTE",
    ]
    assert "#5 " not in await chat.say("alice", "!pourmoi")
    unknown = await chat.say("alice", "!competences sans tricot")
    assert (
        unknown
        == "Je n'ai reconnu aucune compétence dans « tricot ». Par exemple : !competences sans PHP"
    )


async def test_saying_only_what_you_dont_want_keeps_the_rest(chat: Chat) -> None:
    await chat.say("alice", "!competences CSS et traduction")
    answer = await chat.say("alice", "!competences pas de vidéo")
    assert answer.startswith("Merci ! C'est noté, pas : Vidéo.")
    assert await chat.say("alice", "!competences") == (
        "Vous m'avez indiqué : CSS, Traduction ; pas : Vidéo. Pour changer : !competences TEXTE"
    )
    assert "#8 " not in await chat.say("alice", "!pourmoi")  # subtitles need video


async def test_the_why_line_shows_the_level(chat: Chat) -> None:
    await chat.say("alice", "!competences Débutante en WordPress, je m'y connais en sécurité")
    [line] = [line for line in mission_lines(await chat.say("alice", "!pourmoi")) if "#5" in line]
    assert "vous avez indiqué : WordPress (débutant·e), Sécurité informatique" in line


async def test_the_time_offered_is_said_back_and_reorders(chat: Chat) -> None:
    answer = await chat.say(
        "alice", "!competences Je m'occupe des réseaux sociaux de mon asso, 2 h par mois, pas plus"
    )
    assert "Côté temps, j'ai compris : 2 h par mois au plus." in answer
    lines = mission_lines(await chat.say("alice", "!pourmoi"))
    assert lines[0].startswith("#1 Ouvrir le compte Mastodon de la MLA")
    [weekly] = [line for line in lines if line.startswith("#6 ")]
    assert "plus que vos 2 h par mois" in weekly


async def test_the_rhythm_preferred_is_understood(chat: Chat) -> None:
    answer = await chat.say(
        "alice", "!competences Je rédige, plutôt quelque chose de régulier qu'un coup ponctuel"
    )
    assert "plutôt des missions régulières" in answer
    [line] = mission_lines(await chat.say("alice", "!pourmoi"))
    assert line.startswith("#6 Animer les réseaux sociaux")
    assert "régulière, comme vous préférez" in line


async def test_when_nothing_fits_yet_it_is_said_with_the_way_in_and_an_offer(chat: Chat) -> None:
    await chat.say("alice", "!competences Cartographe, je fais des cartes avec QGIS")
    answer = await chat.say("alice", "!pourmoi")
    lines = answer.splitlines()
    assert lines[0] == (
        "Je n'ai pas encore de mission qui corresponde à ce que vous m'avez dit (Cartographie). "
        "Pour commencer quand même, ces portes d'entrée sont ouvertes à tout le monde :"
    )
    assert "#1 Ouvrir le compte Mastodon de la MLA — porte d'entrée · 2 h" in lines
    assert "vous avez indiqué" not in answer  # nothing is claimed to match
    assert lines[-1] == (
        "Voulez-vous que je vous prévienne dès qu'une mission vous correspondra ? !alertes oui"
    )
    await chat.say("alice", "!alertes oui")
    answer = await chat.say("alice", "!pourmoi")
    assert answer.splitlines()[-1] == "Je vous préviendrai dès qu'une mission vous correspondra."


async def test_a_homonym_is_never_matched(chat: Chat) -> None:
    answer = await chat.say(
        "alice", "!competences agent de sécurité incendie et montage de meubles"
    )
    assert "Je n'ai reconnu aucune compétence" in answer
    answer = await chat.say("alice", "!pourmoi")
    assert "#5 " not in answer and "#8 " not in answer and "vous avez indiqué" not in answer


async def test_a_forum_reply_is_read_as_a_sentence(chat: Chat) -> None:
    answer = await forum_reply(
        chat,
        "alice",
        "Bonjour ! Je suis graphiste freelance, mais pas de WordPress s'il vous plaît.",
    )
    assert answer.splitlines()[0] == (
        "Merci pour votre message ! J'ai compris : Graphisme ; pas : WordPress."
    )
    assert mission_lines(answer)[0].startswith("#7 Créer les visuels des campagnes")
    assert "#5 " not in answer


async def test_a_forum_reply_from_someone_nothing_fits_is_answered_honestly(chat: Chat) -> None:
    answer = await forum_reply(
        chat, "bob", "Je suis cartographe, je fais des cartes sous QGIS, et je veux bien aider."
    )
    assert "Je n'ai pas encore de mission qui corresponde à ce que vous m'avez dit" in answer
    assert "vous avez indiqué" not in answer
    assert "!alertes oui" in answer
    security_guard = await forum_reply(chat, "carol", "Agent de sécurité incendie, je veux aider !")
    assert "vous avez indiqué" not in security_guard


async def test_my_data_shows_levels_refusals_and_time(chat: Chat) -> None:
    await chat.say("alice", "!competences un peu de CSS, pas de PHP, 2 h par mois")
    answer = await chat.say("alice", "!mesdonnees", direct=True)
    assert "Compétences : CSS (débutant·e) ; pas : PHP · 2 h par mois au plus" in answer


async def test_a_new_mission_is_not_announced_on_a_refused_skill(chat: Chat) -> None:
    await chat.say("alice", "!competences sécurité informatique, mais pas de WordPress")
    await chat.say("alice", "!alertes oui")
    await chat.say("bob", "!competences sécurité informatique")
    await chat.say("bob", "!alertes oui")
    await chat.say(
        "staff",
        "!mission ajouter\ntitre: Durcir le WordPress\ncompétences: wordpress, sécurité\n"
        "statut: ouverte",
    )
    assert [address for address, _ in chat.platform.direct] == ["console:bob"]
