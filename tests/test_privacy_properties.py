"""Attacks on the privacy rules, generated: random catalogues, trust levels, places and
sequences of commands (trust changes, reclassifications, merges included).

The oracle is the rule as DESIGN.md states it, written here again independently of
`storage.visibility`: a confidential mission is named only to trusted people and staff, never
in public; an internal one never in public; a mission that was never open only to the staff,
never in public. It judges everything each person gets: the replies where they asked, and
what is sent to them directly (private answers, alerts, thanks, onboarding threads). And a
mission someone may not look up answers exactly like a number that doesn't exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from commands.context import Where
from commands.i18n import Translator
from storage import missions as mission_store
from storage import volunteers as volunteer_store
from storage.database import Database
from storage.enums import MissionStatus, Sensitivity, Trust
from storage.models import Base
from storage.visibility import Surface
from tests.conversation import STAFF, Chat, Clock, RecordingPlatform, make_brain

FR = Translator("fr")
PEOPLE = ("console:ana", "console:bob")
PLACES = {
    Where.PUBLIC: {"surface": Surface.PUBLIC},
    # A team room read by both volunteers and the staff: what is said there, all of them read.
    Where.TEAM: {"direct": False, "readers": {**dict.fromkeys(PEOPLE, False), STAFF: True}},
    Where.STAFF_ROOM: {"direct": False, "staff_room": True},
    Where.PRIVATE: {"direct": True},
}
LEVEL_WORDS = {Trust.NEWCOMER: "nouveau", Trust.CONFIRMED: "confirmé", Trust.TRUSTED: "confiance"}
SENSITIVITY_WORDS = {
    Sensitivity.PUBLIC: "publique",
    Sensitivity.INTERNAL: "interne",
    Sensitivity.CONFIDENTIAL: "confidentielle",
}
STATUS_WORDS = {
    MissionStatus.DRAFT: "brouillon",
    MissionStatus.OPEN: "ouverte",
    MissionStatus.FILLED: "pourvue",
    MissionStatus.CLOSED: "fermée",
}
ASKS = (
    "!missions",
    "!mission {n}",
    "!participer {n}",
    "!mesmissions",
    "!bilan {n} aide",
    "!mesdonnees",
    "!pourmoi",
    "!competences css, chiffrement et linux",
    "!alertes oui",
)
STAFF_ASKS = ("!mission {n}", "!suivi", "!appel", "!benevoles css", "!terminer {person} {n}")
MAX_MISSIONS = 3

CATALOGUES = st.lists(
    st.tuples(st.sampled_from(list(Sensitivity)), st.sampled_from(list(MissionStatus))),
    min_size=1,
    max_size=MAX_MISSIONS,
)
NUMBER = st.integers(0, MAX_MISSIONS)  # an index in the catalogue; past its end, no mission
STEPS = st.lists(
    st.one_of(
        st.tuples(
            st.just("ask"),
            st.sampled_from(PEOPLE),
            st.sampled_from(list(PLACES)),
            st.sampled_from(ASKS),
            NUMBER,
        ),
        st.tuples(st.just("trust"), st.sampled_from(PEOPLE), st.sampled_from(list(Trust))),
        st.tuples(st.just("reclassify"), NUMBER, st.sampled_from(list(Sensitivity))),
        st.tuples(st.just("status"), NUMBER, st.sampled_from(list(MissionStatus))),
        st.tuples(st.just("link"), st.sampled_from(PEOPLE), st.sampled_from(PEOPLE)),
        st.tuples(
            st.just("staff"),
            st.sampled_from(list(PLACES)),
            st.sampled_from(STAFF_ASKS),
            NUMBER,
            st.sampled_from(PEOPLE),
        ),
    ),
    min_size=1,
    max_size=16,
)


@dataclass
class Catalogue:
    """The missions as the test knows them: title, sensitivity, status, ever open."""

    ids: list[int] = field(default_factory=list)
    titles: dict[int, str] = field(default_factory=dict)
    sensitivity: dict[int, Sensitivity] = field(default_factory=dict)
    status: dict[int, MissionStatus] = field(default_factory=dict)
    ever_open: set[int] = field(default_factory=set)

    def number(self, index: int) -> int:
        return self.ids[index] if index < len(self.ids) else max(self.ids) + 50 + index


def may_be_named(
    catalogue: Catalogue, number: int, trust: Trust, staff: bool, where: Where
) -> bool:
    """DESIGN.md's gates, for a text delivered to someone in a place."""
    sensitivity = catalogue.sensitivity[number]
    if where is Where.PUBLIC:
        return sensitivity is Sensitivity.PUBLIC and number in catalogue.ever_open
    if sensitivity is Sensitivity.CONFIDENTIAL and not (staff or trust is Trust.TRUSTED):
        return False
    return staff or number in catalogue.ever_open


