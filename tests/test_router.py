"""The command layer: names, arguments, help, errors — as people meet them."""

from __future__ import annotations

from commands.context import Context
from commands.router import Router
from tests.conversation import Chat, RecordingPlatform, make_brain


async def test_command_names_ignore_case_and_accents(chat: Chat) -> None:
    assert "Missions ouvertes" in await chat.say("alice", "!MISSIONS")
    assert "J'ai compris" in await chat.say("alice", "!Compétences je fais du css")


async def test_unknown_command_suggests_the_closest(chat: Chat) -> None:
    answer = await chat.say("alice", "!mision 3")
    assert answer == (
        "Je ne connais pas la commande !mision. Vouliez-vous dire !mission ou !missions ?"
    )


async def test_unknown_command_far_from_any_points_to_help(chat: Chat) -> None:
    answer = await chat.say("alice", "!xyzzy")
    assert "Tapez !aide" in answer


async def test_suggestions_never_reveal_staff_commands(chat: Chat) -> None:
    answer = await chat.say("alice", "!confianc x")
    assert "!confiance" not in answer
    assert "!confiance" in await chat.say("staff", "!confianc x")


async def test_bad_argument_explains_and_shows_usage(chat: Chat) -> None:
    answer = await chat.say("alice", "!participer trois")
    assert answer == (
        "« trois » n'est pas un numéro de mission (par exemple : 3 ou #3).\n"
        "Utilisation : !participer N"
    )


async def test_missing_argument_names_it(chat: Chat) -> None:
    answer = await chat.say("alice", "!participer")
    assert answer == "Il manque : N.\nUtilisation : !participer N"


async def test_help_shows_only_what_the_person_may_use(chat: Chat) -> None:
    answer = await chat.say("alice", "!aide")
    assert "!participer N" in answer and "[!join]" in answer
    assert "!mission ajouter" not in answer and "Pour l'équipe" not in answer
    staff = await chat.say("staff", "!aide")
    assert "Pour l'équipe" in staff and "!mission ajouter" in staff and "!confiance" in staff


async def test_help_on_one_command(chat: Chat) -> None:
    answer = await chat.say("alice", "!aide participer")
    assert answer == "!participer N [!join] — vous lancer sur une mission"
    assert "!help join" not in answer
    assert "Je ne connais pas la commande !confiance" in await chat.say("alice", "!aide confiance")


async def test_help_in_english(chat: Chat) -> None:
    await chat.say("bob", "!langue en")
    answer = await chat.say("bob", "!help")
    assert "Here is what I can do" in answer and "join a mission" in answer


async def test_quoted_arguments(chat: Chat) -> None:
    answer = await chat.say("alice", '!participer "#2"')
    assert "C'est parti" in answer


async def test_chatter_is_ignored_in_rooms_and_answered_in_direct_messages(chat: Chat) -> None:
    assert await chat.say("alice", "bonjour à tous", direct=False) == ""
    assert "Tapez !aide" in await chat.say("alice", "bonjour", direct=True)


async def test_an_unexpected_error_gives_an_incident_code_not_a_traceback(
    chat: Chat, caplog: object
) -> None:
    broken = Router("missions")

    @broken.command("casse")
    async def casse(ctx: Context) -> None:
        raise RuntimeError("database on fire")

    chat.brain.router.include(broken)
    answer = await chat.say("alice", "!casse")
    assert answer.startswith("Oups, quelque chose s'est mal passé de mon côté.")
    assert "Traceback" not in answer and "database on fire" not in answer
    assert "Rien de ce que vous aviez déjà n'est perdu" in answer


async def test_the_same_event_is_answered_once(chat: Chat) -> None:
    first = await chat.say("alice", "!participer 1", event_id="$event1")
    assert "C'est parti" in first
    # The connector crashed before confirming: the stored answer is given again, not recomputed.
    assert await chat.say("alice", "!participer 1", event_id="$event1") == first
    await chat.brain.mark_delivered("console", "$event1")
    assert await chat.say("alice", "!participer 1", event_id="$event1") == ""
    assert len(chat.platform.threads) == 1


async def test_a_flood_is_slowed_down(chat: Chat) -> None:
    matrix = RecordingPlatform(platform="matrix")
    brain = make_brain(
        chat.brain.database,
        flood_burst=3,
        flood_per_second=0.0,
        staff=frozenset({"@staff:mla.example"}),
    )
    strict = Chat(brain, matrix)
    strict.brain.services.hub.register(matrix)
    answers = [await strict.say("@alice:mla.example", "!participer 1") for _ in range(10)]
    assert sum("C'est parti" in a for a in answers) == 1
    assert sum("Doucement" in a for a in answers) == 1
    assert answers[4:] == [""] * 6
    assert len(matrix.threads) == 1
    # The staff at work and a person at their own terminal are never slowed down.
    staff = [await strict.say("@staff:mla.example", "!missions") for _ in range(10)]
    assert all("Missions ouvertes" in answer for answer in staff)


def test_commands_inside_a_longer_forum_post() -> None:
    from commands.text import find_commands

    post = (
        "Bonjour à toutes et tous, je découvre la MLA.\n"
        "!participer 2\n"
        "merci d'avance !\n"
        '[quote="bob, post:1, topic:12"]\n!confiance @bob trusted\n[/quote]\n'
        "> !oublier confirmer\n"
        "!mission ajouter\ntitre: Relire la charte\ncompétences: relecture\n"
    )
    assert find_commands(post) == [
        "!participer 2",
        "!mission ajouter\ntitre: Relire la charte\ncompétences: relecture",
    ]
