"""The MQTT worker's database connection ended by the server (pg_terminate_backend, as an
administrator, a failover or a restart ends it), on the real PostgreSQL server and the real
broker: collected only when the suite runs on PostgreSQL (see conftest.py).

This held before these tests were written; they keep it so with a real termination rather
than a simulated error (test_ingestion_mqtt.py simulates the database refusing writes)."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection

from mutualis.datahub import services
from mutualis.datahub.ingestion.receive import ingest_batch
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
from tests.datahub.test_ingestion import make_sensor
from tests.datahub.test_ingestion_mqtt import readings_payloads, stored

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _broker() -> None:
    require_broker()


def terminate_the_backend_of_this_thread() -> None:
    """End this thread's server session from another session, as an administrator would."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    settings = connection.settings_dict
    with psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        password=settings["PASSWORD"] or None,
        autocommit=True,
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


def test_sessions_ended_by_the_server_lose_nothing_and_duplicate_nothing(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker's session is ended twice: between two batches (the next batch finds its
    connection dead) and in the middle of a batch's transaction, after part of its
    readings was written. Both batches stay unacknowledged, are written again on a new
    connection, and every reading is in the history exactly once."""
    make_sensor(hub.tenant_a)
    ends = {"between": 1, "within": 1}

    def ingest_on_a_dead_connection(**kwargs):  # type: ignore[no-untyped-def]
        if ends["between"]:
            ends["between"] -= 1
            terminate_the_backend_of_this_thread()
        return ingest_batch(**kwargs)

    record_observations = services.record_observations

    def record_then_lose_the_connection(**kwargs):  # type: ignore[no-untyped-def]
        result = record_observations(**kwargs)
        if ends["within"] and not ends["between"]:
            ends["within"] -= 1
            terminate_the_backend_of_this_thread()  # before the transaction commits
        return result

    monkeypatch.setattr(services, "record_observations", record_then_lose_the_connection)
    prefix = unique("mutualis-test")
    with running_worker(
        operator_id=hub.cast.operator.pk,
        prefix=prefix,
        client_id=unique("ingest"),
        ingest=ingest_on_a_dead_connection,
    ) as worker:
        with publisher() as pub:
            publish_all(pub, f"{prefix}/{hub.tenant_a.name}/observations", readings_payloads(60))
        wait_for(lambda: stored() == 60, what="60 observations stored")
        wait_for(lambda: worker.stats.acknowledged == 60, what="the 60 messages acknowledged")
    assert worker.stats.database_failures == 2
    assert ends == {"between": 0, "within": 0}
    assert sorted(AttributeInstance.objects.values_list("number", flat=True)) == [float(i) for i in range(60)]
    assert not DeadLetter.objects.exists()