def may_look_up(catalogue: Catalogue, number: int, trust: Trust, staff: bool, where: Where) -> bool:
    """Whether `!mission N` / `!participer N` may show mission N (else: as if it didn't exist)."""
    if number not in catalogue.sensitivity:
        return False
    sensitivity, status = catalogue.sensitivity[number], catalogue.status[number]
    if where is Where.PUBLIC:
        return sensitivity is Sensitivity.PUBLIC and status is MissionStatus.OPEN
    if staff:
        return True
    if sensitivity is Sensitivity.CONFIDENTIAL and trust is not Trust.TRUSTED:
        return False
    return status is MissionStatus.OPEN


async def empty(database: Database) -> None:
    async with database.session() as session:
        for table in reversed(Base.metadata.sorted_tables):
            await session.execute(delete(table))


async def trust_of(chat: Chat, address: str) -> Trust | None:
    async with chat.brain.database.session() as session:
        volunteer = await volunteer_store.by_address(session, address)
        return volunteer.trust if volunteer is not None else None


@dataclass
class Judge:
    """Checks everything people got during one step against the rule."""

    chat: Chat
    catalogue: Catalogue
    seen_direct: int = 0
    seen_threads: int = 0

    async def trust(self, address: str) -> Trust:
        return await trust_of(self.chat, address) or Trust.NEWCOMER

    def readers(self, sender: str, where: Where) -> list[str]:
        """Who reads an answer given in `where`: in a team room, everyone in it."""
        return list(dict.fromkeys([sender, *PEOPLE])) if where is Where.TEAM else [sender]

    async def lowest_trust(self, readers: list[str]) -> Trust:
        levels = [await self.trust(reader) for reader in readers if reader != STAFF]
        return min(levels, key=lambda level: level.rank) if levels else Trust.TRUSTED

    async def check(
        self, text: str, recipient: str, where: Where, step: object, *, reading_along: bool = False
    ) -> None:
        """`recipient` asked for `text`, or reads it along in a team room: then only the gate
        on confidential missions applies to them (the staff's drafts are the team's business)."""
        staff = recipient == STAFF
        trust = await self.trust(recipient)
        for number, title in self.catalogue.titles.items():
            if title in text:
                allowed = (
                    self.catalogue.sensitivity[number] is not Sensitivity.CONFIDENTIAL
                    or staff
                    or trust is Trust.TRUSTED
                    if reading_along
                    else may_be_named(self.catalogue, number, trust, staff, where)
                )
                assert allowed, (
                    f"{title} ({self.catalogue.sensitivity[number]}, "
                    f"{self.catalogue.status[number]}) reached {recipient} ({trust}) "
                    f"in a {where.name} place after {step!r}: {text!r}"
                )

    async def check_sent(self, step: object) -> None:
        platform = self.chat.platform
        for address, text in platform.direct[self.seen_direct :]:
            await self.check(text, address, Where.PRIVATE, step)
        for request in platform.threads[self.seen_threads :]:
            await self.check(request.welcome, request.volunteer, Where.PRIVATE, step)
        self.seen_direct, self.seen_threads = len(platform.direct), len(platform.threads)


