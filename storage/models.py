"""The tables: missions, volunteers and their identities, engagements, appeals, bot state.

No column takes its time from the wall clock: every timestamp is written by a repository
function from the `now` its caller passes (the one injected clock), and a row written without
one fails on the NOT NULL constraint instead of silently taking today's date.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.enums import (
    Commitment,
    EngagementStatus,
    MissionStatus,
    Moderation,
    Sensitivity,
    SkillLevel,
    Trust,
)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def vocabulary(kind: type[StrEnum]) -> Enum:
    """A closed vocabulary stored as its plain value in a VARCHAR(20), as it always was (old
    databases and backups keep working); read back as the enum member, and an unknown value
    is refused when written."""
    return Enum(
        kind,
        native_enum=False,
        create_constraint=False,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
        length=20,
    )


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        dict[str, Any]: JSON,
        list[str]: JSON,
    }


class Mission(Base):
    __tablename__ = "missions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ref: Mapped[str | None] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    entry_door: Mapped[bool] = mapped_column(Boolean, default=False)
    sensitivity: Mapped[Sensitivity] = mapped_column(
        vocabulary(Sensitivity), default=Sensitivity.PUBLIC
    )
    commitment: Mapped[Commitment] = mapped_column(
        vocabulary(Commitment), default=Commitment.ONE_OFF
    )
    effort: Mapped[str] = mapped_column(String(80), default="")
    coordinators: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[MissionStatus] = mapped_column(
        vocabulary(MissionStatus), default=MissionStatus.OPEN, index=True
    )
    created_at: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column()
    opened_at: Mapped[datetime | None] = mapped_column(default=None)


class Volunteer(Base):
    __tablename__ = "volunteers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    language: Mapped[str] = mapped_column(String(5), default="fr")
    trust: Mapped[Trust] = mapped_column(vocabulary(Trust), default=Trust.NEWCOMER)
    skills_text: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str | None] = mapped_column(String(60), default=None, index=True)
    alerts: Mapped[bool] = mapped_column(Boolean, default=False)
    findable: Mapped[bool] = mapped_column(Boolean, default=False)
    commitment_preference: Mapped[Commitment | None] = mapped_column(
        vocabulary(Commitment), default=None
    )
    # Skills the person said they don't have or don't want: never proposed on.
    refused_skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    hours_per_month: Mapped[float | None] = mapped_column(Float, default=None)  # time offered
    ambassador_code: Mapped[str | None] = mapped_column(String(40), unique=True, default=None)
    consent_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column()
    last_active_at: Mapped[datetime] = mapped_column()
    last_alert_at: Mapped[datetime | None] = mapped_column(default=None)
    retention_warned_at: Mapped[datetime | None] = mapped_column(default=None)

    identities: Mapped[list[Identity]] = relationship(
        back_populates="volunteer",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="Identity.id",  # the first identity is the oldest, on every database
    )
    skill_rows: Mapped[list[VolunteerSkill]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def skills(self) -> list[str]:
        return [row.tag for row in sorted(self.skill_rows, key=lambda row: row.position)]

    @property
    def skill_levels(self) -> dict[str, SkillLevel]:
        """Each stated skill's level, in the order the person gave them."""
        rows = sorted(self.skill_rows, key=lambda row: row.position)
        return {row.tag: row.level for row in rows}


class Identity(Base):
    """One platform address of a volunteer: `@alice:example.org`, `discourse:alice`, …"""

    __tablename__ = "identities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"))
    address: Mapped[str] = mapped_column(String(255), unique=True)
    platform: Mapped[str] = mapped_column(String(20))
    display_name: Mapped[str | None] = mapped_column(String(255), default=None)

    volunteer: Mapped[Volunteer] = relationship(back_populates="identities")


