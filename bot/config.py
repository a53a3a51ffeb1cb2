"""Configuration: `config.yaml` validated by pydantic, secrets only from the environment."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from commands.identities import is_matrix_user, parse_identity

DEFAULT_CONFIG = "config.yaml"


class ConfigError(Exception):
    """The configuration can't be used; the message names the key and what is wrong."""


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MatrixConfig(Section):
    enabled: bool = False
    homeserver: str | None = None
    user_id: str | None = None
    device_id: str | None = None
    store_path: str = "var/matrix-store"
    rooms: list[str] = []
    staff_room: str | None = None
    public_rooms: list[str] = []
    accept_invites_from: list[str] = []
    encrypt_onboarding: bool = True
    backlog_minutes: int = Field(default=60, ge=0)
    max_retries: int = Field(default=5, ge=0, le=50)
    # How long one /sync long-poll waits for news; short in tests, 30 s in production.
    sync_timeout_seconds: int = Field(default=30, ge=1, le=120)
    # The longest pause between two attempts when the homeserver is unreachable.
    backoff_max_seconds: float = Field(default=60.0, gt=0, le=600)
    # How long an encrypted message may stay unreadable before its sender is told.
    unreadable_grace_seconds: float = Field(default=20.0, ge=0, le=3600)

    @model_validator(mode="after")
    def _needed_when_enabled(self) -> MatrixConfig:
        if self.enabled:
            for key in ("homeserver", "user_id"):
                if not getattr(self, key):
                    raise ValueError(f"matrix.{key} is required when matrix.enabled is true")
        if self.user_id and not is_matrix_user(self.user_id):
            raise ValueError(f"matrix.user_id {self.user_id!r} is not a Matrix user id")
        return self


class DiscourseConfig(Section):
    enabled: bool = False
    url: str | None = None
    username: str | None = None
    appeal_category: int | None = None
    coordinators_group: str | None = None
    # A forum group whose members are staff; the forum's own admins and moderators are not
    # (the CHATONS forum is shared).
    staff_group: str | None = None
    # How often notifications are read on a quiet forum (stretched, if need be, so that a
    # quiet day spends under half of requests_per_day); a quarter of it during a conversation.
    poll_seconds: int = Field(default=60, ge=5)
    # The key's budgets, never exceeded: a user API key has 20 a minute and 2,880 a day.
    requests_per_minute: int = Field(default=20, ge=1, le=600)
    requests_per_day: int = Field(default=2880, ge=10)
    auth: Literal["api_key", "user_api_key"] = "api_key"
    # Forum accounts whose posts are never answered (other bots); the bot itself is always one.
    ignore_users: list[str] = ["system", "discobot"]
    # Every request's connect and read timeout; the pause before retrying a 5xx or network
    # error doubles from retry_base_seconds up to retry_max_seconds (4 tries in all).
    request_timeout_seconds: float = Field(default=15.0, gt=0, le=300)
    retry_base_seconds: float = Field(default=1.0, ge=0, le=60)
    retry_max_seconds: float = Field(default=30.0, ge=0, le=600)

    @model_validator(mode="after")
    def _needed_when_enabled(self) -> DiscourseConfig:
        if self.enabled:
            for key in ("url", "username"):
                if not getattr(self, key):
                    raise ValueError(f"discourse.{key} is required when discourse.enabled is true")
        return self


class WebConfig(Section):
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    public_url: str | None = None


class RemindersConfig(Section):
    first_response_hours: int = Field(default=48, ge=1)


class PrivacyConfig(Section):
    retention_months: int = Field(default=24, ge=1)


class MastodonConfig(Section):
    url: str | None = None


SANDBOX_URL = "https://api.bac-a-sable.api-engagement.beta.gouv.fr"
_RNA = re.compile(r"^W\d{9}$")
_SIREN = re.compile(r"^\d{9}$")


class OrganizationConfig(Section):
    """Who publishes the missions on API Engagement: shown beside each one."""

    name: str | None = None
    rna: str | None = None  # W and 9 digits (Répertoire national des associations)
    siren: str | None = None  # 9 digits
    url: str | None = None

    @field_validator("rna", "siren", mode="before")
    @classmethod
    def _no_spaces(cls, value: object) -> object:
        return "".join(str(value).split()).upper() if value is not None else None

    @model_validator(mode="after")
    def _well_formed(self) -> OrganizationConfig:
        if self.rna and not _RNA.match(self.rna):
            raise ValueError(f"rna {self.rna!r} is not W followed by 9 digits")
        if self.siren and not _SIREN.match(self.siren):
            raise ValueError(f"siren {self.siren!r} is not 9 digits")
        if self.url and not self.url.startswith(("https://", "http://")):
            raise ValueError(f"url {self.url!r} is not a web address (https://…)")
        return self


