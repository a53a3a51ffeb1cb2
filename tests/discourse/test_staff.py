"""On a shared forum, who is the MLA's staff: the members of `discourse.staff_group`, never
the forum's own moderators or admins by that alone (issue 13, item 1)."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.models import Mission
from tests.discourse.forum import BOT, STAFF_GROUP, ForumWorld

ADD = "!mission ajouter\ntitre: Relire la charte graphique de la MLA\ncompétences: relecture"


async def missions(world: ForumWorld) -> int:
    async with world.database.session() as session:
        return int(await session.scalar(select(func.count(Mission.id))) or 0)


async def says_privately(world: ForumWorld, who: str, text: str) -> str:
    """`who` writes to the bot in a private message; what the bot answers there."""
    pm = world.forum.create_pm_as(who, "Une demande pour Tremplin", text, [BOT])
    await world.poll()
    world.later()
    [answer] = [p for p in world.forum.posts_in(pm.id) if p.username == BOT]
    return answer.raw


async def test_a_forum_moderator_is_not_our_staff(world: ForumWorld) -> None:
    before = await missions(world)
    assert world.forum.user("modo").moderator and STAFF_GROUP not in world.forum.user("modo").groups

    answer = await says_privately(world, "modo", ADD)

    assert await missions(world) == before, "nothing added by a stranger to the MLA"
    assert "équipe" in answer


async def test_a_forum_admin_is_not_our_staff_either(world: ForumWorld) -> None:
    world.forum.add_user("admin_chatons", name="Admin CHATONS", admin=True, trust_level=4)
    before = await missions(world)

    await says_privately(world, "admin_chatons", ADD)

    assert await missions(world) == before


async def test_a_member_of_the_staff_group_is_staff(world: ForumWorld) -> None:
    before = await missions(world)

    await says_privately(world, "claire", ADD)

    assert await missions(world) == before + 1


async def test_without_a_staff_group_nobody_on_the_forum_is_staff(world: ForumWorld) -> None:
    await world.start(staff_group=None)
    before = await missions(world)

    await says_privately(world, "claire", ADD)

    assert await missions(world) == before
