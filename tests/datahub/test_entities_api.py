"""The context information API through HTTP (NGSI-LD 6.4 to 6.7), as member A's agent."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mutualis.datahub.models import AttributeInstance, Entity
from mutualis.datahub.ngsild.context import CORE_CONTEXT_URL
from tests.datahub.conftest import Hub

pytestmark = pytest.mark.django_db

ENV_CONTEXT = "https://smart-data-models.github.io/dataModel.Environment/context.jsonld"
ENV_LINK = f'<{ENV_CONTEXT}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'
AQ = "https://smartdatamodels.org/dataModel.Environment/AirQualityObserved"
NO2 = "https://smartdatamodels.org/dataModel.Environment/no2"
DEFAULT = "https://uri.etsi.org/ngsi-ld/default-context/"
ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"


def station(
    number: int, *, no2: float = 20.0, lon: float = 2.13, lat: float = 48.80, **extra: Any
) -> dict[str, Any]:
    return {
        "id": f"urn:ngsi-ld:AirQualityObserved:{number}",
        "type": "AirQualityObserved",
        "no2": {"type": "Property", "value": no2, "unitCode": "GQ", "observedAt": "2026-11-23T10:00:00Z"},
        "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [lon, lat]}},
        **extra,
    }


def ld(entity: dict[str, Any]) -> dict[str, Any]:
    return {**entity, "@context": [ENV_CONTEXT, CORE_CONTEXT_URL]}


@pytest.fixture
def alice(hub: Hub, ngsi):  # type: ignore[no-untyped-def]
    return ngsi(hub.alice_rw)


def create(client, entity: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    response = client.post("entities", ld(entity), content_type="application/ld+json")
    assert response.status_code == 201, response.content


def problem(response, status: int, error_type: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert body["type"] == ERRORS + error_type
    assert body["status"] == status
    assert body["detail"]
    return body


# ---------------------------------------------------------------- create / retrieve


def test_create_answers_201_with_location_and_stores_expanded(alice, hub: Hub) -> None:  # type: ignore[no-untyped-def]
    """NGSI-LD 6.4.3.1: 201 Created, Location of the new entity."""
    response = alice.post("entities", ld(station(1)), content_type="application/ld+json")
    assert response.status_code == 201
    assert response["Location"] == "/ngsi-ld/v1/entities/urn%3Angsi-ld%3AAirQualityObserved%3A1"
    row = Entity.objects.get(tenant=hub.tenant_a, entity_id="urn:ngsi-ld:AirQualityObserved:1")
    assert row.type == AQ
    assert NO2 in row.attributes
    assert (row.geo_min_x, row.geo_min_y) == (2.13, 48.80)
    # Every instance written goes to the history (the temporal store).
    assert AttributeInstance.objects.filter(entity=row).count() == 2


def test_create_twice_is_already_exists(alice) -> None:  # type: ignore[no-untyped-def]
    """NGSI-LD 5.6.1: the id is taken → 409 AlreadyExists."""
    create(alice, station(1))
    response = alice.post("entities", ld(station(1)), content_type="application/ld+json")
    problem(response, 409, "AlreadyExists")


def test_retrieve_with_link_header_compacts_with_that_context(alice) -> None:  # type: ignore[no-untyped-def]
    """NGSI-LD 6.5.3.1 and 6.3.6: application/json answers carry the @context in a Link header."""
    create(alice, station(1))
    response = alice.get("entities/urn:ngsi-ld:AirQualityObserved:1", headers={"Link": ENV_LINK})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert ENV_CONTEXT in response["Link"]
    body = response.json()
    assert body["type"] == "AirQualityObserved"
    assert body["no2"]["value"] == 20.0
    assert body["no2"]["unitCode"] == "GQ"


def test_retrieve_without_context_shows_full_iris(alice) -> None:  # type: ignore[no-untyped-def]
    """Without a Link header the core context applies: the model's terms stay IRIs."""
    create(alice, station(1))
    body = alice.get("entities/urn:ngsi-ld:AirQualityObserved:1").json()
    assert body["type"] == AQ
    assert NO2 in body


