"""A rejected message received again is the dead letter already kept, counted on it: a
QoS 1 message whose PUBACK was lost is delivered again (MQTT 3.1.1 §4.3.2, DUP §3.3.1.1),
a device posts the same body again. It made a second letter, inflating the count of
rejected messages (no reading was lost). Over MQTT, with the real broker, see
test_ingestion_mqtt.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from mutualis.datahub.ingestion.receive import ingest_batch
from mutualis.datahub.models import DeadLetter
from tests.datahub.conftest import Hub
from tests.datahub.test_ingestion import make_sensor, message, reading

pytestmark = pytest.mark.django_db

FIRST = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def test_the_same_rejected_message_received_again_is_counted_on_its_letter(hub: Hub) -> None:
    operator = hub.cast.operator.pk
    bad = message(hub.tenant_a, raw=b"{oops")
    first = ingest_batch(operator_id=operator, messages=[bad], now=FIRST)
    # Delivered again hours later (the worker was down; the broker kept the session).
    again = ingest_batch(operator_id=operator, messages=[bad], now=FIRST + timedelta(hours=5))
    letter = DeadLetter.objects.get()
    assert (letter.times_seen, letter.received_at, letter.last_seen_at) == (
        2,
        FIRST,
        FIRST + timedelta(hours=5),
    )
    assert (first.rejected, first.repeated) == (1, 0)
    assert (again.rejected, again.repeated) == (1, 1)


def test_the_same_message_twice_in_one_batch_is_one_letter_seen_twice(hub: Hub) -> None:
    bad = message(hub.tenant_a, raw=b"{oops")
    ingest_batch(operator_id=hub.cast.operator.pk, messages=[bad, bad], now=FIRST)
    assert list(DeadLetter.objects.values_list("times_seen", flat=True)) == [2]


def test_two_readings_with_the_same_fault_stay_two_letters_when_redelivered(hub: Hub) -> None:
    """One message, two readings refused for the same reason: two letters (as before), and
    its redelivery counts on each rather than making two more."""
    make_sensor(hub.tenant_a)
    twice = message(
        hub.tenant_a,
        reading(1.0, sensor="urn:ngsi-ld:AirQualityObserved:nowhere"),
        reading(1.0, sensor="urn:ngsi-ld:AirQualityObserved:nowhere"),
        reading(2.0),
    )
    for hours in (0, 1):
        report = ingest_batch(
            operator_id=hub.cast.operator.pk, messages=[twice], now=FIRST + timedelta(hours=hours)
        )
        assert report.rejected == 2
    assert list(DeadLetter.objects.values_list("reason", "times_seen")) == [
        ("unknown_sensor", 2),
        ("unknown_sensor", 2),
    ]


def test_different_payloads_topics_or_tenants_are_different_letters(hub: Hub) -> None:
    operator = hub.cast.operator.pk
    ingest_batch(
        operator_id=operator,
        messages=[
            message(hub.tenant_a, raw=b"{oops"),
            message(hub.tenant_a, raw=b"{oops!"),
            message(hub.tenant_b, raw=b"{oops"),
        ],
        now=FIRST,
    )
    assert DeadLetter.objects.count() == 3
    assert set(DeadLetter.objects.values_list("times_seen", flat=True)) == {1}


def test_a_device_posting_the_same_refused_body_again_is_told_again(hub: Hub, ngsi) -> None:  # type: ignore[no-untyped-def]
    """The device is told each time what was refused; the store keeps one letter."""
    body = json.dumps([reading(1.0, sensor="urn:ngsi-ld:AirQualityObserved:nowhere")])
    for _attempt in range(2):
        response = ngsi(hub.alice_rw).post("/ingest/v1/observations", body)
        assert response.status_code == 400
        assert response.json()["rejected"] == 1
    assert list(DeadLetter.objects.values_list("source", "times_seen")) == [("http", 2)]


def test_the_back_office_shows_how_many_times_a_letter_came(hub: Hub, as_user) -> None:  # type: ignore[no-untyped-def]
    bad = message(hub.tenant_a, raw=b"{oops")
    for hours in (0, 3, 7):
        ingest_batch(operator_id=hub.cast.operator.pk, messages=[bad], now=FIRST + timedelta(hours=hours))
    letter = DeadLetter.objects.get()
    page = as_user(hub.cast.olivia).get("/backoffice/datahub/deadletter/").content.decode()
    assert "nombre de réceptions" in page.lower()
    detail = (
        as_user(hub.cast.olivia).get(f"/backoffice/datahub/deadletter/{letter.pk}/change/").content.decode()
    )
    assert "dernière réception" in detail.lower()
    assert letter.times_seen == 3
    # The outsider operator sees none of it.
    outsider = as_user(hub.cast.oscar).get("/backoffice/datahub/deadletter/").content.decode()
    assert "oops" not in outsider
