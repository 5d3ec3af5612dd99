"""Batch operations through HTTP (NGSI-LD 6.14 to 6.17, 6.23, 6.31)."""

from __future__ import annotations

import gc
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mutualis.datahub import history
from mutualis.datahub.models import AttributeInstance, Entity
from mutualis.datahub.services import upsert_entities
from tests.datahub.conftest import Hub

pytestmark = pytest.mark.django_db

ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"
DEFAULT = "https://uri.etsi.org/ngsi-ld/default-context/"


def sensor(number: int, value: float = 1.0, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"urn:ngsi-ld:Sensor:{number}",
        "type": "Sensor",
        "temperature": {"type": "Property", "value": value, "observedAt": "2026-11-23T10:00:00Z"},
        **extra,
    }


@pytest.fixture
def alice(hub: Hub, ngsi):  # type: ignore[no-untyped-def]
    return ngsi(hub.alice_rw)


def values(hub: Hub) -> dict[str, Any]:
    return {
        row.entity_id: row.attributes[DEFAULT + "temperature"][0]["value"]
        for row in Entity.objects.filter(tenant=hub.tenant_a)
        if DEFAULT + "temperature" in row.attributes
    }


def test_create_all_good_is_201_with_ids(alice, hub: Hub) -> None:  # type: ignore[no-untyped-def]
    """NGSI-LD 6.14.3.1: 201 and the ids created."""
    response = alice.post("entityOperations/create", [sensor(1), sensor(2)])
    assert response.status_code == 201
    assert response.json() == ["urn:ngsi-ld:Sensor:1", "urn:ngsi-ld:Sensor:2"]
    assert values(hub) == {"urn:ngsi-ld:Sensor:1": 1.0, "urn:ngsi-ld:Sensor:2": 1.0}


def test_create_with_bad_entities_is_207_and_writes_the_good_ones(alice, hub: Hub) -> None:  # type: ignore[no-untyped-def]
    """NGSI-LD 5.2.16 BatchOperationResult: good entities written, bad ones reported."""
    alice.post("entities", sensor(1))
    response = alice.post(
        "entityOperations/create", [sensor(1), sensor(2), {"id": "not a uri", "type": "Sensor"}, sensor(2)]
    )
    assert response.status_code == 207
    body = response.json()
    assert body["success"] == ["urn:ngsi-ld:Sensor:2"]
    errors = {(e["entityId"], e["error"]["type"].removeprefix(ERRORS)) for e in body["errors"]}
    assert errors == {
        ("not a uri", "BadRequestData"),
        ("urn:ngsi-ld:Sensor:1", "AlreadyExists"),
        ("urn:ngsi-ld:Sensor:2", "AlreadyExists"),
    }
    assert all(e["error"]["status"] and e["error"]["detail"] for e in body["errors"])
    assert set(values(hub)) == {"urn:ngsi-ld:Sensor:1", "urn:ngsi-ld:Sensor:2"}


def test_upsert_creates_and_updates(alice, hub: Hub) -> None:  # type: ignore[no-untyped-def]
    """NGSI-LD 6.15.3.1: 201 with the ids created; existing entities are updated (options=update)."""
    alice.post("entities", sensor(1, 1.0, humidity=40))
    response = alice.post("entityOperations/upsert", [sensor(1, 2.0), sensor(2, 3.0)])
    assert response.status_code == 201
    assert response.json() == ["urn:ngsi-ld:Sensor:2"]
    assert values(hub) == {"urn:ngsi-ld:Sensor:1": 2.0, "urn:ngsi-ld:Sensor:2": 3.0}
    row = Entity.objects.get(entity_id="urn:ngsi-ld:Sensor:1")
    assert DEFAULT + "humidity" in row.attributes  # kept by an update
    # Both writes of sensor 1 are in the history.
    assert AttributeInstance.objects.filter(entity=row, number__isnull=False).count() >= 2
    again = alice.post("entityOperations/upsert", [sensor(1, 4.0)])
    assert again.status_code == 204


def test_upsert_replace_drops_other_attributes(alice) -> None:  # type: ignore[no-untyped-def]
    """NGSI-LD 6.15.3.1 options=replace."""
    alice.post("entities", sensor(1, humidity=40))
    assert alice.post("entityOperations/upsert", [sensor(1, 9.0)], options="replace").status_code == 204
    row = Entity.objects.get(entity_id="urn:ngsi-ld:Sensor:1")
    assert DEFAULT + "humidity" not in row.attributes


