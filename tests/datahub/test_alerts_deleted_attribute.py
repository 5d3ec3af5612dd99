"""The watched attribute deleted from a sensor while its alert is in progress (NGSI-LD
5.6.5 Delete Attribute, 5.6.18 Replace Entity, 5.6.17 Merge Entity, 5.6.8 Batch Upsert
with options=replace).

The alert stayed firing with no note: no value could ever come to clear it, and the
technician kept waiting for a "back to normal" note."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from urllib.parse import quote, urlencode

import pytest

from mutualis.datahub import services
from mutualis.datahub.alerts.sweep import alert_sweep
from mutualis.datahub.models import AlertState, Entity
from mutualis.datahub.models.alerts import AlertStatus
from mutualis.datahub.ngsild.timestamps import format_instant
from mutualis.datahub.selectors import entity_from_row
from mutualis.servicedesk.models import TicketState
from tests.datahub.conftest import Alerts, NgsiClient
from tests.datahub.test_alerts import (
    LEVEL,
    T0,
    _flood_sensor,
    _level,
    _rule,
    _tickets,
)

pytestmark = pytest.mark.django_db


def _attr_path(entity: Entity) -> str:
    return f"entities/{entity.entity_id}/attrs/{quote(LEVEL, safe='')}"


def _backup_instance(alerts: Alerts, sensor: Entity) -> None:
    """A second instance of the level, from a backup gauge (NGSI-LD datasetId)."""
    services.append_attributes(
        tenant=alerts.tenant,
        entity_id=sensor.entity_id,
        attrs={LEVEL: [{"type": "Property", "value": 0.4, "datasetId": "urn:ngsi-ld:Dataset:backup"}]},
        now=T0 + timedelta(minutes=1),
    )
    assert len(Entity.objects.get(pk=sensor.pk).attributes[LEVEL]) == 2


def _assert_told(alerts: Alerts) -> None:
    """One note on the open ticket, the ticket left open, the alert over."""
    [ticket] = _tickets(alerts)
    [note] = ticket.comments.all()
    assert note.internal
    assert "currentLevel" in note.body
    assert "Capteur seine-1" in note.body
    assert "a été supprimé" in note.body
    assert "ne peut plus revenir à la normale" in note.body
    ticket.refresh_from_db()
    # Nobody saw the values come back: a technician checks before resolving it.
    assert ticket.state == TicketState.NEW
    assert AlertState.objects.get().status == AlertStatus.NORMAL


def test_deleting_the_watched_attribute_through_the_api_notes_the_ticket_and_ends_the_alert(
    alerts: Alerts, ngsi: Callable[..., NgsiClient]
) -> None:
    sensor = _flood_sensor(alerts)
    _rule(alerts, for_minutes=0, resolve_when_clear=True)
    _level(alerts, sensor, 2.6, 0)
    response = ngsi(alerts.hub.alice_rw).delete(_attr_path(sensor))
    assert response.status_code == 204, response.content
    _assert_told(alerts)
    alert_sweep(now=T0 + timedelta(hours=1))  # nothing raised again for an attribute that is gone
    [ticket] = _tickets(alerts)
    assert ticket.comments.count() == 1


def test_delete_all_instances_ends_the_alert_too(alerts: Alerts, ngsi: Callable[..., NgsiClient]) -> None:
    sensor = _flood_sensor(alerts)
    _rule(alerts, for_minutes=0)
    _level(alerts, sensor, 2.6, 0)
    _backup_instance(alerts, sensor)
    response = ngsi(alerts.hub.alice_rw).delete(_attr_path(sensor) + "?deleteAll=true")
    assert response.status_code == 204, response.content
    assert LEVEL not in Entity.objects.get(pk=sensor.pk).attributes
    _assert_told(alerts)


def test_deleting_another_dataset_instance_leaves_the_alert_alone(
    alerts: Alerts, ngsi: Callable[..., NgsiClient]
) -> None:
    """Rules judge the default instance (no datasetId): deleting another one leaves the
    judged value there, and the alert goes on."""
    sensor = _flood_sensor(alerts)
    _rule(alerts, for_minutes=0)
    _level(alerts, sensor, 2.6, 0)
    _backup_instance(alerts, sensor)
    query = urlencode({"datasetId": "urn:ngsi-ld:Dataset:backup"})
    response = ngsi(alerts.hub.alice_rw).delete(f"{_attr_path(sensor)}?{query}")
    assert response.status_code == 204, response.content
    [ticket] = _tickets(alerts)
    assert not ticket.comments.exists()
    assert AlertState.objects.get().status == AlertStatus.FIRING


def test_a_later_value_is_judged_afresh(alerts: Alerts) -> None:
    """Normal after the deletion: a value within opens and notes nothing; a value beyond
    is a new excursion (a note on the ticket while it is open, a new ticket once it is
    resolved)."""
    sensor = _flood_sensor(alerts)
    _rule(alerts, for_minutes=0)
    _level(alerts, sensor, 2.6, 0)
    services.delete_attribute(
        tenant=alerts.tenant, entity_id=sensor.entity_id, attr_iri=LEVEL, now=T0 + timedelta(minutes=5)
    )
    [ticket] = _tickets(alerts)
    assert ticket.comments.count() == 1
    _level(alerts, sensor, 1.0, 10)  # within: nothing to say, though "back to normal" it is
    assert ticket.comments.count() == 1
    ticket.state = TicketState.RESOLVED  # the technician checked on site
    ticket.save(update_fields=["state"])
    _level(alerts, sensor, 2.9, 20)
    old, new = _tickets(alerts)
    assert old == ticket
    state = AlertState.objects.get()
    assert (state.status, state.ticket) == (AlertStatus.FIRING, new)


def test_a_pending_excursion_ends_without_a_ticket(alerts: Alerts) -> None:
    sensor = _flood_sensor(alerts)
    _rule(alerts, for_minutes=30)
    _level(alerts, sensor, 2.6, 0)
    assert AlertState.objects.get().status == AlertStatus.PENDING
    services.delete_attribute(
        tenant=alerts.tenant, entity_id=sensor.entity_id, attr_iri=LEVEL, now=T0 + timedelta(minutes=5)
    )
    assert AlertState.objects.get().status == AlertStatus.NORMAL
    alert_sweep(now=T0 + timedelta(hours=1))  # the 30 minutes pass: nothing fires
    assert _tickets(alerts) == []


def test_a_replace_entity_without_the_attribute_ends_the_alert(
    alerts: Alerts, ngsi: Callable[..., NgsiClient]
) -> None:
    sensor = _flood_sensor(alerts)
    _rule(alerts, for_minutes=0)
    _level(alerts, sensor, 2.6, 0)
    response = ngsi(alerts.hub.alice_rw).put(
        f"entities/{sensor.entity_id}",
        {
            "id": sensor.entity_id,
            "type": sensor.type,
            "https://smartdatamodels.org/name": {"type": "Property", "value": "Capteur seine-1"},
        },
    )
    assert response.status_code == 204, response.content
    _assert_told(alerts)


def test_a_replace_entity_keeping_the_attribute_judges_its_value(alerts: Alerts) -> None:
    """The attribute is still there: its value is judged as any reading (still beyond,
    the alert goes on, nothing said)."""
    sensor = _flood_sensor(alerts)
    _rule(alerts, for_minutes=0)
    _level(alerts, sensor, 2.6, 0)
    entity = entity_from_row(Entity.objects.get(pk=sensor.pk))
    entity["attrs"][LEVEL] = [
        {"type": "Property", "value": 2.7, "observedAt": format_instant(T0 + timedelta(minutes=2))}
    ]
    services.replace_entity(
        tenant=alerts.tenant, entity_id=sensor.entity_id, entity=entity, now=T0 + timedelta(minutes=2)
    )
    [ticket] = _tickets(alerts)
    assert not ticket.comments.exists()
    assert AlertState.objects.get().status == AlertStatus.FIRING


def test_a_merge_with_null_ends_the_alert(alerts: Alerts) -> None:
    sensor = _flood_sensor(alerts)
    _rule(alerts, for_minutes=0)
    _level(alerts, sensor, 2.6, 0)
    services.merge_entity(
        tenant=alerts.tenant,
        entity_id=sensor.entity_id,
        attrs={LEVEL: [{"type": "Property", "value": "urn:ngsi-ld:null"}]},
        now=T0 + timedelta(minutes=5),
    )
    _assert_told(alerts)


def test_a_batch_upsert_replacing_without_the_attribute_ends_the_alert(alerts: Alerts) -> None:
    sensor = _flood_sensor(alerts)
    _rule(alerts, for_minutes=0)
    _level(alerts, sensor, 2.6, 0)
    entity = entity_from_row(Entity.objects.get(pk=sensor.pk))
    del entity["attrs"][LEVEL]
    result = services.upsert_entities(
        tenant=alerts.tenant, entities=[entity], replace=True, now=T0 + timedelta(minutes=5)
    )
    assert result.success == [sensor.entity_id]
    _assert_told(alerts)


def test_a_batch_dropping_then_bringing_back_the_attribute_judges_the_new_value(alerts: Alerts) -> None:
    """An id given twice in a batch is applied in order: the alert ends with the attribute,
    and the value brought back after it is judged afresh (beyond: a new excursion, noted
    on the ticket still open)."""
    sensor = _flood_sensor(alerts)
    _rule(alerts, for_minutes=0)
    _level(alerts, sensor, 2.6, 0)
    without = entity_from_row(Entity.objects.get(pk=sensor.pk))
    del without["attrs"][LEVEL]
    back = {**without, "attrs": {**without["attrs"], LEVEL: [{"type": "Property", "value": 2.9}]}}
    result = services.upsert_entities(
        tenant=alerts.tenant, entities=[without, back], replace=True, now=T0 + timedelta(minutes=5)
    )
    assert result.success == [sensor.entity_id]
    [ticket] = _tickets(alerts)
    deleted, again = ticket.comments.order_by("pk")
    assert "a été supprimé" in deleted.body
    assert "2.9" in again.body
    state = AlertState.objects.get()
    assert (state.status, state.last_value) == (AlertStatus.FIRING, 2.9)


def test_another_members_agent_cannot_delete_the_attribute_nor_note_the_ticket(
    alerts: Alerts, ngsi: Callable[..., NgsiClient]
) -> None:
    sensor = _flood_sensor(alerts)
    _rule(alerts, for_minutes=0)
    _level(alerts, sensor, 2.6, 0)
    response = ngsi(alerts.hub.charlie_rw).delete(_attr_path(sensor))
    assert response.status_code == 404
    assert LEVEL in Entity.objects.get(pk=sensor.pk).attributes
    assert AlertState.objects.get().status == AlertStatus.FIRING
    [ticket] = _tickets(alerts)
    assert not ticket.comments.exists()
