"""Personal data: everything held is shown on request, and erased on request."""

from __future__ import annotations

from sqlalchemy import func, select, text

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
