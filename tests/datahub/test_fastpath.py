"""The write path's shortcuts give what the general path gives (docs/benchmarks-history.md, "Data
hub"): the plain-Property normalization, the rows read in set form, orjson behind the JSON
edge, and the MQTT worker's batching."""

from __future__ import annotations

import json
import queue
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from mutualis.datahub import services
from mutualis.datahub.ingestion.mqtt import IngestWorker, WorkerSettings
from mutualis.datahub.models import Entity
from mutualis.datahub.ngsild import fastjson, normalize
from mutualis.datahub.ngsild.context import core_context
from mutualis.datahub.ngsild.errors import BadRequestData
from mutualis.datahub.ngsild.geo import LOCATION_IRI
from mutualis.datahub.selectors import entity_from_row
from mutualis.datahub.services import rows
from tests.datahub.conftest import Hub

NOW = datetime(2026, 11, 23, 10, 0, 5, 123456, tzinfo=UTC)
DEFAULT = "https://uri.etsi.org/ngsi-ld/default-context/"


def _general(payload: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The attributes as the general path (`_attribute`) builds them, shortcut bypassed."""
    ctx = core_context()
    return {
        ctx.expand_term(name): normalize._attribute(
            name, ctx.expand_term(name), raw, ctx, now=NOW, partial=False
        )
        for name, raw in payload.items()
    }


PLAIN = [
    {"type": "Property", "value": 12.5},
    {"type": "Property", "value": 12, "unitCode": "CEL"},
    {"type": "Property", "value": "defectiveLamp", "observedAt": "2026-11-23T10:00:00Z"},
    {"type": "Property", "value": 0.5, "observedAt": "2026-11-23T11:00:00.5+01:00", "unitCode": "GQ"},
    {"type": "Property", "unitCode": "GQ", "value": -3.25, "observedAt": "2026-11-23T10:00:00.000Z"},
]
GENERAL = [
    {"type": "Property", "value": True},  # a boolean is not taken by the shortcut
    {"type": "Property", "value": {"a": 1}},
    {"type": "Property", "value": 1.0, "datasetId": "urn:ngsi-ld:Dataset:a"},
    {"type": "Property", "value": 1.0, "observedBy": {"type": "Relationship", "object": "urn:x:1"}},
    {"type": "Relationship", "object": "urn:ngsi-ld:Site:1"},
    {"value": 3.5},  # concise
]


@pytest.mark.parametrize("raw", PLAIN + GENERAL)
def test_the_shortcut_builds_what_the_general_path_builds(raw: dict[str, Any]) -> None:
    payload = {"temperature": raw}
    shortcut = normalize.attributes_from_payload(payload, core_context(), now=NOW)
    assert shortcut == _general(payload)
    # Same members in the same order, so that answers read the same.
    assert [list(i) for i in shortcut[DEFAULT + "temperature"]] == [
        list(i) for i in _general(payload)[DEFAULT + "temperature"]
    ]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"type": "Property", "value": 1.0, "observedAt": "yesterday"}, "not an ISO 8601 DateTime"),
        ({"type": "Property", "value": 1.0, "observedAt": "2026-11-23T10:00:00"}, "must carry a time zone"),
        ({"type": "Property", "value": 1.0, "unitCode": ""}, "unitCode must be a UN/CEFACT code"),
        ({"type": "Property", "value": "urn:ngsi-ld:null"}, "only allowed in a merge"),
        ({"type": "Property", "value": None}, "must not be null"),
    ],
)
def test_what_the_shortcut_refuses_gets_the_general_paths_error(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(BadRequestData, match=message):
        normalize.attributes_from_payload({"temperature": raw}, core_context(), now=NOW)


def test_location_stays_a_geoproperty_matter() -> None:
    """The core context's location is a GeoProperty: a Property there is refused (4.7)."""
    with pytest.raises(BadRequestData, match="GeoProperty"):
        normalize.attributes_from_payload(
            {"location": {"type": "Property", "value": 1.0}}, core_context(), now=NOW
        )


def test_invalid_names_are_refused_every_time() -> None:
    for _ in range(2):  # the second time too: only valid names are remembered
        with pytest.raises(BadRequestData, match="forbidden character"):
            normalize.attributes_from_payload(
                {"bad name": {"type": "Property", "value": 1}}, core_context(), now=NOW
            )


def test_fastjson_reads_and_writes_like_json() -> None:
    document = {"é": [1, 2.5, "x", None, True, {"n": 2**70}], "lone": "\ud800"}
    text = json.dumps(document)
    assert fastjson.loads(text) == json.loads(text)  # beyond 64 bits and lone surrogates: json decides
    assert json.loads(fastjson.dumps({"a": [1, 2.5, "é"]})) == {"a": [1, 2.5, "é"]}
    assert json.loads(fastjson.dumps({"big": 2**70})) == {"big": 2**70}
    for constant in ("NaN", "Infinity", "-Infinity"):
        with pytest.raises(ValueError, match="not a JSON number"):
            fastjson.loads(f'{{"v": {constant}}}')


@pytest.mark.django_db
def test_nan_in_a_request_is_invalid_json(hub: Hub, ngsi) -> None:  # type: ignore[no-untyped-def]
    alice = ngsi(hub.alice_rw)
    body = '[{"id": "urn:ngsi-ld:Sensor:1", "type": "Sensor", "t": {"type": "Property", "value": NaN}}]'
    response = alice.post("entityOperations/upsert", body)
    assert response.status_code == 400
    assert response.json()["type"] == "https://uri.etsi.org/ngsi-ld/errors/InvalidRequest"
    assert "NaN is not a JSON number" in response.json()["detail"]


@pytest.mark.django_db
def test_rows_read_in_set_form_are_the_entities_the_orm_reads(hub: Hub) -> None:
    entities = [
        {
            "id": f"urn:ngsi-ld:Sensor:{n}",
            "type": [DEFAULT + "Sensor", DEFAULT + "Device"],
            "scope": ["/Versailles/Air"] if n % 2 else [],
            "attrs": {
                DEFAULT + "t": [{"type": "Property", "value": n, "observedAt": "2026-11-23T10:00:00.000Z"}]
            },
        }
        for n in range(3)
    ]
    for entity in entities:
        if not entity["scope"]:
            del entity["scope"]
    services.create_entities(tenant=hub.tenant_a, entities=entities, now=NOW)
    ids = [e["id"] for e in entities] + ["urn:ngsi-ld:Sensor:absent"]
    stored = rows.lock(hub.tenant_a, ids)
    assert sorted(stored) == sorted(e["id"] for e in entities)
    for row in Entity.objects.filter(tenant=hub.tenant_a):
        assert stored[row.entity_id].pk == row.pk
        assert stored[row.entity_id].entity == entity_from_row(row)
    assert rows.lock(hub.tenant_b, ids) == {}  # another tenant's rows are not found


@pytest.mark.django_db
def test_a_batch_rewrites_each_row_as_the_orm_would(hub: Hub) -> None:
    """On PostgreSQL rows whose type, scope, box and links stay are rewritten by their
    attributes alone: the rows that change more must still get every column."""

    def point(x: float) -> dict[str, Any]:
        return {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [x, 48.8]}}

    def reading(value: float) -> dict[str, Any]:
        return {"type": "Property", "value": value, "observedAt": "2026-11-23T10:00:00.000Z"}

    sensor = [DEFAULT + "Sensor"]
    services.create_entities(
        tenant=hub.tenant_a,
        entities=[
            {"id": f"urn:ngsi-ld:Sensor:{n}", "type": sensor, "attrs": {LOCATION_IRI: [point(2.1)]}}
            for n in range(4)
        ],
        now=NOW,
    )
    later = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)
    result = services.upsert_entities(
        tenant=hub.tenant_a,
        entities=[
            {"id": "urn:ngsi-ld:Sensor:0", "type": sensor, "attrs": {DEFAULT + "t": [reading(1.0)]}},
            {"id": "urn:ngsi-ld:Sensor:1", "type": sensor, "attrs": {LOCATION_IRI: [point(2.3)]}},
            {"id": "urn:ngsi-ld:Sensor:2", "type": [DEFAULT + "Device"], "attrs": {}},
            {"id": "urn:ngsi-ld:Sensor:3", "type": sensor, "scope": ["/Versailles"], "attrs": {}},
        ],
        replace=False,
        now=later,
    )
    assert not result.errors
    found = {row.entity_id: row for row in Entity.objects.filter(tenant=hub.tenant_a)}
    assert all(row.modified_at == later for row in found.values())
    first = found["urn:ngsi-ld:Sensor:0"]
    assert first.attributes[DEFAULT + "t"][0]["value"] == 1.0
    assert (first.geo_min_x, first.types, first.scopes) == (2.1, sensor, [])
    assert (found["urn:ngsi-ld:Sensor:1"].geo_min_x, found["urn:ngsi-ld:Sensor:1"].geo_max_x) == (2.3, 2.3)
    assert found["urn:ngsi-ld:Sensor:2"].types == [*sensor, DEFAULT + "Device"]
    assert found["urn:ngsi-ld:Sensor:2"].type == DEFAULT + "Sensor"
    assert found["urn:ngsi-ld:Sensor:3"].scopes == ["/Versailles"]