def test_retrieve_as_ld_json_puts_context_in_body(alice) -> None:  # type: ignore[no-untyped-def]
    """NGSI-LD 6.3.6: application/ld+json answers carry "@context" in the body, no Link."""
    create(alice, station(1))
    response = alice.get(
        "entities/urn:ngsi-ld:AirQualityObserved:1",
        headers={"Link": ENV_LINK, "Accept": "application/ld+json"},
    )
    assert response["Content-Type"] == "application/ld+json"
    assert "Link" not in response
    body = response.json()
    assert ENV_CONTEXT in json.dumps(body["@context"])
    assert body["type"] == "AirQualityObserved"


def test_retrieve_key_values_and_concise(alice) -> None:  # type: ignore[no-untyped-def]
    """NGSI-LD 4.5.3 (keyValues, options or format) and 4.5.4 (concise)."""
    create(alice, station(1, no2=31.0))
    path = "entities/urn:ngsi-ld:AirQualityObserved:1"
    assert alice.get(path, headers={"Link": ENV_LINK}, options="keyValues").json()["no2"] == 31.0
    assert alice.get(path, headers={"Link": ENV_LINK}, format="simplified").json()["no2"] == 31.0
    concise = alice.get(path, headers={"Link": ENV_LINK}, options="concise").json()
    assert concise["no2"]["value"] == 31.0
    assert "type" not in concise["no2"]


def test_retrieve_sys_attrs_pick_and_attrs(alice) -> None:  # type: ignore[no-untyped-def]
    """NGSI-LD 6.3.7 sysAttrs, 4.21 pick, 6.5.3.1 attrs."""
    create(alice, station(1, name={"type": "Property", "value": "Versailles centre"}))
    path = "entities/urn:ngsi-ld:AirQualityObserved:1"
    with_sys = alice.get(path, headers={"Link": ENV_LINK}, options="sysAttrs").json()
    assert with_sys["createdAt"].endswith("Z")
    assert "modifiedAt" in with_sys["no2"]
    picked = alice.get(path, headers={"Link": ENV_LINK}, pick="id,no2").json()
    assert set(picked) == {"id", "no2"}
    only = alice.get(path, headers={"Link": ENV_LINK}, attrs="name").json()
    assert "name" in only
    assert "no2" not in only


def test_retrieve_as_geojson(alice) -> None:  # type: ignore[no-untyped-def]
    """NGSI-LD 6.3.15: application/geo+json answers a Feature."""
    create(alice, station(1))
    response = alice.get(
        "entities/urn:ngsi-ld:AirQualityObserved:1", headers={"Accept": "application/geo+json"}
    )
    assert response["Content-Type"] == "application/geo+json"
    feature = response.json()
    assert feature["type"] == "Feature"
    assert feature["geometry"] == {"type": "Point", "coordinates": [2.13, 48.80]}


def test_retrieve_unknown_entity_is_404(alice) -> None:  # type: ignore[no-untyped-def]
    """NGSI-LD 6.5.3.1: ResourceNotFound."""
    problem(alice.get("entities/urn:ngsi-ld:AirQualityObserved:404"), 404, "ResourceNotFound")


# ---------------------------------------------------------------- query


def test_query_by_type_with_count_and_pagination(alice) -> None:  # type: ignore[no-untyped-def]
    """NGSI-LD 6.4.3.2 with limit/offset (5.5.9) and NGSILD-Results-Count (6.3.13)."""
    for number in range(1, 6):
        create(alice, station(number))
    create(alice, {"id": "urn:ngsi-ld:Other:1", "type": "Other"})
    response = alice.get(
        "entities", headers={"Link": ENV_LINK}, type="AirQualityObserved", limit=2, offset=2, count="true"
    )
    assert response.status_code == 200
    assert response["NGSILD-Results-Count"] == "5"
    assert [e["id"] for e in response.json()] == [
        "urn:ngsi-ld:AirQualityObserved:3",
        "urn:ngsi-ld:AirQualityObserved:4",
    ]
    only_count = alice.get(
        "entities", headers={"Link": ENV_LINK}, type="AirQualityObserved", limit=0, count="true"
    )
    assert only_count.json() == []
    assert only_count["NGSILD-Results-Count"] == "5"


