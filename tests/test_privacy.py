"""Personal data: everything held is shown on request, and erased on request."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import func, select, text

from bot.config import MatrixConfig, Secrets
from bot.connectors.matrix import MatrixConnector
from bot.connectors.matrix.ledger import ReplyPlace
from bot.render import to_html, to_plain
from commands.context import IncomingMessage, Place
from storage.models import Base, Engagement
from tests.conversation import Chat


async def dump_every_table(chat: Chat) -> str:
    """Every value of every row of every table, as one string to search."""
    chunks = []
    async with chat.brain.database.session() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).all():
                chunks.append(repr(tuple(row)))
        chunks.append(repr((await session.execute(text("SELECT * FROM alembic_version"))).all()))
    return "\n".join(chunks)


async def test_my_data_shows_everything_held(chat: Chat) -> None:
    assert "Je ne garde rien sur vous" in await chat.say("alice", "!mesdonnees")
    await chat.say("alice", "!start masto")
    await chat.say("alice", "!competences je fais du css et de la broderie")
    await chat.say("alice", "!participer 2")
    answer = await chat.say("alice", "!mesdonnees")
    assert "Identités : console:alice" in answer
    assert "Compétences : CSS" in answer
    assert "je fais du css et de la broderie" in answer
    assert "Venu·e par : masto" in answer
    assert "#2 Ajouter une police" in answer and "accueil en cours" in answer


async def test_forget_asks_for_confirmation_then_erases_every_trace(chat: Chat) -> None:
    await chat.say("alice", "!start")
    await chat.say("alice", "!competences je fais du css, signé Alice Dupont-Unique")
    await chat.say("alice", "!trouvable oui")
    await chat.say("alice", "!participer 2", event_id="$e1")
    await chat.brain.mark_delivered("console", "$e1")
    await chat.say("alice", "!mission ajouter\ntitre: x")  # refused and audited
    await chat.say("staff", "!confiance console:alice confirmé")
    await chat.say("staff", "!terminer console:alice 2 Alice Dupont-Unique a été parfaite")
    assert "console:alice" in await dump_every_table(chat)

    assert "Pour confirmer : !oublier confirmer" in await chat.say("alice", "!oublier")
    assert "console:alice" in await dump_every_table(chat)
    assert "j'ai tout effacé" in await chat.say("alice", "!oublier confirmer")

    everything = await dump_every_table(chat)
    for trace in ("console:alice", "Dupont-Unique", "signé"):
        assert trace not in everything
    async with chat.brain.database.session() as session:
        # Only anonymous counts stay: the engagement, without anyone attached.
        assert await session.scalar(select(func.count(Engagement.id))) == 1
        assert await session.scalar(select(Engagement.volunteer_id)) is None
    assert "Je ne garde rien sur vous" in await chat.say("alice", "!mesdonnees")


ALICE = "console:alice"
ALICE_MATRIX = "@alice.dupont:mla.example"
TRACES = (
    "console:alice",
    "alice.dupont",  # the Matrix id, however it was escaped or guarded
    "Dupont-Unique",  # her display name and her own words
    "signé",
    "zebulon-qr7",  # the code she came with (`!start`)
    "Parfaite-Unique",  # the coordinator's closing note about her
)


async def say_as(chat: Chat, sender: str, text: str, event_id: str, **place: object) -> str:
    """A message with a display name and an event id, as the connectors send them."""
    message = IncomingMessage(
        sender=sender,
        text=text,
        place=Place(platform="console", room="room", is_direct=True, **place),  # type: ignore[arg-type]
        event_id=event_id,
        display_name="Alice Dupont-Unique",
    )
    return "\n\n".join(await chat.brain.handle(message))


def database_files(chat: Chat) -> dict[str, bytes]:
    """The SQLite database and its write-ahead log, as bytes ({} on PostgreSQL)."""
    database = chat.brain.database
    if not database.is_sqlite:
        return {}
    main = Path(str(database.url.database))
    return {
        path.name: path.read_bytes()
        for path in (main, main.with_name(main.name + "-wal"), main.with_name(main.name + "-shm"))
        if path.exists()
    }


def matrix_connector(chat: Chat) -> MatrixConnector:
    """The Matrix connector of this brain, not started: what it keeps is in the database."""
    connector = MatrixConnector(MatrixConfig(), chat.brain, Secrets.from_environment({}))
    chat.brain.services.hub.register(connector)
    return connector


async def test_erasure_leaves_nothing_of_the_person_in_any_table_or_database_file(
    chat: Chat,
) -> None:
    matrix = matrix_connector(chat)
    await matrix.ledger.load()
    events_ = iter(f"$event{n}" for n in range(100))
    await say_as(chat, ALICE, "!start zebulon-qr7", next(events_))
    await say_as(
        chat, ALICE, "!competences je fais du css, signé Alice Dupont-Unique", next(events_)
    )
    await say_as(chat, ALICE, "!trouvable oui", next(events_))
    await say_as(chat, ALICE, "!participer 2", next(events_))
    await say_as(chat, ALICE, "!mission ajouter\ntitre: x", next(events_))  # refused, audited
    code = re.search(r"Votre code : (\w+)", await say_as(chat, ALICE, "!lier", next(events_)))
    assert code is not None
    await say_as(chat, ALICE_MATRIX, f"!lier {code.group(1)}", next(events_))
    await say_as(chat, ALICE_MATRIX, "!lier confirmer", next(events_))
    await say_as(chat, ALICE, "!lier confirmer", next(events_))
    await say_as(chat, ALICE, "!mesdonnees", next(events_))  # her words, in a reply still owed
    await chat.say("staff", "!confiance console:alice confirmé", event_id=next(events_))
    await chat.say("staff", f"!terminer {ALICE_MATRIX} 2 Parfaite-Unique", event_id=next(events_))
    await chat.say("staff", "!benevoles css", event_id=next(events_))  # names her, still owed
    # What the Matrix connector learnt about her: her direct room, a reply it couldn't send.
    matrix.rooms.direct[ALICE_MATRIX] = "!dm:mla.example"
    matrix.ledger.remember_direct_room(ALICE_MATRIX, "!dm:mla.example")
    matrix.ledger.remember_unsent("$x", ReplyPlace("!dm:mla.example", ALICE_MATRIX, "$x"))
    await matrix.ledger.save()
    # And a code she typed for someone else's profile, not confirmed.
    other = re.search(r"Votre code : (\w+)", await chat.say("bob", "!lier"))
    assert other is not None
    await say_as(chat, ALICE_MATRIX, f"!lier {other.group(1)}", next(events_))
    everything = await dump_every_table(chat)
    assert all(trace in everything for trace in ("console:alice", "alice.dupont", "zebulon"))

    assert "Pour confirmer" in await say_as(chat, ALICE_MATRIX, "!oublier", next(events_))
    erased = await say_as(chat, ALICE_MATRIX, "!oublier confirmer", next(events_))
    assert "j'ai tout effacé" in erased

    everything = await dump_every_table(chat)
    files = database_files(chat)
    if files:  # SQLite zeroes what it deletes, whatever the build's default
        async with chat.brain.database.session() as session:
            assert (await session.execute(text("PRAGMA secure_delete"))).scalar() == 1
        assert len(files["tremplin.db-wal"]) == 0  # the log holds no older copy of any page
    for trace in TRACES:
        assert trace not in everything, trace
        for name, content in files.items():
            assert trace.encode() not in content, (trace, name)
    assert (
        ALICE_MATRIX not in matrix.ledger.direct_rooms and ALICE_MATRIX not in matrix.rooms.direct
    )
    assert not any(place.sender == ALICE_MATRIX for place in matrix.ledger.unsent.values())
    async with chat.brain.database.session() as session:
        [engagement] = (await session.scalars(select(Engagement))).all()
        # Only anonymous counts stay: the engagement, without anyone, ended, from nowhere.
        assert (engagement.volunteer_id, engagement.source) == (None, None)
        assert engagement.status == "completed"
    assert "Je ne garde rien sur vous" in await chat.say("alice", "!mesdonnees")


async def test_my_data_shows_my_words_as_plain_text(chat: Chat) -> None:
    words = "- une liste ?\n    du code ?\n# un titre\n1. numéro\n> citation\n```\n***"
    await chat.say("alice", f"!competences {words}")
    [reply] = await chat.brain.handle(
        IncomingMessage("console:alice", "!mesdonnees", Place("console", is_direct=True))
    )
    html = to_html(reply)
    for block in ("<ul", "<ol", "<li", "<pre", "<code", "<h1", "<blockquote", "<hr"):
        assert block not in html
    plain = to_plain(reply)
    assert "Ce que vous avez écrit : - une liste ? du code ? # un titre 1. numéro" in plain


async def test_after_trust_is_lowered_the_confidential_mission_is_never_named(chat: Chat) -> None:
    await chat.say("alice", "!start")
    await chat.say("staff", "!confiance console:alice confiance")
    await chat.say("alice", "!participer 13")
    assert "Maintenir le système d'information sécurisé" in await chat.say("alice", "!mesmissions")
    await chat.say("staff", "!confiance console:alice nouveau")
    mine = await chat.say("alice", "!mesmissions")
    assert "sécurisé" not in mine and "#13" not in mine
    never_on = await chat.say("alice", "!bilan 12 aide")
    assert await chat.say("alice", "!bilan 13 aide") == never_on.replace("12", "13")
    data = await chat.say("alice", "!mesdonnees")
    assert "sécurisé" not in data and "#13" not in data
    assert "… et 1 mission(s) qui ne vous sont plus visibles." in data
