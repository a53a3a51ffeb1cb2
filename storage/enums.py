"""The closed vocabularies of the domain, stored as plain strings."""

from enum import StrEnum


class Sensitivity(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"


class Commitment(StrEnum):
    ONE_OFF = "one-off"
    RECURRING = "recurring"


class SkillLevel(StrEnum):
    """How well a person says they know a skill; "stated" when they didn't say."""

    LEARNING = "learning"
    BEGINNER = "beginner"
    STATED = "stated"
    EXPERT = "expert"


class MissionStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    FILLED = "filled"
    CLOSED = "closed"


class Trust(StrEnum):
    NEWCOMER = "newcomer"
    CONFIRMED = "confirmed"
    TRUSTED = "trusted"

    @property
    def rank(self) -> int:
        return list(Trust).index(self)


class EngagementStatus(StrEnum):
    INTERESTED = "interested"
    ONBOARDING = "onboarding"
    ACTIVE = "active"
    COMPLETED = "completed"
    DROPPED = "dropped"
    DECLINED = "declined"

    @property
    def is_open(self) -> bool:
        return self in (self.INTERESTED, self.ONBOARDING, self.ACTIVE)


class Moderation(StrEnum):
    """What API Engagement (or a partner platform moderating for it) decided of a mission."""

    ACCEPTED = "ACCEPTED"
    REFUSED = "REFUSED"
    PENDING = "PENDING"
    ONGOING = "ONGOING"