def test_query_type_expression_and_ids_and_id_pattern(alice) -> None:  # type: ignore[no-untyped-def]
    """NGSI-LD 4.17 type expressions (`,` either, `;` both), id list, idPattern."""
    create(alice, station(1))
    create(alice, {"id": "urn:ngsi-ld:Other:1", "type": ["Other", "AirQualityObserved"]})
    create(alice, {"id": "urn:ngsi-ld:Third:1", "type": "Third"})
    ids = lambda response: [e["id"] for e in response.json()]  # noqa: E731
    link = {"Link": ENV_LINK}
    assert ids(alice.get("entities", headers=link, type="AirQualityObserved")) == [
        "urn:ngsi-ld:AirQualityObserved:1",
        "urn:ngsi-ld:Other:1",
    ]
    assert ids(alice.get("entities", headers=link, type="Other;AirQualityObserved")) == [
        "urn:ngsi-ld:Other:1"
    ]
    assert ids(alice.get("entities", headers=link, type="Third,Other")) == [
        "urn:ngsi-ld:Other:1",
        "urn:ngsi-ld:Third:1",
    ]
    assert ids(alice.get("entities", id="urn:ngsi-ld:Third:1,urn:ngsi-ld:Other:1")) == [
        "urn:ngsi-ld:Other:1",
        "urn:ngsi-ld:Third:1",
    ]
    assert ids(alice.get("entities", idPattern="^urn:ngsi-ld:T")) == ["urn:ngsi-ld:Third:1"]


def test_query_q_and_attrs_and_key_values(alice) -> None:  # type: ignore[no-untyped-def]
    """NGSI-LD 4.9 q through HTTP; an entity matches attrs when it has one of them."""
    create(alice, station(1, no2=10.0))
    create(alice, station(2, no2=50.0))
    create(alice, {"id": "urn:ngsi-ld:Other:1", "type": "Other", "name": "no no2 here"})
    link = {"Link": ENV_LINK}
    high = alice.get(
        "entities", headers=link, type="AirQualityObserved", q="no2>30", options="keyValues"
    ).json()
    assert high == [
        {
            "id": "urn:ngsi-ld:AirQualityObserved:2",
            "type": "AirQualityObserved",
            "no2": 50.0,
            "location": {"type": "Point", "coordinates": [2.13, 48.8]},
        }
    ]
    with_no2 = alice.get("entities", headers=link, attrs="no2").json()
    assert [e["id"] for e in with_no2] == [
        "urn:ngsi-ld:AirQualityObserved:1",
        "urn:ngsi-ld:AirQualityObserved:2",
    ]
    assert "location" not in with_no2[0]


def test_query_geo_near_and_within(alice) -> None:  # type: ignore[no-untyped-def]
    """NGSI-LD 4.10 geo-queries through HTTP."""
    create(alice, station(1, lon=2.1301, lat=48.8049))  # Versailles
    create(alice, station(2, lon=2.2069, lat=48.8924))  # Nanterre, ~10 km away
    near = alice.get(
        "entities",
        type=AQ,
        georel="near;maxDistance==2000",
        geometry="Point",
        coordinates="[2.1300,48.8050]",
    )
    assert [e["id"] for e in near.json()] == ["urn:ngsi-ld:AirQualityObserved:1"]
    within = alice.get(
        "entities",
        type=AQ,
        georel="within",
        geometry="Polygon",
        coordinates="[[[2.18,48.87],[2.23,48.87],[2.23,48.91],[2.18,48.91],[2.18,48.87]]]",
    )
    assert [e["id"] for e in within.json()] == ["urn:ngsi-ld:AirQualityObserved:2"]


