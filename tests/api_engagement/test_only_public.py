"""Property: whatever the catalogue and however it changes, nothing but a public open mission
ever reaches API Engagement, and what it holds is exactly the public open missions."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from bot.connectors.api_engagement.client import Moderated, Remote
from bot.connectors.api_engagement.reconcile import Held, plan
from storage import missions as mission_store
from storage.enums import MissionStatus, Sensitivity
from storage.models import Diffusion, Mission
from tests.api_engagement.conftest import Diffusing

KINDS = st.tuples(st.sampled_from(list(Sensitivity)), st.sampled_from(list(MissionStatus)))
CHANGES = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=5),
        st.one_of(st.none(), st.sampled_from(list(Sensitivity))),
        st.one_of(st.none(), st.sampled_from(list(MissionStatus))),
    ),
    max_size=5,
)


def is_public_and_open(mission: Mission) -> bool:
    return mission.sensitivity is Sensitivity.PUBLIC and mission.status is MissionStatus.OPEN


async def check_the_api_holds_only_public_open_missions(
    diffusing: Diffusing, already_checked: int
) -> int:
    """Every request since `already_checked` concerned a mission public and open at that
    moment; the API now holds exactly those. Returns how many requests are checked."""
    async with diffusing.database.session() as session:
        missions = await mission_store.all_missions(session)
    shown = {f"/missions/{m.id}?": m for m in missions if is_public_and_open(m)}
    hidden = [m.title for m in missions if not is_public_and_open(m)]
    for call in diffusing.api.calls[already_checked:]:
        if call.method in ("POST", "PUT"):
            body = str(call.body)
            assert not any(title in body for title in hidden), call
            if call.method == "POST":
                url = call.body["applicationUrl"] if call.body else ""
                assert any(key in url for key in shown), call
    held = {m.fields["title"] for m in diffusing.api.live().values()}
    assert held == {m.title for m in shown.values()}
    assert diffusing.api.refused_requests == []
    return len(diffusing.api.calls)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(catalogue=st.lists(KINDS, min_size=1, max_size=6), changes=CHANGES)
async def test_nothing_but_public_open_missions_reaches_api_engagement(
    diffusing: Diffusing,
    catalogue: list[tuple[Sensitivity, MissionStatus]],
    changes: list[tuple[int, Sensitivity | None, MissionStatus | None]],
) -> None:
    clock = diffusing.chat.brain.services.clock
    diffusing.api.missions.clear()
    diffusing.api.calls.clear()
    async with diffusing.database.session() as session:
        await session.execute(delete(Diffusion))
        await session.execute(delete(Mission))
        created = [
            await mission_store.create(
                session,
                {
                    "title": f"Mission {sensitivity.value} {status.value} {index}",
                    "skills": ["css", "traduction"],
                    "sensitivity": sensitivity,
                    "status": status,
                },
                clock(),
            )
            for index, (sensitivity, status) in enumerate(catalogue)
        ]
        numbers = [mission.id for mission in created]
    assert (await diffusing.sync()).ok
    checked = await check_the_api_holds_only_public_open_missions(diffusing, 0)
    for index, sensitivity, status in changes:
        values = {"sensitivity": sensitivity, "status": status}
        async with diffusing.database.session() as session:
            mission = await mission_store.get(session, numbers[index % len(numbers)])
            assert mission is not None
            mission_store.apply(
                mission, {k: v for k, v in values.items() if v is not None}, clock()
            )
        assert (await diffusing.sync()).ok
        checked = await check_the_api_holds_only_public_open_missions(diffusing, checked)


HELD = st.lists(
    st.builds(
        Held,
        client_id=st.text("abc123-", min_size=1, max_size=4),
        mission_id=st.one_of(st.none(), st.integers(1, 8)),
        pending=st.one_of(st.none(), st.just({"title": "x"})),
        sent=st.one_of(st.none(), st.just({"title": "x"}), st.just({"title": "y"})),
    ),
    max_size=8,
    unique_by=lambda held: held.client_id,
)


@settings(max_examples=300, deadline=None)
@given(
    wanted=st.sets(st.integers(1, 8)),
    held=HELD,
    on_api=st.sets(st.text("abc123-", min_size=1, max_size=4)),
)
def test_a_plan_creates_and_updates_only_wanted_missions_and_withdraws_the_rest(
    wanted: set[int], held: list[Held], on_api: set[str]
) -> None:
    fields = {number: {"title": "x"} for number in wanted}
    remote = {cid: Remote(cid, Moderated(None, None, None)) for cid in on_api}
    steps = plan(fields, held, remote)
    for step in steps:
        if step.kind in ("create", "replace", "adopt", "update"):
            assert step.mission_id in wanted
        else:
            assert step.kind in ("withdraw", "forget")
            assert step.kind == "forget" or step.client_id in remote
    kept = {s.mission_id for s in steps if s.kind not in ("withdraw", "forget")}
    untouched = {h.mission_id for h in held if h.sent == {"title": "x"} and h.client_id in remote}
    assert wanted <= kept | untouched  # every wanted mission is published or already is
    withdrawn = {s.client_id for s in steps if s.kind in ("withdraw", "forget", "replace")}
    for publication in held:
        if publication.mission_id not in wanted:
            assert publication.client_id in withdrawn
    order = [s.kind for s in steps]
    first_create = min(
        (i for i, k in enumerate(order) if k in ("create", "replace")), default=len(order)
    )
    assert all(k not in ("withdraw", "forget") for k in order[first_create:])
