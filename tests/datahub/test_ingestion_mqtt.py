"""MQTT ingestion against the real broker (issue 7 clauses 1 and 6): publish → stored →
visible in NGSI-LD; malformed → dead letter; the database failing mid-stream → nothing lost;
redelivery → no duplicate."""

from __future__ import annotations

import json
import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError

from mutualis.datahub.ingestion.receive import ingest_batch, ingest_messages
from mutualis.datahub.models import AttributeInstance, DeadLetter
from tests.datahub.conftest import Hub
from tests.datahub.mqtt_support import (
    own_broker,
    publish_all,
    publisher,
    require_broker,
    running_worker,
    unique,
    wait_for,
)
from tests.datahub.test_ingestion import (  # noqa: F401 (poisoned_verbs: a fixture used here)
    PM25,
    POISON,
    SENSOR,
    make_sensor,
    poisoned_verbs,
    reading,
)

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
    # Every simulated outage was met and counted. The test's in-memory SQLite database
    # (shared cache, table locks) may refuse the worker's write once more while this thread
    # counts the rows ("database table is locked", seen under a loaded CI): another failure
    # the worker must retry too, hence "at least".
    assert failures["left"] == 0
    assert worker.stats.database_failures >= 4
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


def test_a_rejected_message_redelivered_is_one_dead_letter_seen_twice(hub: Hub) -> None:
    """A worker kept a rejected message as a dead letter, but its PUBACK never reached the
    broker (MQTT 3.1.1 §4.3.2: at least once): the broker delivers the message again to
    the next worker of the session, which counts it on the same letter."""
    prefix, client_id = unique("mutualis-test"), unique("ingest")
    with running_worker(operator_id=hub.cast.operator.pk, prefix=prefix, client_id=client_id) as first:
        first.client.ack = lambda mid, qos: None  # type: ignore[method-assign]  # the PUBACK is lost
        with publisher() as pub:
            publish_all(pub, f"{prefix}/{hub.tenant_a.name}/observations", [b"{oops"])
        wait_for(lambda: DeadLetter.objects.count() == 1, what="the dead letter of the first delivery")
    with running_worker(operator_id=hub.cast.operator.pk, prefix=prefix, client_id=client_id) as second:
        wait_for(lambda: second.stats.acknowledged == 1, what="the message delivered again")
    assert list(DeadLetter.objects.values_list("reason", "times_seen")) == [("invalid_json", 2)]
    assert (second.stats.rejected, second.stats.repeated) == (1, 1)


@pytest.mark.usefixtures("poisoned_verbs")
def test_a_message_the_write_fails_on_does_not_hold_up_the_stream(hub: Hub) -> None:
    """A message that failed the write whatever the database's health (here a verb
    refusing it as a database refuses a value; in the wild a NUL byte, which PostgreSQL
    refused in the dead letter itself) was taken for the database being down: the batch was
    retried for ever, nothing after it was written, and the broker, its queue full, dropped
    what came next. Now it is a dead letter and the stream goes on."""
    make_sensor(hub.tenant_a)
    make_sensor(hub.tenant_a, POISON)
    poison = json.dumps(reading(1.0, sensor=POISON)).encode()
    prefix = unique("mutualis-test")
    with running_worker(
        operator_id=hub.cast.operator.pk, prefix=prefix, client_id=unique("ingest")
    ) as worker:
        with publisher() as pub:
            topic = f"{prefix}/{hub.tenant_a.name}/observations"
            publish_all(pub, topic, [*readings_payloads(10), poison, b"abc\x00def"])
            publish_all(pub, topic, readings_payloads(10, start_minute=10))
        wait_for(
            lambda: stored() == 20 and DeadLetter.objects.count() == 2,
            what="20 observations and 2 dead letters",
        )
        wait_for(lambda: worker.stats.acknowledged == 22, what="the 22 messages acknowledged")
        assert not worker.stopping.is_set()
    assert sorted(DeadLetter.objects.values_list("reason", flat=True)) == ["invalid_json", "write_failed"]
    assert DeadLetter.objects.get(reason="invalid_json").payload == "abc\\x00def"


def test_the_worker_rides_a_broker_restart_and_stores_each_message_once(hub: Hub) -> None:
    """The broker restarts while the worker holds a batch it has not acknowledged yet, and
    more messages come once it is back: the worker reconnects to its session, the batch is
    delivered again, and every reading is in the history exactly once. (This held before;
    the test keeps it so, on a broker of the test's own.)"""
    make_sensor(hub.tenant_a)
    holding, restarted = threading.Event(), threading.Event()

    def ingest_once_restarted(**kwargs):  # type: ignore[no-untyped-def]
        holding.set()
        restarted.wait(30)  # the first batch is written only after the restart: its PUBACKs are lost
        return ingest_batch(**kwargs)

    prefix = unique("mutualis-test")
    topic = f"{prefix}/{hub.tenant_a.name}/observations"
    with (
        own_broker() as broker,
        running_worker(
            operator_id=hub.cast.operator.pk,
            prefix=prefix,
            client_id=unique("ingest"),
            ingest=ingest_once_restarted,
            port=broker.port,
        ) as worker,
    ):
        with publisher(port=broker.port) as pub:
            publish_all(pub, topic, readings_payloads(20))
        assert holding.wait(10), "the worker received nothing"
        broker.restart()
        restarted.set()
        wait_for(lambda: worker.subscribed.is_set(), what="the worker back at the broker")
        with publisher(port=broker.port) as pub:
            publish_all(pub, topic, readings_payloads(20, start_minute=20))
        wait_for(lambda: stored() == 40, what="40 observations stored")
        wait_for(lambda: worker.stats.messages >= 40, what="40 messages handled")
    minutes = sorted(
        at.hour * 60 + at.minute for at in AttributeInstance.objects.values_list("observed_at", flat=True)
    )
    assert minutes == list(range(40))


def test_the_worker_command_needs_a_known_operator(hub: Hub) -> None:
    with pytest.raises(CommandError, match="--operator"):
        call_command("ingest_mqtt", "--operator", "no-such-operator")
    # Two operators in the cast: the command cannot guess which.
    with pytest.raises(CommandError, match="--operator"):
        call_command("ingest_mqtt")
