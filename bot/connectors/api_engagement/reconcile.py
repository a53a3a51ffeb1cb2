"""One reconciliation with API Engagement: what should be published against what it holds.

A pass reads what should be published (the public open missions, `storage.diffusion`) and what
was published (the clientIds kept there), then what API Engagement holds (`GET /v0/mymission`).
It withdraws first (whatever is no longer public and open), then updates (only the fields that
changed), then creates. Each step is its own short transaction around one request, never a
request inside a transaction; a clientId is stored before the creation it names, so a creation
whose answer was lost is found on the API at the next pass instead of being sent twice. One
mission failing never stops the others; a refused key or a rate limit stops the pass, and the
next pass takes over. Staff are told once of each refusal by the moderation.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from bot.board.snapshot import MissionView
from bot.connectors.api_engagement.client import ApiEngagementClient, ApiEngagementError, Remote
from bot.connectors.api_engagement.payload import Publisher, changes, mission_fields
from commands.i18n import Translator
from commands.render import mission_ref
from commands.skills import Taxonomy
from commands.text import user_text
from storage import diffusion as diffusion_store
from storage.database import Database
from storage.models import Mission
from storage.visibility import ANONYMOUS, Surface, can_see

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=30)  # longer than any pass: a pass waits 429s of 2 minutes at most
GIVE_UP_AFTER = 3  # requests in a row met a server down (each already retried): stop the pass
Notify = Callable[[str], Awaitable[bool]]
Kind = Literal["withdraw", "forget", "update", "adopt", "create", "replace"]


@dataclass(frozen=True)
class Held:
    """A publication not withdrawn, as the database keeps it."""

    client_id: str
    mission_id: int | None
    pending: dict[str, Any] | None
    sent: dict[str, Any] | None


@dataclass(frozen=True)
class Action:
    """One step of a pass. `create` without a clientId takes a new one."""

    kind: Kind
    mission_id: int | None
    client_id: str | None = None


def plan(
    wanted: Mapping[int, dict[str, Any]], held: list[Held], remote: Mapping[str, Remote]
) -> list[Action]:
    """The steps that bring API Engagement to `wanted` (mission number → its fields).

    Only a mission in `wanted` is ever created, adopted or updated; everything else held is
    withdrawn (deleted if the API has it, forgotten if it never had).
    """
    withdrawals: list[Action] = []
    updates: list[Action] = []
    creations: list[Action] = []
    covered: set[int] = set()
    for publication in held:
        mission_id = publication.mission_id
        on_api = publication.client_id in remote
        if mission_id is None or mission_id not in wanted or mission_id in covered:
            kind: Kind = "withdraw" if on_api else "forget"
            withdrawals.append(Action(kind, mission_id, publication.client_id))
            continue
        covered.add(mission_id)
        if publication.sent is None:
            kind = "adopt" if on_api else "create"
            (updates if on_api else creations).append(
                Action(kind, mission_id, publication.client_id)
            )
        elif not on_api:  # deleted on the API by someone else: a new clientId is needed
            creations.append(Action("replace", mission_id, publication.client_id))
        elif changes(wanted[mission_id], publication.sent):
            updates.append(Action("update", mission_id, publication.client_id))
    creations += [Action("create", number) for number in wanted if number not in covered]
    return withdrawals + updates + creations


@dataclass
class Report:
    """What one pass did (or, on a dry run, would do)."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    planned: list[str] = field(default_factory=list)
    stopped: str | None = None  # why the pass ended early
    busy: bool = False  # another process was in a pass: nothing done, nothing wrong

    @property
    def ok(self) -> bool:
        return self.stopped is None and not self.failed

    def summary(self) -> dict[str, Any]:
        return {
            "created": len(self.created),
            "updated": len(self.updated),
            "withdrawn": len(self.withdrawn),
            "failed": len(self.failed),
            "stopped": self.stopped,
        }