class ApiEngagementConfig(Section):
    enabled: bool = False
    url: str = SANDBOX_URL  # the sandbox; production is https://api.api-engagement.beta.gouv.fr
    organization: OrganizationConfig = OrganizationConfig()
    # How often the missions are reconciled; a mission changed by chat is sent sooner.
    interval_seconds: float = Field(default=900.0, ge=1, le=86400)
    # The API allows 600 requests a minute per key; the bot stays far below.
    requests_per_minute: int = Field(default=60, ge=1, le=600)
    request_timeout_seconds: float = Field(default=15.0, gt=0, le=300)
    # A 5xx or network error is tried again after retry_base_seconds, doubling (max_retries
    # tries more); a 429 is waited for when it asks no more than max_wait_seconds.
    retry_base_seconds: float = Field(default=2.0, ge=0, le=60)
    max_retries: int = Field(default=3, ge=0, le=10)
    max_wait_seconds: float = Field(default=120.0, ge=0, le=3600)

    @model_validator(mode="after")
    def _needed_when_enabled(self) -> ApiEngagementConfig:
        if not self.url.startswith(("https://", "http://")):
            raise ValueError(f"api_engagement.url {self.url!r} is not a web address")
        if self.enabled:
            if not self.organization.name:
                raise ValueError(
                    "api_engagement.organization.name is required when api_engagement.enabled"
                )
            if not (self.organization.rna or self.organization.siren):
                raise ValueError(
                    "api_engagement.organization needs its rna or its siren when "
                    "api_engagement.enabled"
                )
        return self


class Config(Section):
    language: Literal["fr", "en"] = "fr"
    database_url: str = "sqlite+aiosqlite:///var/tremplin.db"
    catalog: str | None = None
    staff: list[str] = []
    coordinators: list[str] = []
    matrix: MatrixConfig = MatrixConfig()
    discourse: DiscourseConfig = DiscourseConfig()
    web: WebConfig = WebConfig()
    reminders: RemindersConfig = RemindersConfig()
    privacy: PrivacyConfig = PrivacyConfig()
    mastodon: MastodonConfig = MastodonConfig()
    api_engagement: ApiEngagementConfig = ApiEngagementConfig()

    @field_validator("staff", "coordinators")
    @classmethod
    def _identities(cls, people: list[str]) -> list[str]:
        identities = []
        for person in people:
            identity = parse_identity(person)
            if identity is None:
                raise ValueError(
                    f"{person!r} is not an identity (@user:server, discourse:NAME, console:NAME)"
                )
            identities.append(str(identity))
        return identities


@dataclass(frozen=True)
class Secrets:
    """Read from the environment only, never from a file in the repository."""

    matrix_access_token: str | None
    matrix_password: str | None
    discourse_api_key: str | None
    discourse_webhook_secret: str | None
    mastodon_token: str | None
    api_engagement_key: str | None = None

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> Secrets:
        env = os.environ if environ is None else environ
        return cls(
            matrix_access_token=env.get("TREMPLIN_MATRIX_ACCESS_TOKEN") or None,
            matrix_password=env.get("TREMPLIN_MATRIX_PASSWORD") or None,
            discourse_api_key=env.get("TREMPLIN_DISCOURSE_API_KEY") or None,
            discourse_webhook_secret=env.get("TREMPLIN_DISCOURSE_WEBHOOK_SECRET") or None,
            mastodon_token=env.get("TREMPLIN_MASTODON_TOKEN") or None,
            api_engagement_key=env.get("TREMPLIN_API_ENGAGEMENT_KEY") or None,
        )

    def __repr__(self) -> str:  # never print a secret by accident
        present = [name for name, value in self.__dict__.items() if value]
        return f"Secrets(present={present})"


def _describe(error: ValidationError) -> str:
    problems = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"]) or "(top level)"
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "extra_forbidden":
            message = "unknown key (check the spelling)"
        problems.append(f"{where}: {message}")
    return "; ".join(problems)


def _resolve(base: Path, value: str) -> str:
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else (base / path).resolve())


def _resolve_database_url(base: Path, url: str) -> str:
    prefix = "sqlite+aiosqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
        return prefix + _resolve(base, url[len(prefix) :])
    return url


def config_path(explicit: str | None) -> Path | None:
    """The file to read: --config, else $TREMPLIN_CONFIG, else ./config.yaml if present."""
    named = explicit or os.environ.get("TREMPLIN_CONFIG")
    if named:
        return Path(named)
    default = Path(DEFAULT_CONFIG)
    return default if default.exists() else None


def load_config(path: Path | None, environ: dict[str, str] | None = None) -> Config:
    """Read and validate the configuration; relative paths are relative to the file."""
    env = os.environ if environ is None else environ
    data: Any = {}
    base = Path.cwd()
    if path is not None:
        try:
            text = path.read_text("utf-8")
        except OSError as error:
            raise ConfigError(f"{path}: cannot read the configuration ({error.strerror})") from None
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as error:
            raise ConfigError(f"{path}: not valid YAML: {error}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: the configuration must be a mapping of keys")
        base = path.resolve().parent
    if env.get("TREMPLIN_DATABASE_URL"):
        data["database_url"] = env["TREMPLIN_DATABASE_URL"]
    try:
        config = Config.model_validate(data)
    except ValidationError as error:
        raise ConfigError(f"{path or 'configuration'}: {_describe(error)}") from None
    config.database_url = _resolve_database_url(base, config.database_url)
    if config.catalog:
        config.catalog = _resolve(base, config.catalog)
    config.matrix.store_path = _resolve(base, config.matrix.store_path)
    return config