def test_update_no_overwrite_and_missing_entities(alice, hub: Hub) -> None:  # type: ignore[no-untyped-def]
    """NGSI-LD 6.16.3.1: existing entities only; options=noOverwrite keeps values."""
    alice.post("entities", sensor(1, 1.0))
    response = alice.post(
        "entityOperations/update",
        [{"id": "urn:ngsi-ld:Sensor:1", "temperature": 5.0, "humidity": 3}, sensor(404)],
        options="noOverwrite",
    )
    assert response.status_code == 207
    body = response.json()
    assert body["success"] == ["urn:ngsi-ld:Sensor:1"]
    assert body["errors"][0]["entityId"] == "urn:ngsi-ld:Sensor:404"
    assert body["errors"][0]["error"]["type"] == ERRORS + "ResourceNotFound"
    row = Entity.objects.get(entity_id="urn:ngsi-ld:Sensor:1")
    assert values(hub)["urn:ngsi-ld:Sensor:1"] == 1.0
    assert DEFAULT + "humidity" in row.attributes
    assert (
        alice.post(
            "entityOperations/update", [{"id": "urn:ngsi-ld:Sensor:1", "temperature": 6.0}]
        ).status_code
        == 204
    )
    assert values(hub)["urn:ngsi-ld:Sensor:1"] == 6.0


def test_merge_batch(alice, hub: Hub) -> None:  # type: ignore[no-untyped-def]
    """NGSI-LD 6.31.3.1: merge each entity; NGSI-LD Null deletes."""
    alice.post("entities", sensor(1, humidity=40))
    response = alice.post(
        "entityOperations/merge",
        [{"id": "urn:ngsi-ld:Sensor:1", "temperature": {"value": 7.0}, "humidity": "urn:ngsi-ld:null"}],
    )
    assert response.status_code == 204, response.content
    row = Entity.objects.get(entity_id="urn:ngsi-ld:Sensor:1")
    assert DEFAULT + "humidity" not in row.attributes
    assert row.attributes[DEFAULT + "temperature"][0]["observedAt"].startswith("2026-11-23T10:00")
    assert values(hub)["urn:ngsi-ld:Sensor:1"] == 7.0


def test_delete_batch(alice, hub: Hub) -> None:  # type: ignore[no-untyped-def]
    """NGSI-LD 6.17.3.1: ids deleted; unknown ones reported (207)."""
    alice.post("entityOperations/create", [sensor(1), sensor(2)])
    response = alice.post("entityOperations/delete", ["urn:ngsi-ld:Sensor:1", "urn:ngsi-ld:Sensor:9"])
    assert response.status_code == 207
    assert response.json()["success"] == ["urn:ngsi-ld:Sensor:1"]
    assert response.json()["errors"][0]["entityId"] == "urn:ngsi-ld:Sensor:9"
    assert list(values(hub)) == ["urn:ngsi-ld:Sensor:2"]
    assert alice.post("entityOperations/delete", ["urn:ngsi-ld:Sensor:2"]).status_code == 204


def test_ld_json_batch_uses_each_entitys_context(alice) -> None:  # type: ignore[no-untyped-def]
    """6.3.5: in an ld+json batch each entity carries the (same) @context."""
    context = [
        {"temp": "https://example.org/ns/temperature"},
        "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld",
    ]
    body = [
        {"id": f"urn:ngsi-ld:Sensor:{n}", "type": "Sensor", "temp": 1, "@context": context} for n in (1, 2)
    ]
    response = alice.post("entityOperations/create", body, content_type="application/ld+json")
    assert response.status_code == 201, response.content
    assert (
        "https://example.org/ns/temperature"
        in Entity.objects.get(entity_id="urn:ngsi-ld:Sensor:1").attributes
    )


def test_oversize_batch_is_413(alice, settings) -> None:  # type: ignore[no-untyped-def]
    """More than DATAHUB_MAX_BATCH entities: 413, naming the limit; nothing written."""
    settings.DATAHUB_MAX_BATCH = 3
    response = alice.post("entityOperations/upsert", [sensor(n) for n in range(4)])
    assert response.status_code == 413
    assert "limit is 3" in response.json()["detail"]
    assert not Entity.objects.exists()


def test_batch_body_must_be_an_array(alice) -> None:  # type: ignore[no-untyped-def]
    response = alice.post("entityOperations/create", sensor(1))
    assert response.status_code == 400
    assert response.json()["type"] == ERRORS + "BadRequestData"


