"""The open tickets kept for deleted sensors (`DeletedSensorTicket`) are forgotten once no
sensor created again can go on with them: their ticket closed or cancelled, or the sensor
gone longer than DATAHUB_DELETED_SENSOR_TICKET_KEEP_DAYS (90 days by default).

Before, they stayed until their ticket or rule was deleted, and a sensor created again a
year later under the same id went on in a ticket left open since."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from mutualis.datahub import services
from mutualis.datahub import smart_data_models as sdm
from mutualis.datahub.alerts import kept_tickets
from mutualis.datahub.jobs import forget_deleted_sensor_tickets
from mutualis.datahub.models import AlertRule, AlertState, DeletedSensorTicket, Entity, Tenant
from mutualis.datahub.models.alerts import Comparison, RuleKind
from mutualis.datahub.ngsild.timestamps import format_instant
from mutualis.datahub.tenancy import tenant_for_member
from mutualis.jobs.registration import periodic_tasks, task_names
from mutualis.registry.models import Site
from mutualis.servicedesk.models import Ticket, TicketState
from mutualis.servicedesk.services.handling import close_resolved, transition
from tests.datahub.conftest import Alerts
from tests.datahub.test_alerts import LEVEL, T0, _level, _rule, _sensor, _tickets
from tests.datahub.test_alerts_deleted_sensor import _placed_sensor
from tests.factories import MemberFactory, SiteFactory
from tests.servicedesk.factories import CategoryFactory, IncidentTypeFactory

pytestmark = pytest.mark.django_db

DELETED_AT = T0 + timedelta(minutes=5)
RECREATED = "a été recréé sous le même identifiant"


def _left_behind(a: Alerts, key: str = "seine-1", *, deleted_at: datetime = DELETED_AT) -> Ticket:
    """A sensor whose alert fired at T0, deleted at `deleted_at`: the ticket it left open."""
    sensor = _sensor(a, sdm.FLOOD_MONITORING, key, {}, asset=None)
    _level(a, sensor, 2.6, 0)
    ticket = AlertState.objects.select_related("ticket").get(entity=sensor).ticket
    assert ticket is not None
    services.delete_entity(tenant=a.tenant, entity_id=sensor.entity_id, now=deleted_at)
    assert DeletedSensorTicket.objects.filter(ticket=ticket).exists()
    return ticket


def _kept_ticket_ids() -> set[int]:
    return set(DeletedSensorTicket.objects.values_list("ticket_id", flat=True))


def _staff(a: Alerts, ticket: Ticket, *states: str) -> None:
    for state in states:
        transition(ticket=ticket, to=state, by=a.hub.cast.olivia, as_staff=True)


def _fire_again(a: Alerts, key: str, at: datetime) -> AlertState:
    """The sensor created again under its id, its first reading beyond the threshold at `at`."""
    again = _sensor(a, sdm.FLOOD_MONITORING, key, {}, asset=None)
    _level(a, again, 2.9, int((at - T0) / timedelta(minutes=1)))
    return AlertState.objects.select_related("ticket").get(entity=again)


def test_rows_of_closed_and_cancelled_tickets_are_forgotten_open_and_resolved_kept(alerts: Alerts) -> None:
    _rule(alerts, for_minutes=0)
    closed = _left_behind(alerts, "seine-1")
    cancelled = _left_behind(alerts, "seine-2")
    still_open = _left_behind(alerts, "seine-3")
    resolved = _left_behind(alerts, "seine-4")
    _staff(alerts, closed, TicketState.RESOLVED, TicketState.CLOSED)
    _staff(alerts, cancelled, TicketState.CANCELLED)
    _staff(alerts, resolved, TicketState.RESOLVED)
    assert kept_tickets.forget_spent(now=DELETED_AT + timedelta(days=1)) == 2
    # Resolved is not over: the member or the staff may reopen it.
    assert _kept_ticket_ids() == {still_open.pk, resolved.pk}
    assert kept_tickets.forget_spent(now=DELETED_AT + timedelta(days=1)) == 0  # run twice: nothing more
    # Reopened, the ticket is open again: the sensor created again goes on in it.
    _staff(alerts, resolved, TicketState.IN_PROGRESS)
    state = _fire_again(alerts, "seine-4", DELETED_AT + timedelta(days=2))
    assert state.ticket == resolved
    assert resolved.comments.filter(body__contains=RECREATED).count() == 1
    # Left resolved, it is closed after the operator's delay, and its row forgotten then.
    _staff(alerts, still_open, TicketState.RESOLVED)
    assert kept_tickets.forget_spent(now=DELETED_AT + timedelta(days=3)) == 0
    close_resolved(now=timezone.now() + timedelta(days=365))
    assert kept_tickets.forget_spent(now=DELETED_AT + timedelta(days=3)) == 1
    assert not DeletedSensorTicket.objects.exists()


def test_a_sensor_created_again_after_a_closed_ticket_was_forgotten_opens_a_new_one(alerts: Alerts) -> None:
    _rule(alerts, for_minutes=0)
    old = _left_behind(alerts)
    _staff(alerts, old, TicketState.RESOLVED, TicketState.CLOSED)
    assert kept_tickets.forget_spent(now=DELETED_AT + timedelta(hours=1)) == 1
    notes = old.comments.count()
    state = _fire_again(alerts, "seine-1", DELETED_AT + timedelta(hours=2))
    assert state.ticket is not None
    assert state.ticket != old
    assert _tickets(alerts) == [old, state.ticket]
    assert old.comments.count() == notes


def test_open_tickets_are_kept_for_the_window_then_forgotten_and_the_sensor_back_gets_a_new_one(
    alerts: Alerts, settings
) -> None:
    settings.DATAHUB_DELETED_SENSOR_TICKET_KEEP_DAYS = 90
    _rule(alerts, for_minutes=0)
    old = _left_behind(alerts)
    later = DELETED_AT + timedelta(days=90, minutes=1)
    young = _left_behind(alerts, "seine-2", deleted_at=later - timedelta(days=1))
    assert kept_tickets.forget_spent(now=DELETED_AT + timedelta(days=90)) == 0  # the window's last instant
    assert _kept_ticket_ids() == {old.pk, young.pk}
    assert kept_tickets.forget_spent(now=later) == 1
    assert _kept_ticket_ids() == {young.pk}  # deleted yesterday: kept
    old.refresh_from_db()
    assert old.state == TicketState.NEW  # still open, left to its team
    notes = old.comments.count()
    state = _fire_again(alerts, "seine-1", later + timedelta(hours=1))
    assert state.ticket is not None
    assert state.ticket != old
    assert old.comments.count() == notes
    assert not old.comments.filter(body__contains=RECREATED).exists()


def test_the_sensor_back_after_the_window_gets_a_new_ticket_even_before_the_job_ran(
    alerts: Alerts, settings
) -> None:
    """What a sensor created again does never depends on when the job ran: the lookup
    applies the same window."""
    settings.DATAHUB_DELETED_SENSOR_TICKET_KEEP_DAYS = 90
    _rule(alerts, for_minutes=0)
    within = _left_behind(alerts, "seine-1")
    beyond = _left_behind(alerts, "seine-2")
    state = _fire_again(alerts, "seine-1", DELETED_AT + timedelta(days=89))
    assert state.ticket == within
    assert within.comments.filter(body__contains=RECREATED).count() == 1
    notes = beyond.comments.count()
    state = _fire_again(alerts, "seine-2", DELETED_AT + timedelta(days=91))
    assert state.ticket is not None
    assert state.ticket not in (within, beyond)
    assert beyond.comments.count() == notes
    assert not DeletedSensorTicket.objects.exists()  # used or refused: gone either way


def test_zero_keeps_an_open_ticket_until_it_ends(alerts: Alerts, settings) -> None:
    settings.DATAHUB_DELETED_SENSOR_TICKET_KEEP_DAYS = 0
    _rule(alerts, for_minutes=0)
    kept = _left_behind(alerts, "seine-1")
    ended = _left_behind(alerts, "seine-2")
    _staff(alerts, ended, TicketState.CANCELLED)
    assert kept_tickets.forget_spent(now=DELETED_AT + timedelta(days=3650)) == 1
    assert _kept_ticket_ids() == {kept.pk}
    state = _fire_again(alerts, "seine-1", DELETED_AT + timedelta(days=400))
    assert state.ticket == kept


def test_a_ticket_merged_into_an_open_one_is_kept_until_that_one_ends(alerts: Alerts) -> None:
    _rule(alerts, for_minutes=0)
    alert_ticket = _left_behind(alerts)
    declared = alerts.merged_into_a_declaration(alert_ticket)
    alert_ticket.refresh_from_db()
    assert alert_ticket.state == TicketState.CLOSED  # closed by the merge, the other goes on
    assert kept_tickets.forget_spent(now=DELETED_AT + timedelta(days=1)) == 0
    assert _kept_ticket_ids() == {alert_ticket.pk}
    _staff(alerts, declared, TicketState.CANCELLED)
    assert kept_tickets.forget_spent(now=DELETED_AT + timedelta(days=1)) == 1
    assert not DeletedSensorTicket.objects.exists()


def _other_operators_alert(a: Alerts, entity_id: str) -> tuple[Tenant, Site, Ticket]:
    """Another operator's member, with a sensor under `entity_id` whose alert fired, deleted."""
    other = a.hub.cast.other_operator
    member = MemberFactory(operator=other, name="Commune d’un autre opérateur")
    site = SiteFactory(member=member, kind=a.riverbank.kind, name="Quai de l’autre")
    incident_type = IncidentTypeFactory(
        category=CategoryFactory(operator=other, name="Crues"), name="Crue", site_kinds=[a.riverbank.kind]
    )
    rule = AlertRule(
        operator=other,
        name="Crue (autre opérateur)",
        entity_type=sdm.FLOOD_MONITORING.iri,
        attribute=LEVEL,
        kind=RuleKind.THRESHOLD,
        comparison=Comparison.ABOVE,
        threshold=2.0,
        clear_value=1.5,
        incident_type=incident_type,
    )
    rule.full_clean()
    rule.save()
    tenant = tenant_for_member(member)
    _fire(tenant, _placed_sensor(a, entity_id, site, tenant=tenant), T0)
    [ticket] = Ticket.objects.filter(site=site)
    services.delete_entity(tenant=tenant, entity_id=entity_id, now=DELETED_AT)
    return tenant, site, ticket


