"""A fake API Engagement on 127.0.0.1 that holds every request and every response to the
official OpenAPI document (`../shared/api-engagement/openapi.yaml`), with openapi-core.

What the document leaves unsaid is modelled on API Engagement's own source
(github.com/betagouv/api-engagement), named beside each behaviour:
- `api/src/v2/mission/controller.ts`: POST answers 409 for a clientId already in use, PUT has
  PATCH semantics and answers 404 for an unknown or deleted clientId, DELETE is a soft delete,
  idempotent, 404 for an unknown clientId; bodies failing its zod schema answer 400 INVALID_BODY
  (its `remote` accepts only no, possible, full).
- `api/prisma/core/schema.core.prisma`, model Mission: `@@unique([clientId, publisherId])`, and
  a deleted mission keeps its row: its clientId can never be created again (the real server
  fails on the index; the document's answer for it is 409, which this fake gives).
- `api/src/jobs/import-missions/utils/moderation.ts`, `getModeration`: the automatic moderation,
  run here on the whole mission after each create and update, as the document says.
- `api/src/v0/mymission/controller.ts`: `GET /v0/mymission` lists the missions not deleted,
  newest first, `limit` (≤ 10,000) and `skip`; `GET /v0/mymission/{clientId}` finds a mission
  deleted or not; both carry JeVeuxAider's own moderation as
  `moderation_5f5931496c7ea514150a818f_status` / `_comment`.
- `api/src/middlewares/rate-limit.ts`, `publisherRateLimiter`: 600 requests a minute per key,
  then 429 `TOO_MANY_REQUESTS` (with `Retry-After`, as the document's TooManyRequests says);
  applied here to the v2 writes, the only endpoints the document says are rate limited (a
  newer controller.ts names a `defaultRateLimiter` whose limit the stored sources don't show).
- `api/src/middlewares/passport.ts`: the key is read from the `x-api-key` header; a wrong one
  is refused (401, in the document's JSON shape).
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import os
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web
from openapi_core import OpenAPI
from openapi_core.contrib.aiohttp import AIOHTTPOpenAPIWebRequest, AIOHTTPOpenAPIWebResponse
from openapi_core.validation.request.exceptions import SecurityValidationError

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = Path(
    os.environ.get("TREMPLIN_API_ENGAGEMENT_OPENAPI")
    or ROOT.parent / "shared" / "api-engagement" / "openapi.yaml"
)
JVA = "5f5931496c7ea514150a818f"  # JeVeuxAider.gouv.fr's publisher id, in the document too
PUBLISHER = "6f1c0ffee0000000000000aa"
MISSION_PATHS = ("/v2/mission", "/v2/mission/{clientId}")
# The request's JSON, read once by the middleware.
BODY: web.RequestKey[dict[str, Any]] = web.RequestKey("body", dict)
MSG_TOO_MANY = "Too many requests, please try again later."
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Json = dict[str, Any]


class Yaml12Loader(yaml.SafeLoader):
    """YAML as the document's own tools read it (YAML 1.2): `no` is a word, not false.

    PyYAML follows YAML 1.1, where `enum: [no, possible, full]` would make `remote: "no"`
    invalid; only true and false are booleans in YAML 1.2's core schema.
    """


Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _first in "tTfF":
    Yaml12Loader.add_implicit_resolver(
        "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), [_first]
    )


@cache
def load_document() -> Json:
    """The official document, as published (read once)."""
    document: Json = yaml.load(DOCUMENT.read_text("utf-8"), Loader=Yaml12Loader)
    return document


def listed_values(description: str) -> list[str]:
    """The values a description lists after « Valeurs possibles », each between backquotes."""
    _, _, listed = description.partition("Valeurs possibles")
    listed = listed.split("\n\n")[0]
    return re.findall(r"`([^`]+)`", listed)


def request_body_schemas(document: Json) -> list[Json]:
    """The bodies the bot may send: creating and updating a mission."""
    paths = document["paths"]
    return [
        paths[path][method]["requestBody"]["content"]["application/json"]["schema"]
        for path, method in (("/v2/mission", "post"), ("/v2/mission/{clientId}", "put"))
    ]


def strict_document(server_url: str) -> Json:
    """The document, read to the letter, for checking what the bot sends.

    Three things only are made explicit: a mission body may carry no field the document does
    not describe (`additionalProperties: false`); `domain` and `activities` take only the
    values their descriptions list; and the server is this fake.
    """
    document = copy.deepcopy(load_document())
    document["servers"] = [{"url": server_url}]
    for schema in request_body_schemas(document):
        schema["additionalProperties"] = False
        properties = schema["properties"]
        properties["domain"]["enum"] = listed_values(properties["domain"]["description"])
        activities = properties["activities"]
        activities["items"]["enum"] = listed_values(activities["description"])
    return document


@cache
def contract(server_url: str = "http://127.0.0.1") -> OpenAPI:
    return OpenAPI.from_dict(strict_document(server_url))


def iso(moment: datetime | None) -> str | None:
    return (
        moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        if (moment is not None)
        else None
    )


# The zod schema's stricter values (api/src/v2/mission/controller.ts, missionBaseFields).
ZOD_REMOTE = ("no", "possible", "full")
ZOD_TYPES = ("benevolat", "volontariat_service_civique", "volontariat_sapeurs_pompiers")
# The domains the document lists (MissionV2.domain). api/src/constants/domains.ts, as stored,
# lists the same but for `communication` and `numerique`: the two sources disagree, and the
# fake follows the document the project validates against.
DOMAINS = (
    "animaux", "autre", "batiment-industrie-logistique", "benevolat-competences",
    "communication", "culture-loisirs", "education", "emploi", "environnement",
    "gestion-finance-droit", "humanitaire", "memoire-et-citoyennete", "numerique",
    "prevention-protection", "recherche", "sante", "service-public-defense-securite", "sport",
    "solidarite-insertion", "vivre-ensemble",
)  # fmt: skip
COMPENSATION_UNITS = ("hour", "day", "month", "year")  # api/src/constants/compensation.ts
COMPENSATION_TYPES = ("gross", "net")
ORGANIZATION_FIELDS = (
    "organizationClientId",
    "organizationDescription",
    "organizationUrl",
    "organizationType",
    "organizationLogo",
    "organizationRNA",
    "organizationSiren",
    "organizationSiret",
    "organizationFullAddress",
    "organizationPostCode",
    "organizationCity",
    "organizationDepartment",
    "organizationDepartmentCode",
    "organizationDepartmentName",
    "organizationStatusJuridique",
    "organizationBeneficiaries",
    "organizationActions",
    "organizationReseaux",
)  # orgFields but organizationName (`orgNameRequiredRefinement`)


def zod_problem(body: Json) -> str | None:
    """What the real server's zod schema refuses that the document allows."""
    if "remote" in body and body["remote"] not in ZOD_REMOTE:
        return "remote: Invalid enum value"
    if "type" in body and body["type"] not in ZOD_TYPES:
        return "type: Invalid enum value"
    if any(body.get(name) is not None for name in ORGANIZATION_FIELDS) and not body.get(
        "organizationName"
    ):
        return "organizationName is required when any organization field is provided"
    return None


