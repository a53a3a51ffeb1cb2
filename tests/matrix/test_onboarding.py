"""`!participer` on Matrix: an encrypted welcome room the volunteer and coordinator can read."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from nio import AsyncClient, MatrixRoom, RoomMessageNotice
from sqlalchemy import select

from bench.echo_bot import nio_client
from storage.models import Engagement
from tests.harness.synapse import RegisteredUser, SynapseServer
from tests.matrix.conftest import StartBot
from tests.matrix.people import Person, eventually, sync_until, visible

pytestmark = pytest.mark.synapse

People = Callable[[str], Awaitable[Person]]
TITLE = "Ajouter une police avec @font-face sur le site"


def welcome_in(client: AsyncClient, room_id: str, bot: str) -> Callable[[], str | None]:
    """The decrypted welcome text once `client` has it, from the events it received."""
    seen: dict[str, str] = {}

    async def on_notice(room: MatrixRoom, event: RoomMessageNotice) -> None:
        if room.room_id == room_id and event.sender == bot:
            seen.setdefault("welcome", event.body)

    client.add_event_callback(on_notice, RoomMessageNotice)
    return lambda: seen.get("welcome")


def onboarding_invite(client: AsyncClient) -> Callable[[], str | None]:
    def probe() -> str | None:
        for room_id, room in client.invited_rooms.items():
            if room.name == f"Accueil · {TITLE}":
                return room_id
        return None

    return probe


async def test_joining_a_mission_opens_an_encrypted_welcome_room_both_can_read(
    synapse: SynapseServer, people: People, start_bot: StartBot, tmp_path: Path
) -> None:
    volunteer: RegisteredUser = await synapse.new_user("alice")
    coordinator: RegisteredUser = await synapse.new_user("coord")
    admin = await people("admin")
    bot_user = await synapse.new_user("tremplin")
    staff_room = await admin.open_room(bot_user.user_id, name="Équipe MLA")
    bot = await start_bot(
        synapse,
        user=bot_user,
        staff_room=staff_room,
        brain_settings={"coordinators": (coordinator.user_id, "console:coordination")},
    )
    async with (
        nio_client(
            synapse.base_url,
            volunteer.user_id,
            volunteer.device_id,
            volunteer.access_token,
            tmp_path / "volunteer",
        ) as alice_app,
        nio_client(
            synapse.base_url,
            coordinator.user_id,
            coordinator.device_id,
            coordinator.access_token,
            tmp_path / "coord",
        ) as coord_app,
    ):
        alice = Person(synapse, volunteer)
        lobby = await alice.open_room(bot.id)
        await eventually(lambda: _joined(alice, lobby, bot.id))

        command = await alice.say(lobby, "!participer 2")

        replies = await alice.replies_from(bot.id, lobby, command, count=2)
        assert "C'est parti" in replies[0]["content"]["body"]
        assert "!oublier" in replies[1]["content"]["body"]  # what is kept, said once
        room_id = await sync_until(alice_app, onboarding_invite(alice_app))

        async def staff_told() -> str | None:
            for event in await admin.timeline(staff_room):
                body = event["content"].get("body", "")
                if event["sender"] == bot.id and "Nouvelle inscription" in body:
                    return str(body)
            return None

        assert TITLE in visible(await eventually(staff_told))
        await sync_until(coord_app, lambda: room_id in coord_app.invited_rooms)

        alice_reads = welcome_in(alice_app, room_id, bot.id)
        coord_reads = welcome_in(coord_app, room_id, bot.id)
        await alice_app.join(room_id)
        await coord_app.join(room_id)
        for welcome in (
            await sync_until(alice_app, alice_reads),
            await sync_until(coord_app, coord_reads),
        ):
            assert TITLE in visible(welcome)

        encryption = await synapse.get_state(volunteer, room_id, "m.room.encryption")
        assert encryption["algorithm"] == "m.megolm.v1.aes-sha2"
        join_rules = await synapse.get_state(volunteer, room_id, "m.room.join_rules")
        assert join_rules["join_rule"] == "invite"
        topic = await synapse.get_state(volunteer, room_id, "m.room.topic")
        assert "#2" in topic["topic"]

        await sync_until(coord_app, lambda: room_id in coord_app.rooms)
        sent = await coord_app.room_send(
            room_id,
            "m.room.message",
            {"msgtype": "m.text", "body": "Bienvenue Alice ! On se parle demain ?"},
            ignore_unverified_devices=True,
        )
        assert sent.__class__.__name__ == "RoomSendResponse", sent

        async def first_response() -> object:
            async with bot.database.session() as session:
                engagement = await session.scalar(
                    select(Engagement).where(Engagement.thread_ref == room_id)
                )
                return engagement.first_response_at if engagement else None

        assert await eventually(first_response)


async def _joined(person: Person, room_id: str, user_id: str) -> bool:
    return await person.membership_of(room_id, user_id) == "join"
