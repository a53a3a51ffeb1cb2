"""The contract: what the bot sends is what API Engagement's OpenAPI document allows, field by
field and value by value, and the fake refuses whatever the document does not allow."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from openapi_schema_validator import OAS30Validator

from bot.board.snapshot import MissionView
from bot.connectors.api_engagement.client import ApiEngagementClient, ApiEngagementError
from bot.connectors.api_engagement.mapping import ACTIVITIES, activities_for, domain_for
from bot.connectors.api_engagement.payload import Publisher, changes, mission_fields
from commands.skills import Taxonomy
from storage.enums import Commitment, MissionStatus, Sensitivity
from storage.models import Mission
from tests.api_engagement.conftest import needs_the_document
from tests.conftest import EXAMPLE_CATALOGUE
from tests.fakes.api_engagement import (
    FakeApiEngagement,
    FakeMission,
    listed_values,
    load_document,
    moderate,
    request_body_schemas,
    strict_document,
)

TAXONOMY = Taxonomy.default()
PUBLISHER = Publisher(
    "https://benevoles.mla.example", "fr", "Maison des Lanceurs d'Alerte", "W751234567"
)


@pytest.fixture(scope="module")
def schemas() -> dict[str, Any]:
    """The strict request schemas, their references resolved against the document."""
    needs_the_document()
    document = strict_document("http://127.0.0.1")
    create, update = request_body_schemas(document)
    return {"create": create, "update": update, "document": document}


def validator(schema: dict[str, Any], document: dict[str, Any]) -> OAS30Validator:
    from referencing import Registry
    from referencing.jsonschema import DRAFT4

    registry = Registry().with_resource("", DRAFT4.create_resource(document))
    return OAS30Validator(schema, registry=registry)


def example_missions() -> list[Mission]:
    import yaml

    now = datetime(2026, 11, 24, 9, tzinfo=UTC)
    missions = []
    for number, entry in enumerate(yaml.safe_load(EXAMPLE_CATALOGUE.read_text())["missions"], 1):
        skills = [TAXONOMY.normalise(name)[0] for name in entry.get("skills", [])]
        missions.append(
            Mission(
                id=number,
                ref=entry.get("ref"),
                title=entry["title"],
                summary=entry.get("summary", ""),
                description=entry.get("description", ""),
                skills=skills,
                entry_door=entry.get("entry_door", False),
                sensitivity=Sensitivity(entry.get("sensitivity", "public")),
                commitment=Commitment(entry.get("commitment", "one-off")),
                effort=entry.get("effort", ""),
                status=MissionStatus.OPEN,
                created_at=now,
                updated_at=now,
            )
        )
    return missions


def test_the_document_is_read_as_its_own_tools_read_it() -> None:
    needs_the_document()
    create, _ = request_body_schemas(load_document())
    assert create["properties"]["remote"]["enum"] == ["no", "possible", "full", "local"]
    domains = listed_values(create["properties"]["domain"]["description"])
    assert len(domains) == 20 and {"numerique", "benevolat-competences"} <= set(domains)
    activities = listed_values(create["properties"]["activities"]["description"])
    assert {"informatique", "communication", "documentation-traduction"} <= set(activities)
    assert "Animation, Valorisation" in activities  # a value with a comma, kept whole


def test_everything_the_bot_sends_is_allowed_field_by_field(schemas: dict[str, Any]) -> None:
    create = validator(schemas["create"], schemas["document"])
    update = validator(schemas["update"], schemas["document"])
    for mission in example_missions():
        fields = mission_fields(MissionView.of(mission), PUBLISHER, TAXONOMY)
        problems = [e.message for e in create.iter_errors({"clientId": "x", **fields})]
        assert problems == [], mission.title
        assert [e.message for e in update.iter_errors(fields)] == []
        assert "&#" not in fields["description"]  # the moderation takes it for bad encoding
    emptied = changes({"title": "t"}, {"title": "t", "organizationUrl": "u", "tags": ["a"]})
    assert emptied == {"organizationUrl": "", "tags": []}
    assert [e.message for e in update.iter_errors(emptied)] == []


def test_every_skill_maps_to_values_the_document_lists(schemas: dict[str, Any]) -> None:
    properties = schemas["create"]["properties"]
    documented_activities = set(properties["activities"]["items"]["enum"])
    documented_domains = set(properties["domain"]["enum"])
    assert set(ACTIVITIES) <= documented_activities
    for tag in TAXONOMY.tags:
        activities = activities_for([tag])
        assert set(activities) <= documented_activities, tag
        assert domain_for(activities) in documented_domains, tag
    assert domain_for([]) in documented_domains


async def test_the_fake_refuses_what_the_document_does_not_allow(api: FakeApiEngagement) -> None:
    good: dict[str, Any] = {
        "clientId": "essai",
        "title": "Relire la charte",
        "description": "<p>Relire</p>",
        "applicationUrl": "https://benevoles.mla.example/missions/1",
    }
    refused = {
        "an unknown field": {**good, "coordinators": ["@coord:mla.example"]},
        "an unlisted domain": {**good, "domain": "tech"},
        "an unlisted activity": {**good, "activities": ["developpement"]},
        "an unknown remote": {**good, "remote": "sometimes"},
        "no title": {k: v for k, v in good.items() if k != "title"},
        "a wrong type": {**good, "places": "two"},
    }
    headers = {"x-api-key": api.key}
    async with aiohttp.ClientSession() as session:
        for why, body in refused.items():
            async with session.post(f"{api.url}/v2/mission", json=body, headers=headers) as sent:
                assert sent.status == 400, why
                assert (await sent.json())["code"] == "INVALID_BODY"
        assert len(api.refused_requests) == len(refused)
        # The document allows `local`; the API's own zod schema does not (a 400 all the same).
        async with session.post(
            f"{api.url}/v2/mission", json={**good, "remote": "local"}, headers=headers
        ) as sent:
            assert sent.status == 400
        async with session.put(
            f"{api.url}/v2/mission/essai", json={"clientId": "autre"}, headers=headers
        ) as sent:
            assert sent.status == 400  # clientId is immutable: not a field of an update
    assert api.missions == {}


async def test_the_client_meets_404s_401s_and_many_pages(api: FakeApiEngagement) -> None:
    client = ApiEngagementClient(api.url, api.key, requests_per_minute=600)
    try:
        assert await client.delete("inconnue") is False
        assert await client.my_mission("inconnue") is None
        with pytest.raises(ApiEngagementError) as unknown:
            await client.update("inconnue", {"title": "Un titre de deux mots"})
        assert unknown.value.status == 404 and not unknown.value.outcome_unknown
        now = datetime.now(UTC)
        for number in range(1, 1203):  # more than a page of the listing
            api.missions[f"m{number}"] = FakeMission(f"m{number}", f"{number:024x}", {}, now, now)
        listed = await client.my_missions()
        assert len(listed) == 1202 and [c.path for c in api.calls].count("/v0/mymission") == 2
    finally:
        await client.close()
    wrong = ApiEngagementClient(api.url, "not-the-key")
    try:
        with pytest.raises(ApiEngagementError) as refused:
            await wrong.my_missions()
        assert refused.value.bad_key and "not-the-key" not in repr(wrong)
    finally:
        await wrong.close()
    assert api.refused_requests == []


def test_the_fake_moderates_values_outside_the_documents_lists_as_getmoderation_does() -> None:
    good = {"title": "Relire un guide", "description": "Relire.", "applicationUrl": "https://x"}
    assert moderate({**good, "domain": "numerique"}) == ("ACCEPTED", "")
    assert moderate({**good, "domain": "informatique"}) == (
        "REFUSED",
        'Domaine non valide : "informatique"',
    )
    assert moderate({**good, "places": 0})[1].startswith("Nombre de places invalide")