def moderate(fields: Json) -> tuple[str, str]:
    """`getModeration` of api/src/jobs/import-missions/utils/moderation.ts, in its order (the
    clientId and country checks left out: the route requires the one, the v2 schema has no
    top-level country)."""
    title = fields.get("title") or ""
    description = fields.get("description") or ""
    comment = ""
    if not title.strip():
        comment = "Titre manquant"
    elif "&#" in title:
        comment = "Problème d'encodage dans le titre"
    elif len(title.split(" ")) == 1:
        comment = "Le titre est trop court (1 seul mot)"
    elif not description:
        comment = "Description manquante"
    elif "&#" in description:
        comment = "Problème d'encodage dans la description"
    elif len(description) > 20000:
        comment = "La description est trop longue (plus de 20000 caractères)"
    elif not fields.get("applicationUrl"):
        comment = "URL de candidature manquant"
    elif fields.get("remote") and fields["remote"] not in ZOD_REMOTE:
        comment = "Valeur remote non valide (no, possible ou full)"
    elif isinstance(fields.get("places"), int) and fields["places"] <= 0:
        comment = "Nombre de places invalide (doit être supérieur à 0)"
    elif fields.get("domain") and fields["domain"] not in DOMAINS:
        comment = f'Domaine non valide : "{fields["domain"]}"'
    elif "&#" in (fields.get("organizationName") or ""):
        comment = "Problème d'encodage dans le nom de l'organisation"
    elif (
        isinstance(fields.get("compensationAmount"), int | float)
        and fields["compensationAmount"] < 0
    ):
        comment = "Montant de la compensation invalide (nombre positif attendu)"
    elif fields.get("compensationUnit") and fields["compensationUnit"] not in COMPENSATION_UNITS:
        comment = f"Unité de compensation invalide ({', '.join(COMPENSATION_UNITS)})"
    elif fields.get("compensationType") and fields["compensationType"] not in COMPENSATION_TYPES:
        comment = f"Type de compensation invalide ({', '.join(COMPENSATION_TYPES)})"
    return ("REFUSED", comment) if comment else ("ACCEPTED", "")


