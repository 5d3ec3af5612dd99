"""Two workers bringing readings of the same sensor at the same instant, on the real
PostgreSQL server: the alert opens exactly one ticket (collected only when the suite runs
on PostgreSQL, see conftest.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mutualis.datahub import services
from mutualis.datahub.alerts.sweep import alert_sweep
from mutualis.datahub.models import AlertState
from mutualis.datahub.models.alerts import AlertStatus
from mutualis.datahub.ngsild.timestamps import format_instant
from tests.datahub.conftest import Hub
from tests.datahub.test_alerts import (
    LEVEL,
    T0,
    Alerts,
    _flood_sensor,
    _rule,
    _tickets,
    make_alerts,
)
from tests.threads import together

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def alerts(hub: Hub) -> Alerts:
    return make_alerts(hub)


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
