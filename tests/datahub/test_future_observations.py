"""An observedAt ahead of the hub's clock: refused wherever a value is written as an
observation (NGSI-LD API, batch operations, MQTT and HTTP ingestion, both forms), kept as
history only through the temporal API, and never freezing the current value.

The current value of an observed attribute keeps the latest observedAt (`_observe`, so that
a late reading does not roll it back): a value stamped in 2099 by a sensor with a wrong
clock would have stayed the current value, every true reading after it history only."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from mutualis.datahub import services
from mutualis.datahub.ingestion.receive import ENTITIES, ingest_messages
from mutualis.datahub.models import AttributeInstance, DeadLetter, Entity
from mutualis.datahub.ngsild.timestamps import format_instant
from tests.datahub.conftest import Hub
from tests.datahub.mqtt_support import (
    publish_all,
    publisher,
    require_broker,
    running_worker,
    unique,
    wait_for,
)
from tests.datahub.test_entities_api import ENV_CONTEXT, ld, problem, station
from tests.datahub.test_ingestion import PM25, SENSOR, make_sensor, message, reading

pytestmark = pytest.mark.django_db

NO2 = "https://smartdatamodels.org/dataModel.Environment/no2"
STATION = "urn:ngsi-ld:AirQualityObserved:1"
FUTURE = "2099-01-01T00:00:00Z"
SAID = "2099-01-01T00:00:00.000Z"  # as the hub writes instants
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def no2(value: float, observed: str) -> dict[str, Any]:
    return {"type": "Property", "value": value, "unitCode": "GQ", "observedAt": observed}


@pytest.fixture
def alice(hub: Hub, ngsi):  # type: ignore[no-untyped-def]
    client = ngsi(hub.alice_rw)
    created = client.post("entities", ld(station(1)), content_type="application/ld+json")
    assert created.status_code == 201, created.content
    return client


def current_no2(hub: Hub) -> dict[str, Any]:
    instance: dict[str, Any] = Entity.objects.get(tenant=hub.tenant_a, entity_id=STATION).attributes[NO2][0]
    return instance


def in_the_future_detail(body: dict[str, Any]) -> None:
    assert "no2" in body["detail"]
    assert SAID in body["detail"]
    assert "ahead of the hub's clock" in body["detail"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "entities", {**station(2), "no2": no2(99.0, FUTURE)}),  # 5.6.1 create
        (
            "PUT",
            f"entities/{STATION}",
            {"type": "AirQualityObserved", "no2": no2(99.0, FUTURE)},
        ),  # 5.6.18 replace
        ("POST", f"entities/{STATION}/attrs", {"no2": no2(99.0, FUTURE)}),  # 5.6.3 append
        ("PATCH", f"entities/{STATION}/attrs", {"no2": no2(99.0, FUTURE)}),  # 5.6.2 update
        ("PATCH", f"entities/{STATION}", {"no2": no2(99.0, FUTURE)}),  # 5.6.17 merge
        ("PATCH", f"entities/{STATION}", {"no2": {"observedAt": FUTURE}}),  # merge: only the time
        ("PATCH", f"entities/{STATION}/attrs/no2", {"value": 99.0, "observedAt": FUTURE}),  # 5.6.4
        ("PUT", f"entities/{STATION}/attrs/no2", no2(99.0, FUTURE)),  # 5.6.19 replace attribute
        # A sub-attribute's observedAt is an observation time too.
        (
            "PATCH",
            f"entities/{STATION}/attrs",
            {
                "no2": {
                    **no2(21.0, "2026-11-23T10:05:00Z"),
                    "calibrated": {"value": True, "observedAt": FUTURE},
                }
            },
        ),
    ],
)
def test_the_api_refuses_a_value_observed_ahead_of_the_clock(
    alice, hub: Hub, method: str, path: str, body: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    response = alice.request(
        method, path, {**body, "@context": ENV_CONTEXT}, content_type="application/ld+json"
    )
    in_the_future_detail(problem(response, 400, "BadRequestData"))
    assert current_no2(hub)["value"] == 20.0
    assert not Entity.objects.filter(entity_id=station(2)["id"]).exists()


def test_a_clock_a_few_minutes_fast_is_a_clock_not_a_fault(alice, hub: Hub) -> None:  # type: ignore[no-untyped-def]
    soon = format_instant(timezone.now() + timedelta(minutes=5))
    response = alice.post(
        f"entities/{STATION}/attrs",
        {"no2": no2(21.0, soon), "@context": ENV_CONTEXT},
        content_type="application/ld+json",
    )
    assert response.status_code == 204, response.content
    assert current_no2(hub)["observedAt"] == soon


@pytest.mark.parametrize(
    ("operation", "full"),
    [("create", True), ("upsert", True), ("update", False), ("merge", False)],
)
def test_a_batch_refuses_the_entity_observed_ahead_and_writes_the_others(
    alice, hub: Hub, operation: str, full: bool
) -> None:  # type: ignore[no-untyped-def]
    if operation != "create":
        alice.post("entities", ld(station(3)), content_type="application/ld+json")
    good, bad = station(3, no2=33.0), station(2 if full else 1, no2=99.0)
    good["no2"]["observedAt"] = "2026-11-23T10:05:00Z"
    bad["no2"]["observedAt"] = FUTURE
    if not full:
        for entity in (good, bad):
            del entity["location"]
    if operation == "create":
        good["id"] = "urn:ngsi-ld:AirQualityObserved:4"
    response = alice.post(
        f"entityOperations/{operation}", [ld(bad), ld(good)], content_type="application/ld+json"
    )
    assert response.status_code == 207, response.content
    result = response.json()
    assert result["success"] == [good["id"]]
    [error] = result["errors"]
    assert error["entityId"] == bad["id"]
    assert error["error"]["type"].endswith("/BadRequestData")
    in_the_future_detail(error["error"])
    assert current_no2(hub)["value"] == 20.0
    assert not Entity.objects.filter(entity_id=station(2)["id"]).exists()


def test_the_entities_topic_keeps_a_fragment_observed_ahead_as_a_dead_letter(hub: Hub) -> None:
    make_sensor(hub.tenant_a)
    fragments = [
        {"id": SENSOR, "type": "AirQualityObserved", "pm25": no2(99.0, FUTURE)},
        {"id": SENSOR, "type": "AirQualityObserved", "pm25": no2(12.0, "2026-11-23T09:55:00Z")},
    ]
    payload = [{**f, "@context": ENV_CONTEXT} for f in fragments]
    report = ingest_messages(
        operator_id=hub.cast.operator.pk,
        messages=[message(hub.tenant_a, raw=json.dumps(payload).encode(), kind=ENTITIES)],
        now=NOW,
    )
    assert (report.observations, report.rejected) == (1, 1)
    letter = DeadLetter.objects.get()
    assert letter.reason == "future_time"
    assert "pm25" in letter.detail
    assert SAID in letter.detail
    assert "ahead of the hub's clock (2026-11-23T10:00:00.000Z)" in letter.detail
    assert Entity.objects.get(entity_id=SENSOR).attributes[PM25][0]["value"] == 12.0


@pytest.mark.django_db(transaction=True)  # the worker writes from its own thread
def test_the_worker_counts_an_entity_observed_ahead_as_a_dead_letter(hub: Hub) -> None:
    """Through the real broker (Mosquitto at 127.0.0.1:1883), as a sensor would send it."""
    require_broker()
    make_sensor(hub.tenant_a)
    prefix = unique("mutualis-test")
    fragment = {
        "id": SENSOR,
        "type": "AirQualityObserved",
        "pm25": no2(99.0, FUTURE),
        "@context": ENV_CONTEXT,
    }
    with running_worker(
        operator_id=hub.cast.operator.pk, prefix=prefix, client_id=unique("ingest")
    ) as worker:
        with publisher() as pub:
            publish_all(pub, f"{prefix}/{hub.tenant_a.name}/entities", [json.dumps(fragment).encode()])
        wait_for(lambda: worker.stats.acknowledged == 1, what="the message handled")
    assert list(DeadLetter.objects.values_list("reason", flat=True)) == ["future_time"]
    assert (worker.stats.observations, worker.stats.rejected) == (0, 1)
    assert PM25 not in Entity.objects.get(entity_id=SENSOR).attributes


def test_a_value_stored_ahead_of_the_clock_does_not_freeze_the_current_value(hub: Hub) -> None:
    """A value stamped in 2099 already held (written before the hub refused them, or a
    forecast through the temporal API): the next true reading becomes the current value."""
    sensor = make_sensor(hub.tenant_a)
    services.update_entities(
        tenant=hub.tenant_a,
        entities=[{"id": SENSOR, "type": [], "attrs": {PM25: [no2(99.0, "2099-01-01T00:00:00.000Z")]}}],
        now=datetime(2026, 11, 22, tzinfo=UTC),
    )
    report = ingest_messages(
        operator_id=hub.cast.operator.pk, messages=[message(hub.tenant_a, reading(12.0))], now=NOW
    )
    assert (report.observations, report.rejected) == (1, 0)
    assert Entity.objects.get(pk=sensor.pk).attributes[PM25][0]["value"] == 12.0
    # A late reading still does not roll the state back behind the true one.
    ingest_messages(
        operator_id=hub.cast.operator.pk,
        messages=[message(hub.tenant_a, reading(5.0, at="2026-11-23T09:00:00Z"))],
        now=NOW,
    )
    assert Entity.objects.get(pk=sensor.pk).attributes[PM25][0]["value"] == 12.0


def test_the_temporal_api_keeps_a_forecast_as_history_not_as_the_current_value(alice, hub: Hub) -> None:  # type: ignore[no-untyped-def]
    """4.5.7: a temporal representation may hold values valid later (a forecast); they
    are history, and the current value is the latest one already observed."""
    past = format_instant(timezone.now() - timedelta(hours=1))
    created = alice.post(
        "temporal/entities",
        {
            "id": "urn:ngsi-ld:WaterObserved:seine",
            "type": "WaterObserved",
            "height": [no2(2.1, past), no2(3.4, FUTURE)],
        },
    )
    assert created.status_code == 201, created.content
    current = alice.get("entities/urn:ngsi-ld:WaterObserved:seine").json()
    assert (current["height"]["value"], current["height"]["observedAt"]) == (2.1, past)
    added = alice.post(
        "temporal/entities/urn:ngsi-ld:WaterObserved:seine/attrs",
        {"height": [no2(3.5, "2099-01-01T01:00:00Z")]},
    )
    assert added.status_code == 204, added.content
    assert AttributeInstance.objects.filter(attribute__iri__endswith="/height").count() == 3
    history = alice.get("temporal/entities/urn:ngsi-ld:WaterObserved:seine", options="temporalValues").json()
    assert [value for value, _at in history["height"]["values"]] == [2.1, 3.4, 3.5]