@pytest.mark.django_db
def test_upsert_reports_the_created_ids_only(hub: Hub) -> None:
    def entity(n: int) -> dict[str, Any]:
        return {"id": f"urn:ngsi-ld:Sensor:{n}", "type": [DEFAULT + "Sensor"], "attrs": {}}

    services.create_entities(tenant=hub.tenant_a, entities=[entity(1)], now=NOW)
    result = services.upsert_entities(
        tenant=hub.tenant_a, entities=[entity(1), entity(2), entity(2)], replace=False, now=NOW
    )
    assert result.success == ["urn:ngsi-ld:Sensor:1", "urn:ngsi-ld:Sensor:2"]
    assert result.created == ["urn:ngsi-ld:Sensor:2"]


def test_a_burst_is_written_once_the_broker_falls_quiet() -> None:
    """The batch ends after a lull, not after the whole batch_wait (the latency of a burst)."""
    worker = IngestWorker(operator_id=1, settings=WorkerSettings(batch_wait=5.0, batch_lull=0.05))
    inbox: queue.Queue[Any] = worker.inbox
    for n in range(3):
        inbox.put(n)
    started = time.monotonic()
    assert worker._next_batch() == [0, 1, 2]
    assert time.monotonic() - started < 2.0  # far less than batch_wait
