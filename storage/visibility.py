"""The visibility gates, in one place: who may see which mission, on which surface."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Select, select

from storage.enums import MissionStatus, Sensitivity, Trust
from storage.models import Engagement, Mission


class Surface(StrEnum):
    """Where a list of missions is shown."""

    CHAT = "chat"  # the team's chat, a direct message, the terminal
    PUBLIC = "public"  # the web board, forum topics, texts for external channels


@dataclass(frozen=True)
class Viewer:
    """Who is looking: their trust level and whether they are staff. An answer given in a
    shared room is read by everyone in it: `shared_with_untrusted` says someone there may not
    see confidential missions, and then nobody is shown one there."""

    trust: Trust = Trust.NEWCOMER
    is_staff: bool = False
    shared_with_untrusted: bool = False

    @property
    def sees_confidential(self) -> bool:
        if self.shared_with_untrusted:
            return False
        return self.is_staff or self.trust is Trust.TRUSTED


ANONYMOUS = Viewer()


def allowed_sensitivities(viewer: Viewer, surface: Surface) -> tuple[Sensitivity, ...]:
    """Confidential: trusted people and staff, never in public; internal: never in public."""
    if surface is Surface.PUBLIC:
        return (Sensitivity.PUBLIC,)
    if viewer.sees_confidential:
        return tuple(Sensitivity)
    return (Sensitivity.PUBLIC, Sensitivity.INTERNAL)


def allowed_statuses(viewer: Viewer, surface: Surface) -> tuple[MissionStatus, ...]:
    """Staff in chat can look at drafts and closed missions; everyone else sees open ones."""
    if viewer.is_staff and surface is Surface.CHAT:
        return tuple(MissionStatus)
    return (MissionStatus.OPEN,)


def can_see(mission: Mission, viewer: Viewer, surface: Surface) -> bool:
    """The same rule as `visible_missions`, for one mission already loaded."""
    return mission.sensitivity in allowed_sensitivities(
        viewer, surface
    ) and mission.status in allowed_statuses(viewer, surface)


def can_recall(mission: Mission, viewer: Viewer, surface: Surface) -> bool:
    """A mission `viewer` met before (one they joined, one a published call showed), named
    again whatever its status now, but only while its sensitivity still lets them see it:
    after a trust change or a reclassification, it is as if it had never existed."""
    return mission.sensitivity in allowed_sensitivities(viewer, surface)


def recallable_engagements(
    volunteer_id: int, viewer: Viewer, surface: Surface
) -> Select[Engagement]:
    """The volunteer's engagements on missions `can_recall` allows, oldest first."""
    return (
        select(Engagement)
        .join(Mission, Mission.id == Engagement.mission_id)
        .where(Engagement.volunteer_id == volunteer_id)
        .where(Mission.sensitivity.in_(allowed_sensitivities(viewer, surface)))
        .order_by(Engagement.id)
    )


def visible_missions(
    viewer: Viewer, surface: Surface, statuses: Iterable[MissionStatus] | None = None
) -> Select[Mission]:
    """Missions `viewer` may see on `surface`, entry doors first, then by number."""
    wanted = tuple(statuses) if statuses is not None else (MissionStatus.OPEN,)
    permitted = [s for s in wanted if s in allowed_statuses(viewer, surface)]
    return (
        select(Mission)
        .where(Mission.sensitivity.in_(allowed_sensitivities(viewer, surface)))
        .where(Mission.status.in_(permitted))
        .order_by(Mission.entry_door.desc(), Mission.id)
    )