def test_query_as_geojson_feature_collection(alice) -> None:  # type: ignore[no-untyped-def]
    """NGSI-LD 6.3.15: a query answered as a FeatureCollection."""
    create(alice, station(1))
    response = alice.get("entities", type=AQ, headers={"Accept": "application/geo+json"})
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    assert collection["features"][0]["id"] == "urn:ngsi-ld:AirQualityObserved:1"


def test_query_limit_beyond_maximum(alice, settings) -> None:  # type: ignore[no-untyped-def]
    """NGSI-LD 5.5.9: a limit beyond the broker's maximum is refused (TooManyResults)."""
    settings.DATAHUB_MAX_LIMIT = 50
    body = problem(alice.get("entities", type=AQ, limit=51), 403, "TooManyResults")
    assert "50" in body["detail"]
    problem(alice.get("entities", type=AQ, limit=0), 400, "BadRequestData")


# ---------------------------------------------------------------- replace / merge / delete


def test_replace_entity_keeps_created_at(alice, hub: Hub) -> None:  # type: ignore[no-untyped-def]
    """NGSI-LD 6.5.3.3 PUT: all attributes replaced."""
    create(alice, station(1))
    created = Entity.objects.get(entity_id="urn:ngsi-ld:AirQualityObserved:1").created_at
    response = alice.put(
        "entities/urn:ngsi-ld:AirQualityObserved:1",
        {"type": "AirQualityObserved", "pm10": {"type": "Property", "value": 12}},
        headers={"Link": ENV_LINK},
    )
    assert response.status_code == 204
    row = Entity.objects.get(entity_id="urn:ngsi-ld:AirQualityObserved:1")
    assert set(row.attributes) == {"https://smartdatamodels.org/dataModel.Environment/pm10"}
    assert row.created_at == created
    assert row.geo_min_x is None


def test_merge_patch_updates_and_deletes_with_null(alice) -> None:  # type: ignore[no-untyped-def]
    """NGSI-LD 6.5.3.4 / 5.6.17: merge patch; "urn:ngsi-ld:null" deletes an attribute."""
    create(alice, station(1, name={"type": "Property", "value": "old"}))
    response = alice.patch(
        "entities/urn:ngsi-ld:AirQualityObserved:1",
        {"no2": {"value": 44.0}, "name": "urn:ngsi-ld:null"},
        content_type="application/merge-patch+json",
        headers={"Link": ENV_LINK},
    )
    assert response.status_code == 204, response.content
    body = alice.get("entities/urn:ngsi-ld:AirQualityObserved:1", headers={"Link": ENV_LINK}).json()
    assert body["no2"]["value"] == 44.0
    assert body["no2"]["unitCode"] == "GQ"  # merged, not replaced
    assert "name" not in body


def test_delete_entity_and_its_history(alice) -> None:  # type: ignore[no-untyped-def]
    """NGSI-LD 6.5.3.2: 204, then 404."""
    create(alice, station(1))
    row = Entity.objects.get(entity_id="urn:ngsi-ld:AirQualityObserved:1")
    assert alice.delete("entities/urn:ngsi-ld:AirQualityObserved:1").status_code == 204
    assert not AttributeInstance.objects.filter(entity_id=row.pk).exists()
    problem(alice.delete("entities/urn:ngsi-ld:AirQualityObserved:1"), 404, "ResourceNotFound")


def test_entity_id_with_slashes_is_addressable_url_encoded(alice) -> None:  # type: ignore[no-untyped-def]
    """Entity ids are URIs: one holding slashes is sent URL-encoded in the path."""
    create(alice, {"id": "https://example.org/sensors/7", "type": "Sensor", "level": 3})
    response = alice.get("entities/https%3A%2F%2Fexample.org%2Fsensors%2F7")
    assert response.status_code == 200
    assert response.json()["id"] == "https://example.org/sensors/7"
    patched = alice.patch("entities/https%3A%2F%2Fexample.org%2Fsensors%2F7/attrs/level", {"value": 4})
    assert patched.status_code == 204