@dataclass
class FakeMission:
    """One mission as API Engagement keeps it."""

    client_id: str
    id: str
    fields: Json
    created_at: datetime
    updated_at: datetime
    status_code: str = "ACCEPTED"
    status_comment: str = ""
    deleted_at: datetime | None = None
    partner_status: str | None = None  # JeVeuxAider's own moderation
    partner_comment: str | None = None

    def moderate(self) -> None:
        self.status_code, self.status_comment = moderate(self.fields)

    def v2(self) -> Json:
        """The document's MissionV2 (what POST and PUT answer)."""
        return {
            "id": self.id,
            "clientId": self.client_id,
            "publisherId": PUBLISHER,
            "statusCode": self.status_code,
            "statusComment": self.status_comment,
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
            "deletedAt": iso(self.deleted_at),
            "tags": [],
            "activities": [],
            **self.fields,
        }

    def legacy(self) -> Json:
        """The document's MissionLegacy (what the v0 reads answer)."""
        data = {key: value for key, value in self.v2().items() if key not in ("openToMinors",)}
        data.update(
            _id=self.id,
            publisherName="Tremplin (tests)",
            activity=", ".join(self.fields.get("activities") or []) or None,
            openToMinors=None,
        )
        data[f"moderation_{JVA}_status"] = self.partner_status
        data[f"moderation_{JVA}_comment"] = self.partner_comment
        return data


@dataclass(frozen=True)
class Call:
    """A request the fake answered: method, path, the clientId concerned, body and status."""

    method: str
    path: str
    client_id: str | None
    body: Json | None
    status: int


