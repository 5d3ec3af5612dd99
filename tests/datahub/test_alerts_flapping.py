"""A value wavering around the threshold of a rule without a return-to-normal value
(`clear_value`): every crossing added a note to the open ticket ("back to normal", then
"fires again"), a minute apart, for as long as the sensor hovered.

An alert without hysteresis now ends only once the values have stayed back to normal for
its rule's return-to-normal delay (15 minutes unless the rule says otherwise,
test_alerts_recovery_delay.py); a return beyond before that is the same alert going on,
counted on its state, without a note."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from mutualis.datahub import services
from mutualis.datahub import smart_data_models as sdm
from mutualis.datahub.alerts.sweep import alert_sweep
from mutualis.datahub.models import AlertState, Entity
from mutualis.datahub.models.alerts import AlertStatus
from mutualis.people.models import User
from mutualis.servicedesk.models import TicketState
from tests.datahub.conftest import Alerts
from tests.datahub.test_alerts import (
    T0,
    _flood_sensor,
    _level,
    _observe,
    _readings,
    _rule,
    _sensor,
    _state_rule,
    _tickets,
)

pytestmark = pytest.mark.django_db


def test_a_level_hovering_around_a_threshold_without_hysteresis_notes_once_when_it_is_over(
    alerts: Alerts,
) -> None:
    sensor = _flood_sensor(alerts)
    rule = _rule(alerts, for_minutes=0, clear_value=None)
    assert rule.recovery == timedelta(minutes=15)  # the default
    for minute in range(20):  # 2.1 m on even minutes, 1.9 m on odd ones
        _level(alerts, sensor, 2.1 if minute % 2 == 0 else 1.9, minute)
    [ticket] = _tickets(alerts)
    assert not ticket.comments.exists()
    state = AlertState.objects.get()
    assert (state.status, state.flaps, state.last_value) == (AlertStatus.FIRING, 9, 1.9)
    _level(alerts, sensor, 1.8, 25)
    _level(alerts, sensor, 1.8, 33)  # back within since minute 19: 14 minutes
    assert not ticket.comments.exists()
    _level(alerts, sensor, 1.7, 34)  # 15 minutes: over
    [note] = ticket.comments.all()
    assert note.internal
    assert "Retour à la normale" in note.body
    assert "1.7 m" in note.body
    assert "9 fois avant que les valeurs restent normales pendant 15 minutes" in note.body
    state.refresh_from_db()
    assert (state.status, state.since, state.clearing_since) == (
        AlertStatus.NORMAL,
        T0 + timedelta(minutes=19),
        None,
    )
    _level(alerts, sensor, 2.4, 60)  # a new excursion, the ticket still open: one note
    assert _tickets(alerts) == [ticket]
    assert ticket.comments.count() == 2
    assert AlertState.objects.get().flaps == 0


def test_the_sweep_ends_an_alert_whose_values_stayed_back_to_normal(alerts: Alerts) -> None:
    """The sensor said "1.5 m" once and then nothing more for a while: the sweep ends the
    alert when the delay has passed, and the rule resolves its ticket."""
    sensor = _flood_sensor(alerts)
    _rule(alerts, for_minutes=0, clear_value=None, resolve_when_clear=True)
    _level(alerts, sensor, 2.6, 0)
    _level(alerts, sensor, 1.5, 5)
    [ticket] = _tickets(alerts)
    assert AlertState.objects.get().status == AlertStatus.FIRING
    alert_sweep(now=T0 + timedelta(minutes=19, seconds=59))
    assert not ticket.comments.exists()
    alert_sweep(now=T0 + timedelta(minutes=20))
    ticket.refresh_from_db()
    assert ticket.state == TicketState.RESOLVED
    [note] = ticket.comments.filter(internal=True)
    assert "1.5 m" in note.body
    assert "fois" not in note.body  # it never went back beyond
    assert AlertState.objects.get().status == AlertStatus.NORMAL
    alert_sweep(now=T0 + timedelta(minutes=21))
    assert ticket.comments.filter(internal=True).count() == 1


def test_a_rule_with_hysteresis_still_ends_at_its_return_value_at_once(alerts: Alerts) -> None:
    sensor = _flood_sensor(alerts)
    _rule(alerts, for_minutes=0, clear_value=1.5)
    _level(alerts, sensor, 2.6, 0)
    _level(alerts, sensor, 1.4, 1)
    [ticket] = _tickets(alerts)
    assert ticket.comments.count() == 1
    assert AlertState.objects.get().status == AlertStatus.NORMAL


def test_a_flickering_streetlight_keeps_one_ticket_without_notes(alerts: Alerts) -> None:
    lamp = _sensor(alerts, sdm.STREETLIGHT, "quai-12", {}, asset=None)
    _state_rule(alerts, "Lampe défectueuse", sdm.STREETLIGHT, "defectiveLamp", alerts.lighting)
    for minute in range(12):
        status = "defectiveLamp" if minute % 3 else "ok"
        _observe(alerts, lamp, sdm.STATUS_IRI, status, T0 + timedelta(minutes=minute + 1))
    [ticket] = _tickets(alerts)
    assert not ticket.comments.exists()
    assert AlertState.objects.get().flaps == 3  # back to defectiveLamp after "ok" at 4, 7, 10


def _firing_sensors(alerts: Alerts, count: int, prefix: str) -> list[Entity]:
    """Sensors with no site (their alert fires without a ticket), all firing."""
    sensors = [
        services.create_entity(
            tenant=alerts.tenant,
            entity={
                "id": f"urn:ngsi-ld:FloodMonitoring:{prefix}-{n}",
                "type": [sdm.FLOOD_MONITORING.iri],
                "attrs": {},
            },
            now=T0,
        )
        for n in range(count)
    ]
    services.record_observations(
        tenant=alerts.tenant,
        entities=[reading for s in sensors for reading in _readings(s, [(2.5, 0)])],
        now=T0,
    )
    return sensors


def test_a_batch_of_thousands_of_wavering_readings_costs_the_same_queries_as_one(alerts: Alerts) -> None:
    """Each crossing of a firing alert is a write of its state: they are gathered and
    written at the end of the batch, whatever the number of sensors and readings."""
    _rule(alerts, for_minutes=0, clear_value=None)
    wavering = [(1.9 if n % 2 == 0 else 2.1, n + 1) for n in range(40)]

    def alert_queries(sensors: list[Entity]) -> list[str]:
        entities = [reading for s in sensors for reading in _readings(s, wavering)]
        with CaptureQueriesContext(connection) as captured:
            result = services.record_observations(
                tenant=alerts.tenant, entities=entities, now=T0 + timedelta(minutes=41)
            )
        assert len(result.success) == len(sensors)
        # The history's own writes are chunked by the database's limit on parameters.
        return [q["sql"] for q in captured.captured_queries if "datahub_alert" in q["sql"]]

    one = alert_queries(_firing_sensors(alerts, 1, "one"))
    many_sensors = _firing_sensors(alerts, 50, "many")
    many = alert_queries(many_sensors)  # 2,000 readings
    assert len(one) == len(many) == 4  # the rules, where they stand, the moving states, their writes
    assert len([sql for sql in many if "INSERT" in sql or "UPDATE" in sql]) == 1
    states = AlertState.objects.filter(entity__in=many_sensors)
    assert {(s.status, s.flaps) for s in states} == {(AlertStatus.FIRING, 20)}
    assert states.count() == 50


STATES_PAGE = "/backoffice/datahub/alertstate/"


def test_the_operators_staff_see_how_often_an_alert_came_back_and_outsiders_do_not(
    alerts: Alerts, as_user: Callable[[User], Client]
) -> None:
    sensor = _flood_sensor(alerts)
    _rule(alerts, for_minutes=0, clear_value=None)
    for minute, value in enumerate((2.1, 1.9, 2.2, 1.9, 2.3, 1.9, 2.4)):
        _level(alerts, sensor, value, minute)
    state = AlertState.objects.get()
    assert state.flaps == 3
    page = as_user(alerts.hub.cast.olivia).get(STATES_PAGE)
    assert page.status_code == 200
    content = page.content.decode()
    assert "Retours pendant l’alerte" in content
    assert sensor.entity_id in content
    row = content[content.index(sensor.entity_id) :]
    assert '<td class="field-flaps">3</td>' in row
    # Another operator's admin: no row, and the state itself is out of reach.
    outsider = as_user(alerts.hub.cast.oscar)
    assert sensor.entity_id not in outsider.get(STATES_PAGE).content.decode()
    response = outsider.get(f"{STATES_PAGE}{state.pk}/change/", follow=True)
    assert response.redirect_chain[-1][0] == "/backoffice/"
    assert sensor.entity_id not in response.content.decode()
    # A member's agent never reaches the back-office.
    member = as_user(alerts.hub.cast.alice).get(STATES_PAGE)
    assert member.status_code == 302
    assert "/login/" in member["Location"]