async def run_step(judge: Judge, step: tuple[object, ...]) -> None:
    chat, catalogue = judge.chat, judge.catalogue
    kind = step[0]
    if kind == "ask":
        _, person, where, template, index = step
        assert isinstance(person, str) and isinstance(where, Where)
        assert isinstance(template, str) and isinstance(index, int)
        number = catalogue.number(index)
        answer = await chat.say(person, template.format(n=number), **PLACES[where])  # type: ignore[arg-type]
        for reader in judge.readers(person, where):
            await judge.check(answer, reader, where, step, reading_along=reader != person)
        await judge.check_sent(step)
        trust = await judge.trust(person)
        room_trust = await judge.lowest_trust(judge.readers(person, where))
        if template in ("!mission {n}", "!participer {n}"):
            missing = FR("error.no_such_mission", id=number)
            if may_look_up(catalogue, number, trust, False, where) and (
                catalogue.sensitivity[number] is not Sensitivity.CONFIDENTIAL
                or room_trust is Trust.TRUSTED
            ):
                assert answer != missing, step
            else:
                assert answer == missing, (step, answer)
        hidden = not may_look_up(catalogue, number, trust, False, where)
        if template == "!bilan {n} aide" and where is not Where.PUBLIC and hidden:
            assert answer == FR("checkin.no_engagement", id=number), (step, answer)
    elif kind == "trust":
        _, person, level = step
        assert isinstance(level, Trust)
        await chat.say(STAFF, f"!confiance {person} {LEVEL_WORDS[level]}")
        await judge.check_sent(step)
    elif kind in ("reclassify", "status"):
        _, index, value = step
        assert isinstance(index, int)
        if index >= len(catalogue.ids):
            return
        number = catalogue.ids[index]
        if isinstance(value, Sensitivity):
            await chat.say(
                STAFF, f"!mission modifier {number}\nsensibilité: {SENSITIVITY_WORDS[value]}"
            )
            catalogue.sensitivity[number] = value
        else:
            assert isinstance(value, MissionStatus)
            await chat.say(STAFF, f"!mission modifier {number}\nstatut: {STATUS_WORDS[value]}")
            catalogue.status[number] = value
            if value is MissionStatus.OPEN:
                catalogue.ever_open.add(number)
        await judge.check_sent(step)
    elif kind == "link":
        _, owner, claimant = step
        assert isinstance(owner, str) and isinstance(claimant, str)
        if owner == claimant:
            return
        before = {who: await trust_of(chat, who) for who in (owner, claimant)}
        reply = await chat.say(owner, "!lier")
        code = re.search(r"Votre code : (\w+)", reply)
        assert code is not None, reply
        await chat.say(claimant, f"!lier {code.group(1)}")
        await chat.say(claimant, "!lier confirmer")
        await chat.say(owner, "!lier confirmer")
        await judge.check_sent(step)
        after = await judge.trust(owner)
        # Linking never gives anyone more than they had, nor more than the code's owner had.
        for level in before.values():
            if level is not None:
                assert after.rank <= level.rank, (step, before, after)
        assert after.rank <= (before[owner] or Trust.NEWCOMER).rank
    elif kind == "staff":
        _, where, template, index, person = step
        assert isinstance(where, Where) and isinstance(template, str) and isinstance(index, int)
        number = catalogue.number(index)
        text = template.format(n=number, person=person)
        answer = await chat.say(STAFF, text, **PLACES[where])  # type: ignore[arg-type]
        for reader in judge.readers(STAFF, where):
            await judge.check(answer, reader, where, step, reading_along=reader != STAFF)
        await judge.check_sent(step)


