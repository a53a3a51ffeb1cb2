"""Staff on Matrix publish the call for volunteers in the rooms and get the funnel chart."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from tests.harness.synapse import SynapseServer
from tests.matrix.conftest import StartBot
from tests.matrix.people import Person, bot_config, eventually, visible, write_config
from tests.test_cli import tremplin

pytestmark = pytest.mark.synapse
People = Callable[[str], Awaitable[Person]]


async def test_staff_publish_the_call_and_receive_the_chart(
    synapse: SynapseServer, people: People, start_bot: StartBot
) -> None:
    admin, volunteer = await people("admin"), await people("lea")
    bot_user = await synapse.new_user("tremplin")
    staff_room = await admin.open_room(bot_user.user_id)
    lobby = await admin.open_room(bot_user.user_id, volunteer.id, name="Bénévoles MLA")
    await synapse.join(volunteer.user, lobby)
    bot = await start_bot(synapse, user=bot_user, staff_room=staff_room, rooms=[lobby])

    async def bot_in(room: str) -> bool:
        return await admin.membership_of(room, bot.id) == "join"

    assert await eventually(lambda: bot_in(staff_room))
    assert await eventually(lambda: bot_in(lobby))
    await volunteer.say(lobby, "!start matrix")

    command = await admin.say(staff_room, "!appel publier matrix")
    [answer] = await admin.replies_from(bot.id, staff_room, command)
    assert "Appel publié sur matrix" in visible(answer["content"]["body"])

    async def the_call() -> dict | None:
        events = await volunteer.timeline(lobby)
        calls = [
            e
            for e in events
            if e["sender"] == bot.id
            and "renforce son équipe bénévole" in e["content"].get("body", "")
        ]
        return calls[0] if calls else None

    call = await eventually(the_call)
    body = visible(call["content"]["body"])
    assert "#1 Ouvrir le compte Mastodon de la MLA" in body
    assert "Maintenir le système d'information sécurisé" not in body

    await admin.say(staff_room, "!stats")

    async def the_chart() -> dict | None:
        events = await admin.timeline(staff_room)
        images = [
            e for e in events if e["sender"] == bot.id and e["content"].get("msgtype") == "m.image"
        ]
        return images[0] if images else None

    chart = await eventually(the_chart)
    assert chart["content"]["info"]["mimetype"] == "image/png"
    assert chart["content"]["url"].startswith("mxc://")
    assert chart["content"]["body"] == "Parcours des bénévoles par canal"


async def test_the_call_is_published_from_the_command_line(
    synapse: SynapseServer, people: People, tmp_path: Path
) -> None:
    admin = await people("admin")
    bot_user = await synapse.new_user("tremplin")
    lobby = await admin.open_room(bot_user.user_id, name="Bénévoles MLA")
    config = write_config(
        tmp_path, bot_config(synapse, bot_user, tmp_path / "store", rooms=[lobby])
    )
    env = {"TREMPLIN_MATRIX_ACCESS_TOKEN": bot_user.access_token}
    result = await asyncio.to_thread(
        tremplin, "appeal", "publish", "--to", "matrix", config=config, env=env
    )
    assert result.returncode == 0, result.stderr
    assert f"published in Matrix room {lobby}" in result.stdout
    events = await admin.timeline(lobby)
    assert any("renforce son équipe bénévole" in e["content"].get("body", "") for e in events)
    assert bot_user.access_token not in result.stdout + result.stderr