def _fire(tenant: Tenant, sensor: Entity, at: datetime) -> None:
    reading = {"type": "Property", "value": 2.9, "observedAt": format_instant(at)}
    result = services.record_observations(
        tenant=tenant,
        entities=[{"id": sensor.entity_id, "type": [sensor.type], "attrs": {LEVEL: [reading]}}],
        now=at,
    )
    assert result.success == [sensor.entity_id]


def test_forgetting_one_tenants_row_never_touches_another_members_or_operators(alerts: Alerts) -> None:
    """Member B of the same operator, and a member of another operator, had a sensor under
    the same id as member A's: A's ticket closed forgets A's row only; B's sensor created
    again still goes on in B's open ticket, the other operator's in theirs."""
    _rule(alerts, for_minutes=0)
    ticket_a = _left_behind(alerts)
    entity_id = f"urn:ngsi-ld:{sdm.FLOOD_MONITORING.name}:seine-1"
    site_b = SiteFactory(member=alerts.hub.cast.member_b, kind=alerts.riverbank.kind, name="Quai de B")
    tenant_b = alerts.hub.tenant_b
    _fire(tenant_b, _placed_sensor(alerts, entity_id, site_b, tenant=tenant_b), T0)
    [ticket_b] = Ticket.objects.filter(site=site_b)
    services.delete_entity(tenant=tenant_b, entity_id=entity_id, now=DELETED_AT)
    other_tenant, other_site, other_ticket = _other_operators_alert(alerts, entity_id)
    _staff(alerts, ticket_a, TicketState.CANCELLED)
    assert kept_tickets.forget_spent(now=DELETED_AT + timedelta(days=1)) == 1
    assert _kept_ticket_ids() == {ticket_b.pk, other_ticket.pk}
    at = DELETED_AT + timedelta(days=2)
    _fire(tenant_b, _placed_sensor(alerts, entity_id, site_b, tenant=tenant_b), at)
    assert list(Ticket.objects.filter(site=site_b)) == [ticket_b]
    assert ticket_b.comments.filter(body__contains=RECREATED).count() == 1
    _fire(other_tenant, _placed_sensor(alerts, entity_id, other_site, tenant=other_tenant), at)
    assert list(Ticket.objects.filter(site=other_site)) == [other_ticket]
    assert other_ticket.comments.filter(body__contains=RECREATED).count() == 1
    assert not ticket_a.comments.filter(body__contains=RECREATED).exists()


def test_many_rows_are_judged_page_by_page(alerts: Alerts, monkeypatch) -> None:
    monkeypatch.setattr(kept_tickets, "FORGET_BATCH", 2)
    _rule(alerts, for_minutes=0)
    left = [_left_behind(alerts, f"seine-{n}") for n in range(5)]
    for ticket in left[:4]:
        _staff(alerts, ticket, TicketState.CANCELLED)
    assert kept_tickets.forget_spent(now=DELETED_AT + timedelta(days=1)) == 4
    assert _kept_ticket_ids() == {left[4].pk}


def test_the_forgetting_is_a_daily_job(alerts: Alerts) -> None:
    assert "datahub.forget_deleted_sensor_tickets" in task_names()
    assert periodic_tasks()["datahub.forget_deleted_sensor_tickets"] == timedelta(days=1)
    _rule(alerts, for_minutes=0)
    cancelled = _left_behind(alerts, "seine-1")
    still_open = _left_behind(alerts, "seine-2")
    _staff(alerts, cancelled, TicketState.CANCELLED)
    forget_deleted_sensor_tickets()
    assert _kept_ticket_ids() == {still_open.pk}
