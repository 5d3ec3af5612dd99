"""MQTT ingestion against the real broker (issue 7 clauses 1 and 6): publish → stored →
visible in NGSI-LD; malformed → dead letter; the database failing mid-stream → nothing lost;
redelivery → no duplicate."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError

from mutualis.datahub.ingestion.receive import ingest_messages
from mutualis.datahub.models import AttributeInstance, DeadLetter
from tests.datahub.conftest import Hub
from tests.datahub.mqtt_support import (
    publish_all,
    publisher,
    require_broker,
    running_worker,
    unique,
    wait_for,
)
from tests.datahub.test_ingestion import PM25, SENSOR, make_sensor, reading

# The worker runs in its own thread with its own database connection.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _broker() -> None:
    require_broker()


def readings_payloads(count: int, *, start_minute: int = 0) -> list[bytes]:
    return [
        json.dumps(
            reading(
                float(i), at=f"2026-11-23T{(start_minute + i) // 60:02d}:{(start_minute + i) % 60:02d}:00Z"
            )
        ).encode()
        for i in range(count)
    ]


def stored() -> int:
    return AttributeInstance.objects.filter(attribute__iri=PM25).count()


def test_published_observations_are_stored_and_visible_in_ngsi_ld(hub: Hub, ngsi) -> None:
    make_sensor(hub.tenant_a)
    prefix = unique("mutualis-test")
    with running_worker(
        operator_id=hub.cast.operator.pk, prefix=prefix, client_id=unique("ingest")
    ) as worker:
        with publisher() as pub:
            publish_all(pub, f"{prefix}/{hub.tenant_a.name}/observations", readings_payloads(30))
        wait_for(lambda: stored() == 30, what="30 observations stored")
    assert worker.stats.observations == 30
    response = ngsi(hub.alice_rw).get(f"entities/{SENSOR}")
    assert response.status_code == 200
    body = response.json()
    # The last reading (value 29 at 00:29) is the entity's current state.
    pm25 = next(v for k, v in body.items() if k.endswith("pm25"))
    assert pm25["value"] == 29.0


def test_malformed_messages_go_to_the_dead_letter_store(hub: Hub) -> None:
    make_sensor(hub.tenant_a)
    prefix = unique("mutualis-test")
    with running_worker(
        operator_id=hub.cast.operator.pk, prefix=prefix, client_id=unique("ingest")
    ) as worker:
        with publisher() as pub:
            publish_all(pub, f"{prefix}/{hub.tenant_a.name}/observations", [b"{oops", *readings_payloads(2)])
            publish_all(pub, f"{prefix}/nobody/observations", readings_payloads(1))
        wait_for(
            lambda: DeadLetter.objects.count() == 2 and stored() == 2, what="2 dead letters and 2 values"
        )
    assert sorted(DeadLetter.objects.values_list("reason", flat=True)) == ["invalid_json", "unknown_tenant"]
    assert worker.stats.rejected == 2


def test_nothing_is_lost_while_the_database_fails(hub: Hub) -> None:
    """Writes fail for the first attempts (the database is down); the worker keeps the
    batch unacknowledged, retries, and every message ends up stored exactly once."""
    make_sensor(hub.tenant_a)
    failures = {"left": 4}

    def flaky_ingest(**kwargs):  # type: ignore[no-untyped-def]
        if failures["left"] > 0:
            failures["left"] -= 1
            raise OperationalError("connection to server at 127.0.0.1:5432 refused (simulated outage)")
        return ingest_messages(**kwargs)

    prefix = unique("mutualis-test")
    with running_worker(
        operator_id=hub.cast.operator.pk, prefix=prefix, client_id=unique("ingest"), ingest=flaky_ingest
    ) as worker:
        with publisher() as pub:
            publish_all(pub, f"{prefix}/{hub.tenant_a.name}/observations", readings_payloads(100))
        wait_for(lambda: stored() == 100, what="100 observations stored after the outage")
    assert worker.stats.database_failures == 4
    assert stored() == 100
    assert sorted(AttributeInstance.objects.values_list("number", flat=True)) == [
        float(i) for i in range(100)
    ]


def test_unacknowledged_messages_are_redelivered_without_duplicates(hub: Hub) -> None:
    """A worker that wrote a batch but died before acknowledging it: the broker delivers the
    batch again to the next worker of the same session, which writes nothing twice."""
    make_sensor(hub.tenant_a)
    prefix, client_id = unique("mutualis-test"), unique("ingest")
    with running_worker(operator_id=hub.cast.operator.pk, prefix=prefix, client_id=client_id) as first:
        first.client.ack = lambda mid, qos: None  # type: ignore[method-assign]  # dies before acknowledging
        with publisher() as pub:
            publish_all(pub, f"{prefix}/{hub.tenant_a.name}/observations", readings_payloads(20))
        wait_for(lambda: stored() == 20, what="20 observations written by the first worker")
    with running_worker(operator_id=hub.cast.operator.pk, prefix=prefix, client_id=client_id) as second:
        wait_for(lambda: second.stats.messages >= 20, what="the 20 messages delivered again")
    assert stored() == 20


def test_the_worker_command_needs_a_known_operator(hub: Hub) -> None:
    with pytest.raises(CommandError, match="--operator"):
        call_command("ingest_mqtt", "--operator", "no-such-operator")
    # Two operators in the cast: the command cannot guess which.
    with pytest.raises(CommandError, match="--operator"):
        call_command("ingest_mqtt")