def test_query_post(alice) -> None:  # type: ignore[no-untyped-def]
    """NGSI-LD 6.23.3.1: a Query in the body; entity selectors, q, attrs, count."""
    alice.post(
        "entityOperations/create",
        [sensor(1, 1.0), sensor(2, 5.0), {"id": "urn:ngsi-ld:Other:1", "type": "Other"}],
    )
    response = alice.post(
        "entityOperations/query",
        {"type": "Query", "entities": [{"type": "Sensor"}], "q": "temperature>2"},
        count="true",
        options="keyValues",
    )
    assert response.status_code == 200
    assert response["NGSILD-Results-Count"] == "1"
    assert response.json()[0]["id"] == "urn:ngsi-ld:Sensor:2"
    assert response.json()[0]["temperature"] == 5.0
    union = alice.post(
        "entityOperations/query",
        {"type": "Query", "entities": [{"type": "Other"}, {"id": "urn:ngsi-ld:Sensor:1", "type": "Sensor"}]},
    )
    assert [e["id"] for e in union.json()] == ["urn:ngsi-ld:Other:1", "urn:ngsi-ld:Sensor:1"]
    geo = alice.post(
        "entityOperations/query",
        {"type": "Query", "geoQ": {"georel": "near", "geometry": "Point", "coordinates": [2.1, 48.8]}},
    )
    assert geo.status_code == 400  # near needs a distance
    assert alice.post("entityOperations/query", {"entities": []}).status_code == 400


def test_read_only_may_query_but_not_write(hub: Hub, ngsi) -> None:  # type: ignore[no-untyped-def]
    """The POST query writes nothing: a read-only token may use it; the other batches are writes."""
    bob = ngsi(hub.bob_ro)
    assert (
        bob.post("entityOperations/query", {"type": "Query", "entities": [{"type": "Sensor"}]}).status_code
        == 200
    )
    for operation in ("create", "upsert", "update", "merge"):
        assert bob.post(f"entityOperations/{operation}", [sensor(1)]).status_code == 403
    assert bob.post("entityOperations/delete", ["urn:ngsi-ld:Sensor:1"]).status_code == 403


def test_batch_of_a_thousand_takes_constant_queries(hub: Hub) -> None:
    """A batch upsert is a constant number of queries, whatever its size."""
    entities = [
        {
            "id": f"urn:ngsi-ld:Sensor:{n}",
            "type": ["https://example.org/Sensor"],
            "attrs": {
                DEFAULT + "temperature": [
                    {"type": "Property", "value": float(n), "observedAt": "2026-11-23T10:00:00.000Z"}
                ]
            },
        }
        for n in range(1000)
    ]
    # Both batches mix entities that exist (on PostgreSQL, merged by SQL: services.readings)
    # and new ones (the general path): the same statements whatever the size.
    upsert_entities(tenant=hub.tenant_a, entities=entities[:5], replace=False)
    with CaptureQueriesContext(connection) as small:
        upsert_entities(tenant=hub.tenant_a, entities=entities[:10], replace=False)
    with CaptureQueriesContext(connection) as large:
        result = upsert_entities(tenant=hub.tenant_a, entities=entities, replace=False)
    assert len(result.success) == 1000

    def selects(context: CaptureQueriesContext) -> int:
        return sum(query["sql"].startswith("SELECT") for query in context.captured_queries)

    # No read per entity, whatever the database.
    assert selects(large) == selects(small)
    if connection.vendor == "postgresql":
        # One INSERT of the new rows, one history write: the same statements as for ten.
        assert len(large.captured_queries) <= len(small.captured_queries) + 2
    assert Entity.objects.filter(tenant=hub.tenant_a).count() == 1000


def test_a_batch_leaves_the_garbage_collector_as_it_found_it(hub: Hub, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Batches hold the cyclic collector while they run (bulk.collector_held): it must
    be back on afterwards, even when the batch fails, and stay off if the caller had it off."""
    entity = {
        "id": "urn:ngsi-ld:Sensor:1",
        "type": ["https://example.org/Sensor"],
        "attrs": {DEFAULT + "temperature": [{"type": "Property", "value": 1.0}]},
    }
    upsert_entities(tenant=hub.tenant_a, entities=[entity], replace=False)
    assert gc.isenabled()

    def broken(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("history store down")

    monkeypatch.setattr(history, "record_many", broken)
    with pytest.raises(RuntimeError):
        upsert_entities(tenant=hub.tenant_a, entities=[entity], replace=False)
    assert gc.isenabled()
    gc.disable()
    try:
        with pytest.raises(RuntimeError):
            upsert_entities(tenant=hub.tenant_a, entities=[entity], replace=False)
        assert not gc.isenabled()
    finally:
        gc.enable()