# ---------------------------------------------------------------- attributes


def test_append_no_overwrite_answers_207(alice) -> None:  # type: ignore[no-untyped-def]
    """NGSI-LD 6.6.3.1: options=noOverwrite keeps existing attributes, reported in notUpdated."""
    create(alice, station(1, no2=20.0))
    response = alice.post(
        "entities/urn:ngsi-ld:AirQualityObserved:1/attrs",
        {"no2": {"type": "Property", "value": 99.0}, "pm10": {"type": "Property", "value": 8}},
        headers={"Link": ENV_LINK},
        options="noOverwrite",
    )
    assert response.status_code == 207
    body = response.json()
    assert body["updated"] == ["pm10"]
    assert [item["attributeName"] for item in body["notUpdated"]] == ["no2"]
    assert body["notUpdated"][0]["reason"]
    current = alice.get("entities/urn:ngsi-ld:AirQualityObserved:1", headers={"Link": ENV_LINK}).json()
    assert current["no2"]["value"] == 20.0


def test_append_overwrites_by_default(alice) -> None:  # type: ignore[no-untyped-def]
    """NGSI-LD 6.6.3.1: 204 when every attribute was appended."""
    create(alice, station(1))
    response = alice.post(
        "entities/urn:ngsi-ld:AirQualityObserved:1/attrs",
        {"no2": {"type": "Property", "value": 21.0, "observedAt": "2026-11-23T11:00:00Z"}},
        headers={"Link": ENV_LINK},
    )
    assert response.status_code == 204
    row = Entity.objects.get(entity_id="urn:ngsi-ld:AirQualityObserved:1")
    assert AttributeInstance.objects.filter(entity=row, number__isnull=False).count() == 2


def test_update_attributes_reports_missing_ones(alice) -> None:  # type: ignore[no-untyped-def]
    """NGSI-LD 6.6.3.2: only existing attributes are updated; others in notUpdated (207)."""
    create(alice, station(1))
    response = alice.patch(
        "entities/urn:ngsi-ld:AirQualityObserved:1/attrs",
        {"no2": {"type": "Property", "value": 5.0}, "pm10": {"type": "Property", "value": 3}},
        headers={"Link": ENV_LINK},
    )
    assert response.status_code == 207
    assert response.json()["updated"] == ["no2"]
    assert response.json()["notUpdated"][0]["attributeName"] == "pm10"


def test_partial_attribute_update_and_replace(alice) -> None:  # type: ignore[no-untyped-def]
    """NGSI-LD 6.7.3.1 PATCH (partial) and 6.7.3.3 PUT (replace) of one attribute."""
    create(alice, station(1))
    path = "entities/urn:ngsi-ld:AirQualityObserved:1/attrs/no2"
    assert alice.patch(path, {"value": 33.0}, headers={"Link": ENV_LINK}).status_code == 204
    body = alice.get("entities/urn:ngsi-ld:AirQualityObserved:1", headers={"Link": ENV_LINK}).json()
    assert body["no2"]["value"] == 33.0
    assert body["no2"]["unitCode"] == "GQ"
    assert alice.put(path, {"type": "Property", "value": 1.0}, headers={"Link": ENV_LINK}).status_code == 204
    body = alice.get("entities/urn:ngsi-ld:AirQualityObserved:1", headers={"Link": ENV_LINK}).json()
    assert body["no2"] == {"type": "Property", "value": 1.0}
    missing = alice.patch(
        "entities/urn:ngsi-ld:AirQualityObserved:1/attrs/pm10", {"value": 1}, headers={"Link": ENV_LINK}
    )
    problem(missing, 404, "ResourceNotFound")