@dataclass
class FakeApiEngagement:
    """API Engagement for one publisher (one key), on a free port of 127.0.0.1."""

    key: str = "tremplin-test-key"
    per_minute: int = 600
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    missions: dict[str, FakeMission] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    refused_requests: list[str] = field(default_factory=list)  # requests breaking the document
    bad_responses: list[str] = field(default_factory=list)  # this fake breaking it: a bug here
    url: str = ""
    _throttled: int = 0
    _retry_after: int = 1
    _failing: int = 0
    _fail_status: int = 502
    _failing_method: str | None = None
    _losing: int = 0
    _losing_method: str | None = None
    _recent: deque[float] = field(default_factory=deque)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None

    # --- what a test can make happen -----------------------------------------------------

    def throttle(self, count: int, retry_after: int = 1) -> None:
        """The next `count` requests are refused with 429 (Retry-After: `retry_after`)."""
        self._throttled, self._retry_after = count, retry_after

    def fail(self, count: int, status: int = 502, method: str | None = None) -> None:
        """The next `count` requests (of `method`) meet a failing proxy in front of the API."""
        self._failing, self._fail_status, self._failing_method = count, status, method

    def lose_responses(self, count: int, method: str | None = None) -> None:
        """The next `count` requests (of `method`) are carried out, but their answer is lost."""
        self._losing, self._losing_method = count, method

    def moderate_on_partner(self, client_id: str, status: str, comment: str | None) -> None:
        """JeVeuxAider.gouv.fr moderates the mission on its side."""
        mission = self.missions[client_id]
        mission.partner_status, mission.partner_comment = status, comment

    def operations(self, client_id: str | None = None) -> list[tuple[str, str | None]]:
        """The writes answered with success, in order: ("POST", clientId), ("PUT", …)…"""
        return [
            (call.method, call.client_id)
            for call in self.calls
            if call.method in ("POST", "PUT", "DELETE")
            and call.status < 300
            and (client_id is None or call.client_id == client_id)
        ]

    def live(self) -> dict[str, FakeMission]:
        return {cid: m for cid, m in self.missions.items() if m.deleted_at is None}

    # --- the server ----------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(middlewares=[self._checked])
        app.router.add_post("/v2/mission", self.create)
        app.router.add_put("/v2/mission/{clientId}", self.update)
        app.router.add_delete("/v2/mission/{clientId}", self.delete)
        app.router.add_get("/v0/mymission", self.my_missions)
        app.router.add_get("/v0/mymission/{clientId}", self.my_mission)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @web.middleware
    async def _checked(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Every request and every response held to the document; the fault injections."""
        raw = await request.read()
        client_id = request.match_info.get("clientId")
        body = _json_or_none(raw)
        if self._failing > 0 and self._failing_method in (None, request.method):
            # A proxy's answer, not the API's: outside the document, so not checked.
            self._failing -= 1
            self._log(request, client_id, body, self._fail_status)
            return web.Response(status=self._fail_status, text="Bad Gateway")
        checked = AIOHTTPOpenAPIWebRequest(request, body=raw or None)
        try:
            contract().validate_request(checked)
        except SecurityValidationError:
            response: web.Response = _error(401, "UNAUTHORIZED", "Unauthorized")
        except Exception as problem:
            self.refused_requests.append(f"{request.method} {request.path}: {_reason(problem)}")
            response = _error(400, "INVALID_BODY", _reason(problem))
        else:
            response = await self._answer(request, handler, body)
        if not isinstance(body, dict) and body is not None:
            body = None
        self._log(request, client_id, body, response.status)
        try:
            contract().validate_response(checked, AIOHTTPOpenAPIWebResponse(response))
        except Exception as problem:
            self.bad_responses.append(
                f"{request.method} {request.path} → {response.status}: {_reason(problem)}"
            )
        if self._losing > 0 and self._losing_method in (None, request.method):
            self._losing -= 1
            assert request.transport is not None
            request.transport.abort()  # done, but the caller never hears of it
            raise asyncio.CancelledError
        return response

    async def _answer(self, request: web.Request, handler: Handler, body: Any) -> web.Response:
        if request.headers.get("x-api-key") != self.key:
            return _error(401, "UNAUTHORIZED", "Unauthorized")
        # Only the v2 writes are rate limited in the document (and answer 429 there).
        limited = request.path.startswith("/v2/")
        if limited and (self._throttled > 0 or self._over_limit()):
            self._throttled = max(0, self._throttled - 1)
            response = _error(429, "TOO_MANY_REQUESTS", MSG_TOO_MANY)
            response.headers["Retry-After"] = str(self._retry_after)
            response.headers["X-RateLimit-Limit"] = str(self.per_minute)
            response.headers["X-RateLimit-Remaining"] = "0"
            return response
        request[BODY] = body if isinstance(body, dict) else {}
        answered = await handler(request)
        assert isinstance(answered, web.Response)
        return answered

    def _over_limit(self) -> bool:
        now = time.monotonic()
        while self._recent and now - self._recent[0] >= 60:
            self._recent.popleft()
        if len(self._recent) >= self.per_minute:
            return True
        self._recent.append(now)
        return False

    def _log(self, request: web.Request, client_id: str | None, body: Any, status: int) -> None:
        if request.method == "POST" and isinstance(body, dict):
            client_id = body.get("clientId")
        self.calls.append(Call(request.method, request.path, client_id, body, status))

    # --- v2: writing missions ---------------------------------------------------------------

    async def create(self, request: web.Request) -> web.Response:
        body: Json = request[BODY].copy()
        problem = zod_problem(body)
        if problem:
            return _error(400, "INVALID_BODY", problem)
        client_id = str(body.pop("clientId"))
        if client_id in self.missions:  # live: 409; deleted: the unique index (see above)
            return _error(
                409,
                "RESSOURCE_ALREADY_EXIST",
                "A mission with this clientId already exists for this publisher",
            )
        now = self.clock()
        mission = FakeMission(client_id, f"{next(self._ids):024x}", body, now, now)
        mission.moderate()
        self.missions[client_id] = mission
        return web.json_response({"ok": True, "data": mission.v2()}, status=201)

    async def update(self, request: web.Request) -> web.Response:
        body: Json = request[BODY].copy()
        problem = zod_problem(body)
        if problem:
            return _error(400, "INVALID_BODY", problem)
        mission = self.missions.get(request.match_info["clientId"])
        if mission is None or mission.deleted_at is not None:
            return _error(404, "NOT_FOUND")
        mission.fields.update(body)  # PATCH semantics: only what is given changes
        mission.updated_at = self.clock()
        mission.moderate()  # on the whole resulting mission
        return web.json_response({"ok": True, "data": mission.v2()})

    async def delete(self, request: web.Request) -> web.Response:
        mission = self.missions.get(request.match_info["clientId"])
        if mission is None:
            return _error(404, "NOT_FOUND")
        if mission.deleted_at is None:
            mission.deleted_at = self.clock()
        data = {"clientId": mission.client_id, "deletedAt": iso(mission.deleted_at)}
        return web.json_response({"ok": True, "data": data})

    # --- v0: reading them back ----------------------------------------------------------------

    async def my_missions(self, request: web.Request) -> web.Response:
        limit = int(request.query.get("limit", "50"))
        skip = int(request.query.get("skip", "0"))
        live = sorted(self.live().values(), key=lambda m: m.created_at, reverse=True)
        page = [m.legacy() for m in live[skip : skip + limit]]
        return web.json_response(
            {"ok": True, "total": len(live), "limit": limit, "skip": skip, "data": page}
        )

    async def my_mission(self, request: web.Request) -> web.Response:
        mission = self.missions.get(request.match_info["clientId"])
        if mission is None:
            return _error(404, "NOT_FOUND")
        stats: Json = {"clicks": [], "applications": []}
        return web.json_response({"ok": True, "data": {**mission.legacy(), "stats": stats}})


def _error(status: int, code: str, message: str | None = None) -> web.Response:
    """`{ok: false, code, message}`; controller.ts's 404s carry no message."""
    body: Json = {"ok": False, "code": code}
    if message is not None:
        body["message"] = message
    return web.json_response(body, status=status)


def _json_or_none(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _reason(problem: Exception) -> str:
    """The validation failure in a line, with the schema errors openapi-core chains to it."""
    details = [str(problem)]
    cause = problem.__cause__
    for error in getattr(cause, "schema_errors", ()) or ():
        details.append(error.message)
    return "; ".join(details)[:600]
