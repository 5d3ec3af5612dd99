"""Two workers bringing readings of the same sensor at the same instant, on the real
PostgreSQL server: the alert opens exactly one ticket (collected only when the suite runs
on PostgreSQL, see conftest.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mutualis.datahub import services
from mutualis.datahub.alerts.kept_tickets import forget_spent
from mutualis.datahub.alerts.sweep import alert_sweep
from mutualis.datahub.models import AlertState, DeletedSensorTicket
from mutualis.datahub.models.alerts import AlertStatus
from mutualis.datahub.ngsild.timestamps import format_instant
from tests.datahub.conftest import Alerts
from tests.datahub.test_alerts import (
    LEVEL,
    T0,
    _flood_sensor,
    _rule,
    _tickets,
)
from tests.threads import together

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _batch(a: Alerts, entity_id: str, entity_type: str, value: float, minute: int):  # type: ignore[no-untyped-def]
    at = T0 + timedelta(minutes=minute)

    def run() -> list[str]:
        reading = {"type": "Property", "value": value, "observedAt": format_instant(at)}
        result = services.record_observations(
            tenant=a.tenant,
            entities=[{"id": entity_id, "type": [entity_type], "attrs": {LEVEL: [reading]}}],
            now=at,
        )
        return result.success

    return run


def test_two_batches_raising_the_same_alert_at_once_open_one_ticket(alerts: Alerts) -> None:
    sensor = _flood_sensor(alerts)
    _rule(alerts, for_minutes=0)
    for round_ in range(5):
        minute = round_ * 10
        results = together(
            [
                _batch(alerts, sensor.entity_id, sensor.type, 2.6, minute),
                _batch(alerts, sensor.entity_id, sensor.type, 2.7, minute),
            ]
        )
        assert results == [[sensor.entity_id], [sensor.entity_id]]
        assert len(_tickets(alerts)) == 1
        # Back to normal, so that the next round starts a new excursion while the ticket
        # is open: a note each time, never a second ticket.
        _batch(alerts, sensor.entity_id, sensor.type, 1.0, minute + 5)()
    [ticket] = _tickets(alerts)
    assert ticket.comments.filter(body__contains="se déclenche de nouveau").count() == 4


def test_the_sweep_and_a_batch_firing_the_same_pending_alert_open_one_ticket(alerts: Alerts) -> None:
    sensor = _flood_sensor(alerts)
    _rule(alerts, for_minutes=10)
    _batch(alerts, sensor.entity_id, sensor.type, 2.6, 0)()
    assert AlertState.objects.get().status == AlertStatus.PENDING
    together(
        [
            _batch(alerts, sensor.entity_id, sensor.type, 2.8, 10),
            lambda: alert_sweep(now=T0 + timedelta(minutes=10)),
        ]
    )
    assert len(_tickets(alerts)) == 1
    assert AlertState.objects.get().status == AlertStatus.FIRING


def test_two_batches_firing_a_sensor_created_again_at_once_go_on_with_its_open_ticket(
    alerts: Alerts,
) -> None:
    """The sensor deleted while its alert fired, created again under the same id: two
    workers bringing its first readings beyond at the same instant neither open a second
    ticket nor tell the open one twice."""
    sensor = _flood_sensor(alerts)
    _rule(alerts, for_minutes=0)
    _batch(alerts, sensor.entity_id, sensor.type, 2.6, 0)()
    [ticket] = _tickets(alerts)
    for round_ in range(3):
        minute = 10 + round_ * 10
        services.delete_entity(
            tenant=alerts.tenant, entity_id=sensor.entity_id, now=T0 + timedelta(minutes=minute)
        )
        again = _flood_sensor(alerts)
        results = together(
            [
                _batch(alerts, again.entity_id, again.type, 2.6, minute + 1),
                _batch(alerts, again.entity_id, again.type, 2.7, minute + 1),
            ]
        )
        assert results == [[again.entity_id], [again.entity_id]]
        assert _tickets(alerts) == [ticket]
        assert AlertState.objects.get().ticket == ticket
    assert ticket.comments.filter(body__contains="a été recréé sous le même identifiant").count() == 3
    assert ticket.comments.filter(body__contains="a été supprimé").count() == 3


def test_the_daily_job_forgetting_a_kept_ticket_as_the_sensor_created_again_fires_opens_one_ticket(
    alerts: Alerts, settings
) -> None:
    """The job forgets the ticket of a sensor deleted 91 days ago at the instant the sensor,
    created again, brings its first reading beyond: whichever comes first, the sensor gets
    a ticket of its own (the lookup holds to the same window), one only, and the old
    ticket, still open, hears nothing of it."""
    settings.DATAHUB_DELETED_SENSOR_TICKET_KEEP_DAYS = 90
    sensor = _flood_sensor(alerts)
    _rule(alerts, for_minutes=0)
    _batch(alerts, sensor.entity_id, sensor.type, 2.6, 0)()
    for round_ in range(5):
        [*_, old] = _tickets(alerts)
        deleted = (round_ * 100 + 1) * 24 * 60  # minutes after T0
        services.delete_entity(
            tenant=alerts.tenant, entity_id=sensor.entity_id, now=T0 + timedelta(minutes=deleted)
        )
        again = _flood_sensor(alerts)
        back = deleted + 91 * 24 * 60
        forgotten, fired = together(
            [
                lambda at=back: forget_spent(now=T0 + timedelta(minutes=at)),
                _batch(alerts, again.entity_id, again.type, 2.6, back),
            ]
        )
        assert forgotten in (0, 1)  # 0: the firing used (and refused) the row first
        assert fired == [again.entity_id]
        *_, new = _tickets(alerts)
        assert len(_tickets(alerts)) == round_ + 2
        assert new != old
        assert AlertState.objects.get().ticket == new
        assert not DeletedSensorTicket.objects.exists()
        assert not old.comments.filter(body__contains="a été recréé sous le même identifiant").exists()