def test_delete_attribute_with_dataset_id(alice) -> None:  # type: ignore[no-untyped-def]
    """NGSI-LD 6.7.3.2: datasetId deletes one instance, deleteAll every one."""
    no2 = [
        {"type": "Property", "value": 1.0},
        {"type": "Property", "value": 2.0, "datasetId": "urn:ngsi-ld:Dataset:raw"},
    ]
    create(alice, {**station(1), "no2": no2})
    path = "entities/urn:ngsi-ld:AirQualityObserved:1/attrs/no2"
    # The test client sends DELETE data as a body: the parameters go in the URL.
    dataset = "?datasetId=urn:ngsi-ld:Dataset:raw"
    assert alice.delete(path + dataset, headers={"Link": ENV_LINK}).status_code == 204
    body = alice.get("entities/urn:ngsi-ld:AirQualityObserved:1", headers={"Link": ENV_LINK}).json()
    assert body["no2"]["value"] == 1.0
    assert alice.delete(path + "?deleteAll=true", headers={"Link": ENV_LINK}).status_code == 204
    body = alice.get("entities/urn:ngsi-ld:AirQualityObserved:1", headers={"Link": ENV_LINK}).json()
    assert "no2" not in body
    problem(alice.delete(path, headers={"Link": ENV_LINK}), 404, "ResourceNotFound")


# ---------------------------------------------------------------- registry link


def test_registry_link_to_own_site_and_asset(alice, hub: Hub) -> None:  # type: ignore[no-untyped-def]
    """A Relationship https://mutualis.example/ns/site|asset ties the entity to the registry."""
    cast = hub.cast
    create(
        alice,
        station(
            1,
            **{
                "https://mutualis.example/ns/site": {
                    "type": "Relationship",
                    "object": f"urn:mutualis:Site:{cast.site_a.pk}",
                },
                "https://mutualis.example/ns/asset": {
                    "type": "Relationship",
                    "object": "urn:mutualis:Asset:A-0001",
                },
            },
        ),
    )
    row = Entity.objects.get(entity_id="urn:ngsi-ld:AirQualityObserved:1")
    assert row.site_id == cast.site_a.pk
    assert row.asset_id == cast.asset_a.pk


def test_registry_link_to_another_members_site_is_refused(alice, hub: Hub) -> None:  # type: ignore[no-untyped-def]
    """Member A cannot tie an entity to member B's site or asset."""
    link = {"type": "Relationship", "object": f"urn:mutualis:Site:{hub.cast.site_b.pk}"}
    response = alice.post(
        "entities",
        ld(station(1, **{"https://mutualis.example/ns/site": link})),
        content_type="application/ld+json",
    )
    assert "not a site of this tenant" in problem(response, 400, "BadRequestData")["detail"]
    # Site numbers that only str.isdigit() takes for numbers: refused the same way.
    for number in ["²", "9" * 5000]:
        odd = {"type": "Relationship", "object": f"urn:mutualis:Site:{number}"}
        response = alice.post(
            "entities",
            ld(station(3, **{"https://mutualis.example/ns/site": odd})),
            content_type="application/ld+json",
        )
        assert "not a site of this tenant" in problem(response, 400, "BadRequestData")["detail"]
    asset = {"type": "Relationship", "object": "urn:mutualis:Asset:B-0001"}
    response = alice.post(
        "entities",
        ld(station(2, **{"https://mutualis.example/ns/asset": asset})),
        content_type="application/ld+json",
    )
    problem(response, 400, "BadRequestData")
    assert not Entity.objects.exists()


# ---------------------------------------------------------------- bad input


def test_invalid_json_is_invalid_request(alice) -> None:  # type: ignore[no-untyped-def]
    """5.5.2 InvalidRequest: the body is not JSON."""
    body = problem(alice.post("entities", b'{"id": "urn:x:1", '), 400, "InvalidRequest")
    assert "not valid JSON" in body["detail"]


