"""The database out of reach, for real, on the PostgreSQL server: the request's session
ended by the server (pg_terminate_backend, as a restart or a failover ends it) or the
server refusing connections (the settings pointed at a port nothing listens on).
Every reader is told 503 with Retry-After (RFC 9110 §15.6.4, §10.2.3): the NGSI-LD API, a
device posting readings, the REST API, a person's page; a genuine database error stays a
500. Collected only when the suite runs on PostgreSQL (see conftest.py)."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection
from django.test import Client

from mutualis.datahub.ingestion import views as ingestion_views
from mutualis.datahub.models import AttributeInstance, DeadLetter
from tests.datahub.conftest import Hub
from tests.datahub.test_ingestion import PM25, SENSOR, make_sensor, reading
from tests.datahub.test_ingestion_mqtt_postgres import terminate_the_backend_of_this_thread

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@contextmanager
def refusing_connections() -> Iterator[None]:
    """The database settings pointed at a port of this machine nothing listens on: every
    connection is refused, as when the server is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings = connection.settings_dict
    port = settings["PORT"]
    connection.close()
    settings["PORT"] = closed_port
    try:
        yield
    finally:
        connection.close()
        settings["PORT"] = port


def outage_logged(caplog: pytest.LogCaptureFixture) -> bool:
    return any(
        r.name == "mutualis.lib.database_outage" and r.levelno == logging.ERROR and "503" in r.getMessage()
        for r in caplog.records
    )


def assert_unavailable(response, *, content_type: str) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == 503, response.content[:500]
    assert int(response["Retry-After"]) > 0
    assert response["Content-Type"] == content_type
    body = json.loads(response.content)
    assert body["status"] == 503
    return body


def test_ngsi_ld_answers_503_when_the_session_is_ended(hub: Hub, ngsi, caplog) -> None:  # type: ignore[no-untyped-def]
    make_sensor(hub.tenant_a)
    terminate_the_backend_of_this_thread()
    response = ngsi(hub.alice_rw).get(f"entities/{SENSOR}")
    body = assert_unavailable(response, content_type="application/json")
    assert body["type"] == "https://uri.etsi.org/ngsi-ld/errors/InternalError"
    assert outage_logged(caplog)
    connection.close()
    # The server back, the same request is answered.
    assert ngsi(hub.alice_rw).get(f"entities/{SENSOR}").status_code == 200


def test_ngsi_ld_answers_503_when_the_server_refuses_connections(hub: Hub, ngsi, caplog) -> None:  # type: ignore[no-untyped-def]
    with refusing_connections():
        response = ngsi(hub.alice_rw).get("entities", type="AirQualityObserved")
    assert_unavailable(response, content_type="application/json")
    assert outage_logged(caplog)


def test_a_device_posting_readings_is_told_to_send_them_again(hub: Hub, ngsi) -> None:  # type: ignore[no-untyped-def]
    """Never a 200 with the readings lost: a 503 with Retry-After, and the readings sent
    again once the database answers are all written."""
    make_sensor(hub.tenant_a)
    body = [reading(float(i), at=f"2026-11-23T10:{i:02d}:00Z") for i in range(5)]
    with refusing_connections():
        refused = ngsi(hub.alice_rw).post("/ingest/v1/observations", body)
    assert_unavailable(refused, content_type="application/json")
    assert not AttributeInstance.objects.exists()
    resent = ngsi(hub.alice_rw).post("/ingest/v1/observations", body)
    assert resent.status_code == 200
    assert AttributeInstance.objects.filter(attribute__iri=PM25).count() == 5
    assert not DeadLetter.objects.exists()


def test_a_device_whose_session_ends_mid_write_is_told_to_send_again(
    hub: Hub, ngsi, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """The connection ended by the server after the request was authenticated, while the
    readings are being written: nothing is kept, and the device is told to retry."""
    make_sensor(hub.tenant_a)
    ingest_batch = ingestion_views.ingest_batch

    def ingest_on_an_ended_session(**kwargs):  # type: ignore[no-untyped-def]
        terminate_the_backend_of_this_thread()
        return ingest_batch(**kwargs)

    monkeypatch.setattr(ingestion_views, "ingest_batch", ingest_on_an_ended_session)
    response = ngsi(hub.alice_rw).post("/ingest/v1/observations", [reading(1.0)])
    assert_unavailable(response, content_type="application/json")
    connection.close()
    assert not AttributeInstance.objects.exists()
    assert not DeadLetter.objects.exists()


def test_a_genuine_database_error_stays_a_500(hub: Hub, ngsi, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    """A statement the server cancels (its timeout) is an OperationalError too, but the
    connection is fine: a defect to look at, a 500 logged with its traceback, not a 503."""

    def slow_ingest(**kwargs):  # type: ignore[no-untyped-def]
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 1")
            try:
                cursor.execute("SELECT pg_sleep(1)")
            finally:
                cursor.execute("SET statement_timeout = 0")

    monkeypatch.setattr(ingestion_views, "ingest_batch", slow_ingest)
    response = ngsi(hub.alice_rw).post("/ingest/v1/observations", [reading(1.0)])
    assert response.status_code == 500
    assert "Retry-After" not in response
    assert not outage_logged(caplog)
    assert any(r.exc_info and "QueryCanceled" in repr(r.exc_info[1].__cause__) for r in caplog.records)


def test_the_rest_api_answers_503(hub: Hub, caplog) -> None:  # type: ignore[no-untyped-def]
    from tests.api.support import issue_token

    _row, token = issue_token(hub.cast.alice)
    terminate_the_backend_of_this_thread()
    response = Client().get("/api/v1/sites/", headers={"Authorization": f"Bearer {token}"})
    connection.close()
    body = assert_unavailable(response, content_type="application/problem+json")
    assert body["type"].endswith("/database-unavailable")
    assert outage_logged(caplog)


def test_a_page_is_a_plain_french_503(hub: Hub, caplog) -> None:  # type: ignore[no-untyped-def]
    """The session itself cannot be read (in a middleware, before any view): Django's
    500 handler answers a page that needs no database."""
    browser = Client(raise_request_exception=False)
    browser.force_login(hub.cast.alice)
    with refusing_connections():
        response = browser.get("/tickets/")
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    page = response.content.decode()
    assert "Service temporairement indisponible" in page
    assert '<html lang="fr">' in page
    assert outage_logged(caplog)