class VolunteerSkill(Base):
    __tablename__ = "volunteer_skills"

    volunteer_id: Mapped[int] = mapped_column(
        ForeignKey("volunteers.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(60), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    level: Mapped[SkillLevel] = mapped_column(vocabulary(SkillLevel), default=SkillLevel.STATED)

    __table_args__ = (Index("ix_volunteer_skills_tag", "tag"),)


class Engagement(Base):
    __tablename__ = "engagements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    volunteer_id: Mapped[int | None] = mapped_column(
        ForeignKey("volunteers.id", ondelete="SET NULL"), index=True
    )
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id", ondelete="CASCADE"))
    status: Mapped[EngagementStatus] = mapped_column(
        vocabulary(EngagementStatus), default=EngagementStatus.INTERESTED
    )
    source: Mapped[str | None] = mapped_column(String(60), default=None)
    thread_platform: Mapped[str | None] = mapped_column(String(20), default=None)
    thread_ref: Mapped[str | None] = mapped_column(String(255), default=None, index=True)
    coordinator: Mapped[str | None] = mapped_column(String(255), default=None)
    closing_note: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column()
    onboarding_at: Mapped[datetime | None] = mapped_column(default=None)
    first_response_at: Mapped[datetime | None] = mapped_column(default=None)
    active_at: Mapped[datetime | None] = mapped_column(default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)

    mission: Mapped[Mission] = relationship(lazy="joined")

    __table_args__ = (UniqueConstraint("volunteer_id", "mission_id", name="uq_engagement"),)


class Appeal(Base):
    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(40))
    place: Mapped[str | None] = mapped_column(String(255), default=None)
    language: Mapped[str] = mapped_column(String(5), default="fr")
    mission_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column()


class ProcessedEvent(Base):
    """A platform event already handled, with the replies owed for it (a small outbox)."""

    __tablename__ = "processed_events"

    platform: Mapped[str] = mapped_column(String(20), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    handled_at: Mapped[datetime] = mapped_column(index=True)
    replies: Mapped[list[str]] = mapped_column(JSON, default=list)
    delivered: Mapped[bool] = mapped_column(Boolean, default=False)
    # Whose message it was, so that erasing a person also empties the replies still owed them.
    sender: Mapped[str | None] = mapped_column(String(255), default=None, index=True)


class StateEntry(Base):
    """Small pieces of bot state: sync tokens, poll cursors, counters."""

    __tablename__ = "state"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column()


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str | None] = mapped_column(String(255), default=None)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    allowed: Mapped[bool] = mapped_column(Boolean, default=True)


class LinkCode(Base):
    """A one-time code that joins a second platform identity to a volunteer.

    The identity that typed it (`claimant`) is joined only once both sides have confirmed.
    """

    __tablename__ = "link_codes"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime] = mapped_column()
    owner_address: Mapped[str | None] = mapped_column(String(255), default=None)
    claimant: Mapped[str | None] = mapped_column(String(255), default=None, index=True)
    owner_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    claimant_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)


class ReminderSent(Base):
    """A follow-up message that was due and has been sent: never twice, even after a restart."""

    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(80))  # "engagement:12", "volunteer:3", "mission:4"
    due_at: Mapped[datetime] = mapped_column()
    sent_at: Mapped[datetime] = mapped_column()

    __table_args__ = (UniqueConstraint("kind", "subject", name="uq_reminder_once"),)


class Diffusion(Base):
    """A mission published on API Engagement under one clientId, which no other publication
    will ever use again (the API keeps a deleted mission's clientId for good)."""

    __tablename__ = "diffusions"

    client_id: Mapped[str] = mapped_column(String(160), primary_key=True)
    mission_id: Mapped[int | None] = mapped_column(
        ForeignKey("missions.id", ondelete="SET NULL"), index=True
    )
    # What is about to be created, kept before the request: if its answer is lost, the next
    # pass finds the mission on the API and knows what it holds.
    pending: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # The fields API Engagement holds, as last sent: an update sends only what differs.
    sent: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    moderation: Mapped[Moderation | None] = mapped_column(vocabulary(Moderation), default=None)
    moderation_comment: Mapped[str | None] = mapped_column(Text, default=None)
    moderated_by: Mapped[str | None] = mapped_column(String(60), default=None)
    refusal_told: Mapped[str | None] = mapped_column(Text, default=None)  # the refusal staff read
    error: Mapped[str | None] = mapped_column(Text, default=None)  # the last attempt's failure
    created_at: Mapped[datetime] = mapped_column()
    synced_at: Mapped[datetime | None] = mapped_column(default=None)
    withdrawn_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