class Reconciler:
    """Runs passes for one database and one API Engagement key."""

    def __init__(
        self,
        database: Database,
        client: ApiEngagementClient,
        publisher: Publisher,
        taxonomy: Taxonomy,
        clock: Callable[[], datetime],
        *,
        notify: Notify | None = None,
        staff_language: str = "fr",
    ) -> None:
        self.database = database
        self.client = client
        self.publisher = publisher
        self.taxonomy = taxonomy
        self.clock = clock
        self.notify = notify
        self.t = Translator(staff_language)
        self._holder = ""
        self._leased_at = clock()

    async def run(self, *, dry_run: bool = False) -> Report:
        """One pass; on a dry run, only `planned` is filled and nothing is written anywhere."""
        report = Report()
        holder = uuid.uuid4().hex
        if not dry_run:
            async with self.database.session() as session:
                if not await diffusion_store.take_lease(session, holder, self.clock(), LEASE):
                    report.stopped = "another pass is running"
                    report.busy = True
                    return report
        self._holder, self._leased_at = holder, self.clock()
        try:
            await self._pass(report, dry_run)
        finally:
            if not dry_run:
                async with self.database.session() as session:
                    await diffusion_store.record_pass(session, report.summary(), self.clock())
                    await diffusion_store.release_lease(session, holder, self.clock())
        return report

    async def _pass(self, report: Report, dry_run: bool) -> None:
        wanted, held, labels = await self._snapshot()
        try:
            remote = await self.client.my_missions()
        except ApiEngagementError as error:
            report.stopped = str(error)
            return
        steps = plan(wanted, held, remote)
        if dry_run:
            report.planned = [
                f"{step.kind} {labels.get(step.mission_id or 0) or step.client_id}"
                for step in steps
            ]
            return
        await self._note_moderation(held, remote)
        by_client = {publication.client_id: publication for publication in held}
        unreachable = 0  # failures in a row where the server never answered properly
        for step in steps:
            await self._keep_lease()
            label = labels.get(step.mission_id or 0) or f"clientId {step.client_id}"
            try:
                await self._carry_out(step, by_client, report, label)
            except ApiEngagementError as error:
                if error.bad_key or error.rate_limited:
                    report.stopped = str(error)
                    break
                report.failed.append(f"{label}: {error}")
                await self._failed(step.client_id, error)
                unreachable = 0 if error.refused else unreachable + 1
                if unreachable >= GIVE_UP_AFTER:  # down: the next pass will try again
                    report.stopped = f"{error} ({unreachable} times in a row)"
                    break
            else:
                unreachable = 0
        await self._tell_refusals(report)

    async def _keep_lease(self) -> None:
        """A long pass (a big catalogue at a slow pace) renews its lease as it goes."""
        now = self.clock()
        if now - self._leased_at > LEASE / 3:
            async with self.database.session() as session:
                await diffusion_store.take_lease(session, self._holder, now, LEASE)
            self._leased_at = now

    async def _snapshot(
        self,
    ) -> tuple[dict[int, dict[str, Any]], list[Held], dict[int, str]]:
        async with self.database.session() as session:
            missions = [MissionView.of(m) for m in await diffusion_store.publishable(session)]
            labels = {m.id: f"#{m.id} {m.title}" for m in missions}
            held = [
                Held(d.client_id, d.mission_id, d.pending, d.sent)
                for d in await diffusion_store.current(session)
            ]
            for publication in held:
                number = publication.mission_id
                if number is not None and number not in labels:
                    mission = await session.get(Mission, number)
                    labels[number] = f"#{number} {mission.title}" if mission else f"#{number}"
        wanted = await asyncio.to_thread(self._all_fields, missions)  # CPU: off the loop
        return wanted, held, labels

    def _all_fields(self, missions: list[MissionView]) -> dict[int, dict[str, Any]]:
        return {m.id: mission_fields(m, self.publisher, self.taxonomy) for m in missions}

    async def _note_moderation(self, held: list[Held], remote: Mapping[str, Remote]) -> None:
        said = {
            publication.client_id: (
                found.moderated.status,
                found.moderated.comment,
                found.moderated.by,
            )
            for publication in held
            if (found := remote.get(publication.client_id)) is not None
        }
        async with self.database.session() as session:
            await diffusion_store.note_moderations(session, said)

    # --- the steps -----------------------------------------------------------------------------

    async def _carry_out(
        self, step: Action, held: Mapping[str, Held], report: Report, label: str
    ) -> None:
        if step.kind == "forget":
            await self._withdrawn(step.client_id)
            return
        if step.kind == "withdraw":
            assert step.client_id is not None
            await self.client.delete(step.client_id)
            await self._withdrawn(step.client_id)
            report.withdrawn.append(label)
            return
        if step.kind == "replace":
            await self._withdrawn(step.client_id)
            await self._create(step.mission_id, None, report, label)
            return
        if step.kind == "create":
            await self._create(step.mission_id, step.client_id, report, label)
            return
        assert step.client_id is not None
        publication = held[step.client_id]
        if step.kind == "adopt":  # created at an earlier pass whose answer was lost
            sent = publication.pending or {}
            await self._sent(step.client_id, sent, None)
            report.created.append(label)
        else:
            sent = publication.sent or {}
        await self._update(step.mission_id, step.client_id, sent, report, label)

    async def _fields_now(self, mission_id: int | None) -> tuple[Mission, dict[str, Any]] | None:
        """The mission's fields as of now, if it may still be published (read again just
        before sending: it may have changed since the pass began)."""
        if mission_id is None:
            return None
        async with self.database.session() as session:
            mission = await session.get(Mission, mission_id)
            if mission is None or not can_see(mission, ANONYMOUS, Surface.PUBLIC):
                return None
        return mission, mission_fields(MissionView.of(mission), self.publisher, self.taxonomy)

    async def _create(
        self, mission_id: int | None, client_id: str | None, report: Report, label: str
    ) -> None:
        for _ in range(2):  # a clientId found already used on the API is replaced once
            current = await self._fields_now(mission_id)
            if current is None:
                return
            mission, fields = current
            async with self.database.session() as session:
                if client_id is None:
                    client_id = (
                        await diffusion_store.allocate(session, mission, fields, self.clock())
                    ).client_id
                else:
                    publication = await diffusion_store.get(session, client_id)
                    if publication is not None:
                        publication.pending = fields
            try:
                remote = await self.client.create(client_id, fields)
            except ApiEngagementError as error:
                if error.status != 409:
                    await self._failed(client_id, error)
                    raise
                found = await self.client.my_mission(client_id)
                if found is not None and not found.deleted:  # ours, created before: keep it
                    await self._sent(client_id, fields, found)
                    report.created.append(label)
                    return
                await self._withdrawn(client_id)  # taken for good on the API
                client_id = None
                continue
            await self._sent(client_id, fields, remote)
            report.created.append(label)
            return

    async def _update(
        self,
        mission_id: int | None,
        client_id: str,
        sent: dict[str, Any],
        report: Report,
        label: str,
    ) -> None:
        current = await self._fields_now(mission_id)
        if current is None:
            return
        _, fields = current
        changed = changes(fields, sent)
        if not changed:
            return
        try:
            remote = await self.client.update(client_id, changed)
        except ApiEngagementError as error:
            if error.status != 404:
                raise
            await self._withdrawn(client_id)  # deleted on the API meanwhile: publish anew
            await self._create(mission_id, None, report, label)
            return
        await self._sent(client_id, fields, remote)
        report.updated.append(label)

    async def _sent(self, client_id: str, fields: dict[str, Any], remote: Remote | None) -> None:
        async with self.database.session() as session:
            await diffusion_store.mark_sent(session, client_id, fields, self.clock())
            if remote is not None:
                said = remote.moderated
                await diffusion_store.note_moderation(
                    session, client_id, said.status, said.comment, said.by
                )

    async def _failed(self, client_id: str | None, error: ApiEngagementError) -> None:
        if client_id is not None:
            async with self.database.session() as session:
                await diffusion_store.mark_failed(session, client_id, str(error), self.clock())

    async def _withdrawn(self, client_id: str | None) -> None:
        if client_id is not None:
            async with self.database.session() as session:
                await diffusion_store.mark_withdrawn(session, client_id, self.clock())

    async def _tell_refusals(self, report: Report) -> None:
        """Each refusal once: in the staff room when one is connected (else at a later pass),
        and in the report."""
        async with self.database.session() as session:
            untold = [
                (d.client_id, diffusion_store.refusal_key(d), d.moderation_comment, m)
                for d, m in await diffusion_store.untold_refusals(session)
            ]
        for client_id, told, comment, mission in untold:
            line = mission_ref(mission) if mission is not None else f"clientId {client_id}"
            reason = user_text(comment) if comment else self.t("diffusion.no_reason")
            report.refused.append(f"{line}: {reason}")
            if self.notify is None:
                continue
            number = mission.id if mission is not None else 0
            text = self.t("diffusion.refused_notice", line=line, reason=reason, id=number)
            if await self.notify(text):
                async with self.database.session() as session:
                    await diffusion_store.mark_told(session, client_id, told)
