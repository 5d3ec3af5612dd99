"""A sensor deleted from the hub while its alert is in progress (NGSI-LD 5.6.6 Delete
Entity, 5.6.10 Batch Entity Delete).

The alert's state went with the entity (cascade) and its ticket heard nothing: the
technician kept waiting for a "back to normal" note that could never come. The sensor
created again under the same id on the same site goes on with that ticket while it is
open."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from mutualis.datahub import services
from mutualis.datahub import smart_data_models as sdm
from mutualis.datahub.alerts.sweep import alert_sweep
from mutualis.datahub.models import AlertState, DeletedSensorTicket, Entity, Tenant
from mutualis.datahub.models.alerts import AlertStatus
from mutualis.datahub.ngsild.timestamps import format_instant
from mutualis.datahub.services import SITE_IRI, SITE_URN
from mutualis.registry.models import Site
from mutualis.servicedesk.models import Ticket, TicketState
from mutualis.servicedesk.services.handling import transition
from tests.datahub.conftest import Alerts, NgsiClient
from tests.datahub.test_alerts import (
    LEVEL,
    T0,
    _flood_sensor,
    _level,
    _rule,
    _sensor,
    _tickets,
)
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


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


def test_a_sensor_created_again_under_the_same_id_goes_on_with_its_open_ticket(alerts: Alerts) -> None:
    """The same id on the same site is the same equipment (deleted and provisioned again):
    its next alert opened a second ticket beside the one still open, and the technician
    had two tickets for one gauge."""
    sensor = _flood_sensor(alerts)
    _rule(alerts, for_minutes=0)
    _level(alerts, sensor, 2.6, 0)
    [ticket] = _tickets(alerts)
    services.delete_entity(tenant=alerts.tenant, entity_id=sensor.entity_id, now=T0 + timedelta(minutes=5))
    [deleted_note] = ticket.comments.all()
    assert "sa prochaine alerte se poursuivra dans cette demande" in deleted_note.body
    # As the rule's delete page would list it: the sensor's id and the ticket's number.
    assert (
        str(DeletedSensorTicket.objects.get())
        == f"Crue de la Seine / {sensor.entity_id} : n° {ticket.number}"
    )
    again = _flood_sensor(alerts)
    assert again.entity_id == sensor.entity_id
    _level(alerts, again, 1.0, 10)
    assert not AlertState.objects.exists()  # normal: nothing carried over from the deleted one
    _level(alerts, again, 2.9, 20)
    assert _tickets(alerts) == [ticket]
    _, note = ticket.comments.order_by("pk")
    assert note.internal
    assert "Capteur seine-1" in note.body
    assert "a été recréé sous le même identifiant sur ce site" in note.body
    assert "Crue de la Seine" in note.body
    assert "2.9 m" in note.body
    state = AlertState.objects.get()
    assert (state.entity_id, state.ticket, state.status) == (again.pk, ticket, AlertStatus.FIRING)
    assert str(state) == f"Crue de la Seine / {again.entity_id} : en alerte"
    _level(alerts, again, 1.0, 30)  # its return to normal reaches the same ticket
    assert "Retour à la normale" in ticket.comments.order_by("pk").last().body
    # Deleted while normal, the ticket still open, and created again: as the sensor left in
    # place would have, its next excursion goes on in the same ticket.
    services.delete_entity(tenant=alerts.tenant, entity_id=sensor.entity_id, now=T0 + timedelta(minutes=35))
    assert ticket.comments.count() == 3  # no alert in progress: nothing to say on deletion
    _level(alerts, _flood_sensor(alerts), 2.7, 40)
    assert _tickets(alerts) == [ticket]
    assert ticket.comments.count() == 4
    assert "a été recréé sous le même identifiant" in ticket.comments.order_by("pk").last().body


def test_a_sensor_created_again_after_its_ticket_was_resolved_opens_a_new_one(alerts: Alerts) -> None:
    sensor = _flood_sensor(alerts)
    _rule(alerts, for_minutes=0)
    _level(alerts, sensor, 2.6, 0)
    [old] = _tickets(alerts)
    services.delete_entity(tenant=alerts.tenant, entity_id=sensor.entity_id, now=T0 + timedelta(minutes=5))
    transition(ticket=old, to=TicketState.RESOLVED, by=alerts.hub.cast.olivia, as_staff=True)
    notes = old.comments.count()
    _level(alerts, _flood_sensor(alerts), 2.9, 20)
    old_ticket, new_ticket = _tickets(alerts)
    assert old_ticket == old
    assert old.comments.count() == notes  # dealt with: nothing more on it
    assert AlertState.objects.get().ticket == new_ticket


def test_a_sensor_created_again_goes_on_with_the_ticket_its_alert_was_merged_into(alerts: Alerts) -> None:
    sensor = _flood_sensor(alerts)
    _rule(alerts, for_minutes=0)
    _level(alerts, sensor, 2.6, 0)
    [alert_ticket] = _tickets(alerts)
    services.delete_entity(tenant=alerts.tenant, entity_id=sensor.entity_id, now=T0 + timedelta(minutes=5))
    declared = alerts.merged_into_a_declaration(alert_ticket)
    _level(alerts, _flood_sensor(alerts), 2.9, 20)
    assert _tickets(alerts) == [alert_ticket, declared]
    assert declared.comments.filter(body__contains="a été recréé sous le même identifiant").count() == 1
    assert AlertState.objects.get().ticket == declared


def test_a_sensor_created_again_on_another_site_opens_a_ticket_there(alerts: Alerts) -> None:
    sensor = _flood_sensor(alerts)
    _rule(alerts, for_minutes=0)
    _level(alerts, sensor, 2.6, 0)
    [old] = _tickets(alerts)
    services.delete_entity(tenant=alerts.tenant, entity_id=sensor.entity_id, now=T0 + timedelta(minutes=5))
    other_bank = SiteFactory(
        member=alerts.hub.cast.member_a, kind=alerts.riverbank.kind, name="Berge d'en face"
    )
    again = _placed_sensor(alerts, sensor.entity_id, other_bank)
    _level(alerts, again, 2.9, 20)
    [new] = Ticket.objects.filter(site=other_bank)
    assert AlertState.objects.get().ticket == new
    assert old.comments.count() == 1  # the deletion's note, nothing more: another site's team


def test_another_members_sensor_under_the_same_id_opens_its_own_ticket(alerts: Alerts) -> None:
    """The outsider: member B's sensor with the id member A's deleted sensor had is not A's
    equipment; A's ticket hears nothing of it."""
    sensor = _flood_sensor(alerts)
    _rule(alerts, for_minutes=0)
    _level(alerts, sensor, 2.6, 0)
    [ticket_a] = _tickets(alerts)
    services.delete_entity(tenant=alerts.tenant, entity_id=sensor.entity_id, now=T0 + timedelta(minutes=5))
    site_b = SiteFactory(member=alerts.hub.cast.member_b, kind=alerts.riverbank.kind, name="Quai de B")
    sensor_b = _placed_sensor(alerts, sensor.entity_id, site_b, tenant=alerts.hub.tenant_b)
    result = services.record_observations(
        tenant=alerts.hub.tenant_b,
        entities=[
            {
                "id": sensor_b.entity_id,
                "type": [sensor_b.type],
                "attrs": {LEVEL: [{"type": "Property", "value": 2.9, "observedAt": format_instant(T0)}]},
            }
        ],
        now=T0 + timedelta(minutes=20),
    )
    assert result.success == [sensor_b.entity_id]
    [ticket_b] = Ticket.objects.filter(site=site_b)
    assert ticket_b != ticket_a
    assert ticket_a.comments.count() == 1  # the deletion's note only
    assert AlertState.objects.get().ticket == ticket_b


def _placed_sensor(a: Alerts, entity_id: str, site: Site, *, tenant: Tenant | None = None) -> Entity:
    return services.create_entity(
        tenant=tenant or a.tenant,
        entity={
            "id": entity_id,
            "type": [sdm.FLOOD_MONITORING.iri],
            "attrs": {SITE_IRI: [{"type": "Relationship", "object": f"{SITE_URN}{site.pk}"}]},
        },
        now=T0,
    )
