"""An alert's ticket through the life of the service desk and of the registry: merged,
sensor moved to another site, rule deactivated or changed while an alert is in progress,
a sensor whose clock runs ahead. Each case once went wrong (see each test)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from mutualis.datahub import services
from mutualis.datahub.alerts.rules import save_rule
from mutualis.datahub.alerts.sweep import alert_sweep
from mutualis.datahub.models import AlertRule, AlertState, Entity
from mutualis.datahub.models.alerts import AlertStatus, RuleKind
from mutualis.datahub.ngsild.timestamps import format_instant
from mutualis.datahub.services import SITE_IRI, SITE_URN
from mutualis.servicedesk.models import Ticket, TicketState
from mutualis.servicedesk.services.handling import transition
from tests.datahub.conftest import Alerts
from tests.datahub.test_alerts import (
    LEVEL,
    T0,
    _flood_sensor,
    _level,
    _rule,
    _tickets,
)
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


def test_a_merged_alert_ticket_sends_its_news_to_the_ticket_that_goes_on(alerts: Alerts) -> None:
    """The alert's ticket merged into the member's own declaration was closed, so the
    return to normal was noted nowhere and the next excursion opened a third ticket while
    the merged one was still open."""
    sensor = _flood_sensor(alerts)
    _rule(alerts, for_minutes=0)
    _level(alerts, sensor, 2.6, 0)
    [alert_ticket] = _tickets(alerts)
    declared = alerts.merged_into_a_declaration(alert_ticket)
    _level(alerts, sensor, 1.0, 10)
    assert declared.comments.filter(internal=True, body__contains="1 m").count() == 1
    _level(alerts, sensor, 2.9, 20)
    assert _tickets(alerts) == [alert_ticket, declared]
    assert declared.comments.count() == 2
    assert AlertState.objects.get().ticket == declared


def test_a_sensor_moved_to_another_site_opens_its_next_ticket_there(alerts: Alerts) -> None:
    """A new excursion was noted on the ticket still open at the sensor's former site: the
    team went to the wrong place and the new site had no ticket."""
    sensor = _flood_sensor(alerts)
    _rule(alerts, for_minutes=0)
    _level(alerts, sensor, 2.6, 0)
    _level(alerts, sensor, 1.0, 5)
    [old_ticket] = _tickets(alerts)
    notes_before = old_ticket.comments.count()
    other_bank = SiteFactory(
        member=alerts.hub.cast.member_a, kind=alerts.riverbank.kind, name="Berge d'en face"
    )
    services.update_entities(
        tenant=alerts.tenant,
        entities=[
            {
                "id": sensor.entity_id,
                "type": [sensor.type],
                "attrs": {SITE_IRI: [{"type": "Relationship", "object": f"{SITE_URN}{other_bank.pk}"}]},
            }
        ],
        now=T0 + timedelta(minutes=6),
    )
    _level(alerts, sensor, 2.9, 20)
    [new_ticket] = Ticket.objects.filter(site=other_bank)
    assert new_ticket.state == TicketState.NEW
    assert old_ticket.comments.count() == notes_before
    assert AlertState.objects.get().ticket == new_ticket


def test_a_deactivated_rule_ends_its_alert_and_a_later_excursion_opens_a_ticket(alerts: Alerts) -> None:
    """The state stayed "firing" while the rule was off: once it was back on, a new
    excursion (the first ticket resolved meanwhile) opened nothing, "already firing"."""
    sensor = _flood_sensor(alerts)
    rule = _rule(alerts, for_minutes=0)
    _level(alerts, sensor, 2.6, 0)
    [ticket] = _tickets(alerts)
    rule.is_active = False
    save_rule(rule=rule)
    state = AlertState.objects.get()
    assert (state.status, state.pending_since) == (AlertStatus.NORMAL, None)
    [note] = ticket.comments.all()
    assert note.internal
    assert "désactivée" in note.body
    _level(alerts, sensor, 1.0, 10)  # the rule is off: nothing judged
    transition(ticket=ticket, to=TicketState.RESOLVED, by=alerts.hub.cast.olivia, as_staff=True)
    rule.is_active = True
    save_rule(rule=rule)
    _level(alerts, sensor, 2.9, 60)
    first, second = _tickets(alerts)
    assert (first, second.state) == (ticket, TicketState.NEW)


def test_a_changed_threshold_ends_what_the_old_one_started(alerts: Alerts) -> None:
    """A pending state of the old threshold fired on the sweep after the threshold was
    raised above every reading."""
    sensor = _flood_sensor(alerts)
    rule = _rule(alerts, for_minutes=10)
    _level(alerts, sensor, 2.3, 0)
    assert AlertState.objects.get().status == AlertStatus.PENDING
    rule.threshold, rule.clear_value = 3.0, 2.5
    save_rule(rule=rule)
    alert_sweep(now=T0 + timedelta(minutes=30))
    assert _tickets(alerts) == []
    assert AlertState.objects.get().status == AlertStatus.NORMAL


def test_renaming_a_rule_leaves_its_alerts_alone(alerts: Alerts) -> None:
    sensor = _flood_sensor(alerts)
    rule = _rule(alerts, for_minutes=0)
    _level(alerts, sensor, 2.6, 0)
    [ticket] = _tickets(alerts)
    rule.name = "Crue de la Seine (quai)"
    save_rule(rule=rule)
    assert AlertState.objects.get().status == AlertStatus.FIRING
    assert not ticket.comments.exists()


def test_deactivating_a_rule_in_the_back_office_ends_its_alerts(alerts: Alerts, as_user) -> None:  # type: ignore[no-untyped-def]
    sensor = _flood_sensor(alerts)
    rule = _rule(alerts, for_minutes=0)
    _level(alerts, sensor, 2.6, 0)
    [ticket] = _tickets(alerts)
    form: dict[str, Any] = {
        "operator": rule.operator_id,
        "name": rule.name,
        "entity_type": rule.entity_type,
        "attribute": rule.attribute,
        "kind": rule.kind,
        "comparison": rule.comparison,
        "threshold": "2",
        "clear_value": "1.5",
        "recovery_minutes": "15",
        "aggregation": "latest",
        "for_minutes": "0",
        "state_values": "",
        "silence_minutes": "",
        "incident_type": rule.incident_type_id,
        "priority": "",
    }  # no "is_active": the box unticked
    response = as_user(alerts.hub.cast.adam).post(f"/backoffice/datahub/alertrule/{rule.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert not AlertRule.objects.get().is_active
    assert AlertState.objects.get().status == AlertStatus.NORMAL
    assert ticket.comments.count() == 1


def _reading(a: Alerts, sensor: Entity, value: float, observed: datetime, *, now: datetime) -> None:
    """A reading stamped `observed` by the sensor, received at `now`."""
    result = services.record_observations(
        tenant=a.tenant,
        entities=[
            {
                "id": sensor.entity_id,
                "type": [sensor.type],
                "attrs": {
                    LEVEL: [{"type": "Property", "value": value, "observedAt": format_instant(observed)}]
                },
            }
        ],
        now=now,
    )
    assert result.success == [sensor.entity_id], result


def test_a_sensor_clock_running_ahead_still_fires_after_its_duration(alerts: Alerts) -> None:
    """The reading's observedAt, a year ahead, was taken as "beyond since": the sweep never
    reached it and the alert never fired."""
    sensor = _flood_sensor(alerts)
    _rule(alerts, for_minutes=10)
    _reading(alerts, sensor, 2.6, T0 + timedelta(days=365), now=T0)
    assert AlertState.objects.get().pending_since == T0
    alert_sweep(now=T0 + timedelta(minutes=10))
    assert len(_tickets(alerts)) == 1


def test_a_silence_after_a_reading_from_the_future_is_found(alerts: Alerts) -> None:
    sensor = _flood_sensor(alerts)
    _rule(
        alerts,
        name="Capteur muet",
        kind=RuleKind.SILENCE,
        comparison="",
        threshold=None,
        clear_value=None,
        for_minutes=0,
        silence_minutes=30,
    )
    _reading(alerts, sensor, 1.0, T0 + timedelta(days=365), now=T0)
    alert_sweep(now=T0 + timedelta(minutes=31))
    assert len(_tickets(alerts)) == 1