def test_invalid_json_ld_is_bad_request_data(alice) -> None:  # type: ignore[no-untyped-def]
    """6.3.5: an ld+json body without @context, or a JSON body carrying one."""
    problem(alice.post("entities", station(1), content_type="application/ld+json"), 400, "BadRequestData")
    problem(alice.post("entities", ld(station(1))), 400, "BadRequestData")
    problem(
        alice.post("entities", {**station(1), "@context": 42}, content_type="application/ld+json"),
        400,
        "BadRequestData",
    )


def test_bad_q_names_the_problem(alice) -> None:  # type: ignore[no-untyped-def]
    """4.9: a malformed q is a 400 naming where it fails."""
    problem(alice.get("entities", type=AQ, q="no2>>"), 400, "BadRequestData")


def test_wrong_geometry_is_bad_request_data(alice) -> None:  # type: ignore[no-untyped-def]
    """4.10 / RFC 7946: wrong geo-query geometry, or a GeoProperty value that is no geometry."""
    problem(
        alice.get("entities", type=AQ, georel="near;maxDistance==10", geometry="Circle", coordinates="[1,2]"),
        400,
        "BadRequestData",
    )
    problem(alice.get("entities", type=AQ, georel="within", geometry="Polygon"), 400, "BadRequestData")
    bad = station(1)
    bad["location"] = {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [2.1]}}
    problem(alice.post("entities", ld(bad), content_type="application/ld+json"), 400, "BadRequestData")


def test_non_uri_id_is_bad_request_data(alice) -> None:  # type: ignore[no-untyped-def]
    """5.2.2: an entity id must be a URI."""
    body = problem(alice.post("entities", {"id": "not a uri", "type": "T"}), 400, "BadRequestData")
    assert "id" in body["detail"]
    problem(alice.get("entities", id="nope"), 400, "BadRequestData")


def test_attribute_type_contradicting_the_context(alice) -> None:  # type: ignore[no-untyped-def]
    """The core context makes `location` a GeoProperty: a Property with a text value is refused."""
    bad = station(1)
    bad["location"] = {"type": "Property", "value": "place du marché"}
    problem(alice.post("entities", ld(bad), content_type="application/ld+json"), 400, "BadRequestData")


def test_unsupported_media_types(alice) -> None:  # type: ignore[no-untyped-def]
    """6.3.4: 415 for a body that is not JSON, 406 for an answer nobody can produce."""
    problem(alice.post("entities", "id=1", content_type="text/plain"), 415, "InvalidRequest")
    problem(alice.get("entities", type=AQ, headers={"Accept": "text/html"}), 406, "InvalidRequest")
    # A merge patch is only for PATCH /entities/{id}.
    problem(
        alice.post("entities", station(1), content_type="application/merge-patch+json"), 415, "InvalidRequest"
    )
    # geo+json answers only entity reads.
    create(alice, station(1))
    response = alice.patch(
        "entities/urn:ngsi-ld:AirQualityObserved:1/attrs/no2",
        {"value": 1},
        headers={"Accept": "application/geo+json", "Link": ENV_LINK},
    )
    problem(response, 406, "InvalidRequest")


def test_oversize_body_is_413(alice, settings) -> None:  # type: ignore[no-untyped-def]
    """A body beyond DATAHUB_MAX_BODY_BYTES is refused before parsing, naming the limit."""
    settings.DATAHUB_MAX_BODY_BYTES = 1000
    big = station(1, name={"type": "Property", "value": "x" * 2000})
    body = problem(alice.post("entities", big), 413, "BadRequestData")
    assert "1000 bytes" in body["detail"]


def test_method_not_allowed_is_a_problem(alice) -> None:  # type: ignore[no-untyped-def]
    response = alice.put("entities", {})
    problem(response, 405, "InvalidRequest")
    assert response["Allow"] == "GET, POST"


def test_unexpected_failure_answers_internal_error_json(alice, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Nothing leaks as an HTML page: an unexpected exception is a 500 InternalError problem."""
    from mutualis.datahub import selectors

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(selectors, "find_entities", broken)
    body = problem(alice.get("entities", type=AQ), 500, "InternalError")
    assert "disk on fire" not in body["detail"]