ANA, BOB = PEOPLE
SECRET, INNER, OPEN_TO_ALL = Sensitivity.CONFIDENTIAL, Sensitivity.INTERNAL, Sensitivity.PUBLIC
OPEN, FILLED, DRAFT = MissionStatus.OPEN, MissionStatus.FILLED, MissionStatus.DRAFT
ISSUE_13 = [  # the attacks of issue 13, always tried, whatever hypothesis draws besides
    # #6: trusted, joins the confidential mission, then trust lowered.
    (
        [(SECRET, OPEN)],
        [
            ("trust", ANA, Trust.TRUSTED),
            ("ask", ANA, Where.PRIVATE, "!participer {n}", 0),
            ("trust", ANA, Trust.NEWCOMER),
            ("ask", ANA, Where.PRIVATE, "!mesmissions", 0),
            ("ask", ANA, Where.PRIVATE, "!bilan {n} aide", 0),
            ("ask", ANA, Where.PRIVATE, "!mesdonnees", 0),
            ("ask", ANA, Where.PRIVATE, "!participer {n}", 0),
            ("staff", Where.PRIVATE, "!terminer {person} {n}", 0, ANA),
        ],
    ),
    # #3: a trusted volunteer types a newcomer's code; both confirm.
    (
        [(SECRET, OPEN), (OPEN_TO_ALL, OPEN)],
        [
            ("ask", BOB, Where.PRIVATE, "!competences css, chiffrement et linux", 0),
            ("trust", BOB, Trust.TRUSTED),
            ("ask", BOB, Where.PRIVATE, "!participer {n}", 0),
            ("link", ANA, BOB),
            ("ask", ANA, Where.PRIVATE, "!mesmissions", 0),
            ("ask", ANA, Where.PRIVATE, "!mesdonnees", 0),
            ("ask", ANA, Where.PRIVATE, "!mission {n}", 0),
        ],
    ),
    # #2, #6: lookups, staff details and non-open missions in public and team places.
    (
        [(INNER, OPEN), (OPEN_TO_ALL, FILLED), (SECRET, DRAFT)],
        [
            ("ask", ANA, Where.PUBLIC, "!participer {n}", 0),
            ("ask", ANA, Where.TEAM, "!participer {n}", 1),
            ("ask", ANA, Where.TEAM, "!mission {n}", 2),
            ("staff", Where.PUBLIC, "!mission {n}", 0, ANA),
            ("staff", Where.PUBLIC, "!suivi", 0, ANA),
            ("staff", Where.TEAM, "!appel", 0, ANA),
        ],
    ),
    # A team room: ana is trusted, bob reads along as a newcomer, then is trusted too.
    (
        [(SECRET, OPEN), (OPEN_TO_ALL, OPEN)],
        [
            ("trust", ANA, Trust.TRUSTED),
            ("ask", ANA, Where.TEAM, "!missions", 0),
            ("ask", ANA, Where.TEAM, "!mission {n}", 0),
            ("ask", ANA, Where.TEAM, "!participer {n}", 0),
            ("ask", ANA, Where.TEAM, "!pourmoi", 0),
            ("staff", Where.TEAM, "!mission {n}", 0, ANA),
            ("staff", Where.TEAM, "!suivi", 0, ANA),
            ("trust", BOB, Trust.TRUSTED),
            ("ask", ANA, Where.TEAM, "!missions", 0),
        ],
    ),
    # Alerts: a mission reclassified, then reopened, reaches only those who may see it.
    (
        [(OPEN_TO_ALL, DRAFT)],
        [
            ("ask", ANA, Where.PRIVATE, "!competences css, chiffrement et linux", 0),
            ("ask", ANA, Where.PRIVATE, "!alertes oui", 0),
            ("reclassify", 0, SECRET),
            ("status", 0, OPEN),
            ("ask", ANA, Where.TEAM, "!pourmoi", 0),
        ],
    ),
]


def with_the_issues_attacks(test):  # type: ignore[no-untyped-def]
    for missions, steps in ISSUE_13:
        test = example(missions=missions, steps=steps)(test)
    return test


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(missions=CATALOGUES, steps=STEPS)
@with_the_issues_attacks
async def test_nobody_ever_gets_a_mission_they_may_not_see(
    database: Database,
    missions: list[tuple[Sensitivity, MissionStatus]],
    steps: list[tuple[object, ...]],
) -> None:
    await empty(database)
    clock = Clock()
    platform = RecordingPlatform()
    brain = make_brain(database, clock)
    brain.services.hub.register(platform)
    chat = Chat(brain, platform)
    catalogue = Catalogue()
    async with database.session() as session:
        for index, (sensitivity, status) in enumerate(missions):
            mission = await mission_store.create(
                session,
                {
                    "title": f"Zeta{index}Q",
                    "skills": ["css", "chiffrement", "linux"],
                    "sensitivity": sensitivity,
                    "status": status,
                    "entry_door": index % 2 == 0,
                },
                clock(),
            )
            catalogue.ids.append(mission.id)
            catalogue.titles[mission.id] = mission.title
            catalogue.sensitivity[mission.id] = sensitivity
            catalogue.status[mission.id] = status
            if status is MissionStatus.OPEN:
                catalogue.ever_open.add(mission.id)
    judge = Judge(chat, catalogue)
    for step in steps:
        await run_step(judge, step)
        clock.advance(minutes=1)
