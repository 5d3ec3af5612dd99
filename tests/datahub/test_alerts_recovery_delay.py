"""Each rule's return-to-normal delay ("délai de retour à la normale"): how long the values
of a rule without hysteresis must stay normal before its alert ends.

It was one constant for every rule (15 minutes): a sensor reporting every hour could never
show a real return within it, and a rule on a fast sensor could not end its alert sooner.
Now each rule has its own, 15 minutes unless its operator says otherwise, bounded from a
minute to a day, editable in the back-office."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import translation

from mutualis.datahub import smart_data_models as sdm
from mutualis.datahub.alerts.rules import save_rule
from mutualis.datahub.alerts.sweep import alert_sweep
from mutualis.datahub.models import AlertRule, AlertState
from mutualis.datahub.models.alerts import AlertStatus
from mutualis.people.models import User
from mutualis.servicedesk.models import TicketState
from tests.datahub.conftest import Alerts, Hub
from tests.datahub.test_alerts import LEVEL, T0, _flood_sensor, _level, _rule, _tickets
from tests.datahub.test_alerts_backoffice import _flood_type, _form
from tests.datahub.test_alerts_backoffice import _rule as _unsaved_rule

pytestmark = pytest.mark.django_db

PAGE = "/backoffice/datahub/alertrule/"


def test_a_rule_with_a_longer_delay_keeps_its_alert_until_the_delay_has_passed(alerts: Alerts) -> None:
    """A gauge reporting rarely: 15 minutes back within proved nothing, and the alert ended
    between two readings."""
    sensor = _flood_sensor(alerts)
    _rule(alerts, for_minutes=0, clear_value=None, recovery_minutes=60)
    _level(alerts, sensor, 2.6, 0)
    _level(alerts, sensor, 1.5, 1)
    _level(alerts, sensor, 2.4, 2)  # beyond again before the delay: the same alert, counted
    _level(alerts, sensor, 1.5, 3)  # back within since minute 3
    [ticket] = _tickets(alerts)
    _level(alerts, sensor, 1.5, 20)  # 17 minutes: the former constant would have ended it
    _level(alerts, sensor, 1.4, 62)  # 59 minutes
    assert AlertState.objects.get().status == AlertStatus.FIRING
    assert not ticket.comments.exists()
    _level(alerts, sensor, 1.4, 63)  # an hour: over
    [note] = ticket.comments.all()
    assert "Retour à la normale" in note.body
    assert "revenue 1 fois avant que les valeurs restent normales pendant 1 h." in note.body
    state = AlertState.objects.get()
    assert (state.status, state.since) == (AlertStatus.NORMAL, T0 + timedelta(minutes=3))


def test_a_rule_with_a_shorter_delay_is_ended_sooner_by_the_sweep(alerts: Alerts) -> None:
    sensor = _flood_sensor(alerts)
    _rule(alerts, for_minutes=0, clear_value=None, recovery_minutes=5, resolve_when_clear=True)
    _level(alerts, sensor, 2.6, 0)
    _level(alerts, sensor, 1.5, 1)
    [ticket] = _tickets(alerts)
    alert_sweep(now=T0 + timedelta(minutes=5, seconds=59))
    assert AlertState.objects.get().status == AlertStatus.FIRING
    alert_sweep(now=T0 + timedelta(minutes=6))
    ticket.refresh_from_db()
    assert ticket.state == TicketState.RESOLVED
    assert AlertState.objects.get().status == AlertStatus.NORMAL


def test_one_sweep_ends_each_rules_alert_after_its_own_delay(alerts: Alerts) -> None:
    sensor = _flood_sensor(alerts)
    quick = _rule(alerts, name="Crue, fin rapide", for_minutes=0, clear_value=None, recovery_minutes=5)
    slow = _rule(alerts, name="Crue, fin lente", for_minutes=0, clear_value=None, recovery_minutes=30)
    _level(alerts, sensor, 2.6, 0)
    _level(alerts, sensor, 1.5, 1)
    assert len(_tickets(alerts)) == 2
    alert_sweep(now=T0 + timedelta(minutes=10))
    statuses = dict(AlertState.objects.values_list("rule_id", "status"))
    assert statuses == {quick.pk: AlertStatus.NORMAL, slow.pk: AlertStatus.FIRING}
    alert_sweep(now=T0 + timedelta(minutes=31))
    assert set(AlertState.objects.values_list("status", flat=True)) == {AlertStatus.NORMAL}


def test_changing_the_delay_keeps_the_waiting_alert_and_applies_the_new_delay(alerts: Alerts) -> None:
    """Not a change of judgement (the values beyond are the same): the alert is not ended
    with a "rule changed" note, it waits the new delay from when values came back."""
    sensor = _flood_sensor(alerts)
    rule = _rule(alerts, for_minutes=0, clear_value=None)
    _level(alerts, sensor, 2.6, 0)
    _level(alerts, sensor, 1.5, 1)
    rule.recovery_minutes = 60
    save_rule(rule=rule)
    [ticket] = _tickets(alerts)
    _level(alerts, sensor, 1.5, 30)
    alert_sweep(now=T0 + timedelta(minutes=40))
    assert AlertState.objects.get().status == AlertStatus.FIRING
    assert not ticket.comments.exists()
    alert_sweep(now=T0 + timedelta(minutes=61))
    assert AlertState.objects.get().status == AlertStatus.NORMAL
    assert ticket.comments.count() == 1


@pytest.mark.parametrize(("minutes", "accepted"), [(0, False), (1, True), (1440, True), (1441, False)])
def test_the_delay_goes_from_a_minute_to_a_day_and_a_refusal_says_so(
    hub: Hub, minutes: int, accepted: bool
) -> None:
    rule = _unsaved_rule(hub, _flood_type(hub), recovery_minutes=minutes)
    if accepted:
        rule.full_clean()
        return
    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        rule.full_clean()
    [message] = refused.value.message_dict["recovery_minutes"]
    assert "de 1 minute à 24 heures" in message
    assert "entre 1 et 1 440" in message


def test_the_back_office_form_shows_the_delay_in_french_and_saves_it(
    hub: Hub, as_user: Callable[[User], Client]
) -> None:
    incident_type = _flood_type(hub)
    client = as_user(hub.cast.adam)
    page = client.get(f"{PAGE}add/").content.decode()
    assert "Délai de retour à la normale (minutes)" in page
    assert "les valeurs sont restées normales pendant ce délai" in page
    field = page[page.index('name="recovery_minutes"') :]
    field = field[: field.index(">")]
    assert 'value="15"' in field
    assert 'min="1"' in field
    assert 'max="1440"' in field
    response = client.post(f"{PAGE}add/", _form(hub, incident_type, recovery_minutes="45"))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert AlertRule.objects.get().recovery == timedelta(minutes=45)


def test_a_delay_out_of_bounds_is_refused_in_the_form_with_a_reason(
    hub: Hub, as_user: Callable[[User], Client]
) -> None:
    client = as_user(hub.cast.adam)
    response = client.post(f"{PAGE}add/", _form(hub, _flood_type(hub), recovery_minutes="2000"))
    assert response.status_code == 200
    [message] = response.context["adminform"].form.errors["recovery_minutes"]
    assert "Indiquez un délai de 1 minute à 24 heures" in message
    assert not AlertRule.objects.exists()


def test_only_the_operators_admins_change_the_delay(hub: Hub, as_user: Callable[[User], Client]) -> None:
    """A desk agent reads it, another operator's admin does not reach the rule."""
    rule = _unsaved_rule(hub, _flood_type(hub))
    rule.save()
    form: dict[str, Any] = _form(hub, rule.incident_type, recovery_minutes="90")
    agent = as_user(hub.cast.olivia)
    assert "Délai de retour à la normale" in agent.get(f"{PAGE}{rule.pk}/change/").content.decode()
    agent.post(f"{PAGE}{rule.pk}/change/", form)
    outsider = as_user(hub.cast.oscar)
    response = outsider.post(f"{PAGE}{rule.pk}/change/", form, follow=True)
    assert "Crue de la Seine" not in response.content.decode()
    rule.refresh_from_db()
    assert rule.recovery_minutes == 15


@pytest.fixture
def latest_schema_after() -> Iterator[None]:
    """The tests that follow need the schema whole again."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("latest_schema_after")
def test_rules_written_before_the_setting_keep_the_fifteen_minutes_they_had(hub: Hub) -> None:
    before, after = (
        [("datahub", "0011_alert_state_recovery")],
        [("datahub", "0012_alert_rule_recovery_deleted_sensor_ticket")],
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    Old = old_apps.get_model("datahub", "AlertRule")  # noqa: N806 (a model class)
    old = Old.objects.create(
        operator_id=hub.cast.operator.pk,
        name="Crue",
        entity_type=sdm.FLOOD_MONITORING.iri,
        attribute=LEVEL,
        kind="threshold",
        comparison="above",
        threshold=2.0,
        incident_type_id=_flood_type(hub).pk,
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    New = executor.loader.project_state(after).apps.get_model("datahub", "AlertRule")  # noqa: N806
    assert New.objects.get(pk=old.pk).recovery_minutes == 15
