"""A sensor deleted from the hub while its alert is in progress (NGSI-LD 5.6.6 Delete
Entity, 5.6.10 Batch Entity Delete).

The alert's state went with the entity (cascade) and its ticket heard nothing: the
technician kept waiting for a "back to normal" note that could never come."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from mutualis.datahub import services
from mutualis.datahub import smart_data_models as sdm
from mutualis.datahub.alerts.sweep import alert_sweep
from mutualis.datahub.models import AlertState, Entity
from mutualis.datahub.models.alerts import AlertStatus
from mutualis.servicedesk.models import TicketState
from tests.datahub.conftest import Hub, NgsiClient
from tests.datahub.test_alerts import (
    T0,
    Alerts,
    _flood_sensor,
    _level,
    _rule,
    _sensor,
    _tickets,
    make_alerts,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def alerts(hub: Hub) -> Alerts:
    return make_alerts(hub)


def test_deleting_a_sensor_through_the_api_notes_its_open_ticket(
    alerts: Alerts, ngsi: Callable[..., NgsiClient]
) -> None:
    sensor = _flood_sensor(alerts)
    _rule(alerts, for_minutes=0, resolve_when_clear=True)
    _level(alerts, sensor, 2.6, 0)
    [ticket] = _tickets(alerts)
    response = ngsi(alerts.hub.alice_rw).delete(f"entities/{sensor.entity_id}")
    assert response.status_code == 204, response.content
    [note] = ticket.comments.all()
    assert note.internal  # for the operator's staff, not the member
    assert "Capteur seine-1" in note.body
    assert "a été supprimé" in note.body
    assert "ne peut plus revenir à la normale" in note.body
    assert "Crue de la Seine" in note.body
    ticket.refresh_from_db()
    # Nobody saw the values come back: a technician checks before resolving it.
    assert ticket.state == TicketState.NEW
    assert not AlertState.objects.exists()
    alert_sweep(now=T0 + timedelta(hours=1))  # nothing raised again for a sensor that is gone
    assert _tickets(alerts) == [ticket]
    assert ticket.comments.count() == 1


def test_another_members_agent_cannot_delete_the_sensor_nor_note_the_ticket(
    alerts: Alerts, ngsi: Callable[..., NgsiClient]
) -> None:
    sensor = _flood_sensor(alerts)
    _rule(alerts, for_minutes=0)
    _level(alerts, sensor, 2.6, 0)
    [ticket] = _tickets(alerts)
    response = ngsi(alerts.hub.charlie_rw).delete(f"entities/{sensor.entity_id}")
    assert response.status_code == 404
    assert Entity.objects.filter(pk=sensor.pk).exists()
    assert AlertState.objects.get().status == AlertStatus.FIRING
    assert not ticket.comments.exists()


def test_a_batch_delete_notes_each_open_ticket_once_and_leaves_ended_ones_alone(alerts: Alerts) -> None:
    first = _flood_sensor(alerts)
    second = _sensor(alerts, sdm.FLOOD_MONITORING, "seine-2", {}, asset=None)
    quiet = _sensor(alerts, sdm.FLOOD_MONITORING, "seine-3", {}, asset=None)
    waiting = _sensor(alerts, sdm.FLOOD_MONITORING, "seine-4", {}, asset=None)
    _rule(alerts, for_minutes=0)
    _rule(alerts, name="Crue lente", for_minutes=30)
    _level(alerts, first, 2.6, 0)  # fires the first rule, pending for the second
    _level(alerts, second, 2.7, 0)
    _level(alerts, quiet, 1.0, 0)
    _level(alerts, waiting, 1.0, 0)
    one, two = _tickets(alerts)
    two.state = TicketState.RESOLVED  # dealt with already: no note on it
    two.save(update_fields=["state"])
    result = services.delete_entities(
        tenant=alerts.tenant, ids=[first.entity_id, second.entity_id, quiet.entity_id], now=T0
    )
    assert len(result.success) == 3
    [note] = one.comments.all()
    assert "Capteur seine-1" in note.body
    assert not two.comments.exists()
    assert set(AlertState.objects.values_list("entity_id", flat=True)) == set()
    alert_sweep(now=T0 + timedelta(hours=1))  # the pending "Crue lente" went with its sensor
    assert len(_tickets(alerts)) == 2


def test_a_sensor_created_again_under_the_same_id_is_watched_afresh(alerts: Alerts) -> None:
    """The deleted sensor's ticket keeps its note and hears nothing more; the sensor
    created again starts normal and, beyond the threshold, opens a ticket of its own."""
    sensor = _flood_sensor(alerts)
    _rule(alerts, for_minutes=0)
    _level(alerts, sensor, 2.6, 0)
    [old] = _tickets(alerts)
    services.delete_entity(tenant=alerts.tenant, entity_id=sensor.entity_id, now=T0 + timedelta(minutes=5))
    again = _flood_sensor(alerts)
    assert again.entity_id == sensor.entity_id
    _level(alerts, again, 1.0, 10)
    assert not AlertState.objects.exists()  # normal: nothing carried over from the deleted one
    _level(alerts, again, 2.9, 20)
    old_ticket, new_ticket = _tickets(alerts)
    assert old_ticket == old
    assert old.comments.count() == 1  # the deletion's note, nothing from the new sensor
    state = AlertState.objects.get()
    assert (state.entity_id, state.ticket, state.status) == (again.pk, new_ticket, AlertStatus.FIRING)
    _level(alerts, again, 1.0, 30)
    assert old.comments.count() == 1
    assert new_ticket.comments.count() == 1
