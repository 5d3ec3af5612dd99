"""A query parameter given twice is a 400 BadRequestData naming it, on the NGSI-LD door and
the HTTP ingestion door (both behind `ngsild_view`).

Django reads the last value of a repeated parameter: `?type=A&type=B` queried the entities
of type B alone, to a client that meant either. NGSI-LD takes several values as one
comma-separated list (`type=A,B`), which still works; none of its parameters is
repeatable. The refusal comes once the caller and the tenant are known, before any entity
is read or written.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from mutualis.datahub.models import AttributeInstance, Entity
from tests.datahub.conftest import Hub
from tests.datahub.test_ingestion import history, make_sensor, reading

pytestmark = pytest.mark.django_db

ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"
DEFAULT = "https://uri.etsi.org/ngsi-ld/default-context/"


def entity(entity_id: str, entity_type: str, value: float = 1.0) -> dict[str, Any]:
    return {
        "id": entity_id,
        "type": entity_type,
        "temperature": {"type": "Property", "value": value, "observedAt": "2026-11-23T10:00:00Z"},
    }


def repeated(response: Any, name: str, times: int = 2) -> dict[str, Any]:
    assert response.status_code == 400, response.content
    body: dict[str, Any] = response.json()
    assert body["type"] == ERRORS + "BadRequestData"
    assert body["detail"] == (
        f"The query parameter {name!r} is given {times} times; give it once (several values are "
        "separated by commas where the parameter allows them)."
    )
    return body


@pytest.fixture
def alice(hub: Hub, ngsi):  # type: ignore[no-untyped-def]
    client = ngsi(hub.alice_rw)
    for number, kind in ((1, "Sensor"), (2, "Gauge"), (3, "Pump")):
        response = client.post("entities", entity(f"urn:ngsi-ld:{kind}:{number}", kind))
        assert response.status_code == 201, response.content
    return client


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(row["id"] for row in response.json())


def test_a_type_given_twice_is_refused_and_a_list_of_types_works(alice) -> None:  # type: ignore[no-untyped-def]
    repeated(alice.get("entities?type=Sensor&type=Gauge"), "type")
    # Several types, as NGSI-LD says them: one parameter, comma-separated.
    assert ids(alice.get("entities?type=Sensor,Gauge")) == ["urn:ngsi-ld:Gauge:2", "urn:ngsi-ld:Sensor:1"]
    assert ids(alice.get("entities?type=Gauge")) == ["urn:ngsi-ld:Gauge:2"]


def test_every_operation_refuses_a_repeated_parameter(alice) -> None:  # type: ignore[no-untyped-def]
    sensor = "urn:ngsi-ld:Sensor:1"
    repeated(alice.get(f"entities/{sensor}?attrs=temperature&attrs=humidity"), "attrs")
    assert alice.get(f"entities/{sensor}?attrs=temperature").status_code == 200
    repeated(alice.get(f"temporal/entities/{sensor}?lastN=1&lastN=5&lastN=9"), "lastN", times=3)
    assert alice.get(f"temporal/entities/{sensor}?lastN=1").status_code == 200
    repeated(alice.get("subscriptions?limit=1&limit="), "limit")
    assert alice.get("subscriptions?limit=1").status_code == 200
    # POST /entityOperations/query takes its query in the body, its paging in the address.
    repeated(alice.post("entityOperations/query?limit=1&limit=2", {"type": "Query"}), "limit")


def test_a_write_with_a_repeated_parameter_writes_nothing(alice, hub: Hub) -> None:  # type: ignore[no-untyped-def]
    before = list(
        Entity.objects.filter(tenant=hub.tenant_a).order_by("pk").values_list("attributes", flat=True)
    )
    upsert = [entity("urn:ngsi-ld:Sensor:1", "Sensor", 9.0), entity("urn:ngsi-ld:Sensor:4", "Sensor")]
    repeated(alice.post("entityOperations/upsert?options=update&options=replace", upsert), "options")
    repeated(alice.delete("entities/urn:ngsi-ld:Pump:3?type=Pump&type=Pump"), "type")
    after = list(
        Entity.objects.filter(tenant=hub.tenant_a).order_by("pk").values_list("attributes", flat=True)
    )
    assert after == before
    # Once, the same upsert is written.
    assert alice.post("entityOperations/upsert?options=update", upsert).status_code == 201
    assert Entity.objects.filter(tenant=hub.tenant_a, entity_id="urn:ngsi-ld:Sensor:4").exists()


def test_an_outsider_learns_nothing_from_a_repeated_parameter(alice, hub: Hub, ngsi) -> None:  # type: ignore[no-untyped-def]
    """Member B's agent: in his own tenant, member A's entity and one that exists nowhere
    get the same 400 (nothing is read before it); naming A's tenant is its 404, first."""
    charlie = ngsi(hub.charlie_rw)
    theirs = repeated(charlie.get("entities/urn:ngsi-ld:Sensor:1?attrs=a&attrs=a"), "attrs")
    assert theirs == repeated(charlie.get("entities/urn:ngsi-ld:Sensor:999?attrs=a&attrs=a"), "attrs")
    as_a = ngsi(hub.charlie_rw, tenant=hub.tenant_a.name)
    response = as_a.get("entities?type=Sensor&type=Sensor")
    assert (response.status_code, response.json()["type"]) == (404, ERRORS + "NonexistentTenant")
    assert "urn:ngsi-ld:Sensor:1" not in response.content.decode()


def post_readings(ngsi, token: str, query: str, *readings: dict[str, Any], tenant: str | None = None):  # type: ignore[no-untyped-def]
    return ngsi(token, tenant).post(f"/ingest/v1/observations{query}", json.dumps(list(readings)))


def test_http_ingestion_refuses_a_repeated_parameter_and_writes_nothing(hub: Hub, ngsi) -> None:  # type: ignore[no-untyped-def]
    sensor = make_sensor(hub.tenant_a)
    repeated(post_readings(ngsi, hub.alice_rw, "?batch=1&batch=2", reading(12.5)), "batch")
    assert history(sensor) == []
    # The same request with the parameter once (which the door does not read) is written.
    response = post_readings(ngsi, hub.alice_rw, "?batch=1", reading(12.5))
    assert response.status_code == 200, response.content
    assert [value for _at, value in history(sensor)] == [12.5]


def test_http_ingestion_into_another_members_tenant_is_its_404_first(hub: Hub, ngsi) -> None:  # type: ignore[no-untyped-def]
    make_sensor(hub.tenant_a)
    response = post_readings(ngsi, hub.charlie_rw, "?a=1&a=2", reading(1.0), tenant=hub.tenant_a.name)
    assert (response.status_code, response.json()["type"]) == (404, ERRORS + "NonexistentTenant")
    assert not AttributeInstance.objects.exists()
