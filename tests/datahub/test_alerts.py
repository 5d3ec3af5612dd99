"""Alert rules open service-desk tickets as sensor data arrives (issue 7, clause 3).

Data goes through the hub's real write verbs (`record_observations`, `update_entities`),
which call the evaluation inside their transaction; the sweep is the periodic job itself.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mutualis.datahub import services
from mutualis.datahub import smart_data_models as sdm
from mutualis.datahub.alerts.sweep import alert_sweep
from mutualis.datahub.models import AlertRule, AlertState, Entity
from mutualis.datahub.models.alerts import Aggregation, AlertStatus, Comparison, RuleKind
from mutualis.datahub.ngsild.timestamps import format_instant
from mutualis.datahub.services import ASSET_IRI, ASSET_URN, SITE_IRI, SITE_URN
from mutualis.jobs.registration import periodic_tasks
from mutualis.registry.models import Asset
from mutualis.servicedesk.models import Ticket, TicketChannel, TicketState
from mutualis.servicedesk.models.catalogue import Priority
from mutualis.servicedesk.services.handling import transition
from tests.datahub.conftest import Alerts
from tests.factories import AssetFactory
from tests.servicedesk.factories import CategoryFactory, IncidentTypeFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
LEVEL = sdm.FLOOD_MONITORING.attribute("currentLevel").iri
PM25 = sdm.AIR_QUALITY_OBSERVED.attribute("pm25").iri


def _sensor(
    a: Alerts, sdm_type: sdm.SdmType, key: str, attrs: dict[str, Any], *, asset: Asset | None
) -> Entity:
    links: dict[str, Any] = {
        SITE_IRI: [{"type": "Relationship", "object": f"{SITE_URN}{a.riverbank.pk}"}],
        sdm.SDM_BASE + "name": [{"type": "Property", "value": f"Capteur {key}"}],
    }
    if asset is not None:
        links[ASSET_IRI] = [{"type": "Relationship", "object": f"{ASSET_URN}{asset.inventory_tag}"}]
    return services.create_entity(
        tenant=a.tenant,
        entity={
            "id": f"urn:ngsi-ld:{sdm_type.name}:{key}",
            "type": [sdm_type.iri],
            "attrs": {**links, **attrs},
        },
        now=T0 - timedelta(hours=1),
    )


def _flood_sensor(a: Alerts) -> Entity:
    return _sensor(a, sdm.FLOOD_MONITORING, "seine-1", {}, asset=a.gauge)


def _rule(a: Alerts, **fields: Any) -> AlertRule:
    defaults: dict[str, Any] = {
        "operator": a.hub.cast.operator,
        "name": "Crue de la Seine",
        "entity_type": sdm.FLOOD_MONITORING.iri,
        "attribute": LEVEL,
        "kind": RuleKind.THRESHOLD,
        "comparison": Comparison.ABOVE,
        "threshold": 2.0,
        "clear_value": 1.5,
        "for_minutes": 10,
        "incident_type": a.flood,
    }
    rule = AlertRule(**{**defaults, **fields})
    rule.full_clean()
    rule.save()
    return rule


def _observe(a: Alerts, entity: Entity, iri: str, value: Any, at: datetime) -> None:
    result = services.record_observations(
        tenant=a.tenant,
        entities=[
            {
                "id": entity.entity_id,
                "type": [entity.type],
                "attrs": {iri: [{"type": "Property", "value": value, "observedAt": format_instant(at)}]},
            }
        ],
        now=at,
    )
    assert result.success == [entity.entity_id], result


def _level(a: Alerts, entity: Entity, value: float, minute: int) -> None:
    _observe(a, entity, LEVEL, value, T0 + timedelta(minutes=minute))


def _tickets(a: Alerts) -> list[Ticket]:
    return list(Ticket.objects.filter(site=a.riverbank).order_by("pk"))


def test_water_above_the_threshold_for_ten_minutes_opens_one_ticket_with_the_asset(alerts: Alerts) -> None:
    sensor = _flood_sensor(alerts)
    _rule(alerts)
    _level(alerts, sensor, 2.3, 0)
    _level(alerts, sensor, 2.4, 5)
    assert _tickets(alerts) == []  # beyond, but not yet for ten minutes
    assert AlertState.objects.get().status == AlertStatus.PENDING
    _level(alerts, sensor, 2.5, 10)
    [ticket] = _tickets(alerts)
    assert ticket.incident_type == alerts.flood
    assert ticket.category_id == alerts.flood.category_id
    assert ticket.priority == Priority.HIGH
    assert ticket.channel == TicketChannel.ALERT
    assert list(ticket.assets.all()) == [alerts.gauge]
    assert "currentLevel" in ticket.title
    assert "2.5 m" in ticket.title
    assert "2 m" in ticket.title
    assert "Capteur seine-1" in ticket.description
    state = AlertState.objects.get()
    assert (state.status, state.ticket, state.pending_since) == (AlertStatus.FIRING, ticket, T0)
    for minute in (15, 20, 30):  # staying high: still the one ticket
        _level(alerts, sensor, 2.8, minute)
    assert _tickets(alerts) == [ticket]
    assert not ticket.comments.exists()


def test_a_short_excursion_opens_nothing(alerts: Alerts) -> None:
    sensor = _flood_sensor(alerts)
    _rule(alerts)
    _level(alerts, sensor, 2.3, 0)
    _level(alerts, sensor, 1.9, 5)
    _level(alerts, sensor, 2.3, 8)
    _level(alerts, sensor, 2.3, 15)  # beyond again only since minute 8
    assert _tickets(alerts) == []
    alert_sweep(now=T0 + timedelta(minutes=17, seconds=59))
    assert _tickets(alerts) == []
    alert_sweep(now=T0 + timedelta(minutes=18))
    assert len(_tickets(alerts)) == 1  # the sweep fires once ten minutes have passed


def test_an_integer_beyond_a_double_is_not_judged_and_loses_no_reading(alerts: Alerts) -> None:
    """float() of it raised OverflowError inside the write: the reading was lost with a 500."""
    sensor = _flood_sensor(alerts)
    _rule(alerts)
    _level(alerts, sensor, 2.3, 0)
    _observe(alerts, sensor, LEVEL, int("9" * 309), T0 + timedelta(minutes=5))
    assert AlertState.objects.get().status == AlertStatus.PENDING  # left as it was
    assert Entity.objects.get(pk=sensor.pk).attributes[LEVEL][0]["value"] == int("9" * 309)


def test_flapping_within_the_hysteresis_band_neither_reopens_nor_notes(alerts: Alerts) -> None:
    sensor = _flood_sensor(alerts)
    _rule(alerts, for_minutes=0)
    for minute, value in enumerate((2.1, 1.9, 2.1, 1.6, 2.2, 1.7, 2.05, 1.8)):
        _level(alerts, sensor, value, minute)
    [ticket] = _tickets(alerts)
    assert not ticket.comments.exists()
    assert AlertState.objects.get().status == AlertStatus.FIRING


def test_back_to_normal_notes_the_ticket_then_a_new_excursion_after_closing_opens_another(
    alerts: Alerts,
) -> None:
    sensor = _flood_sensor(alerts)
    _rule(alerts, for_minutes=0)
    _level(alerts, sensor, 2.6, 0)
    [ticket] = _tickets(alerts)
    _level(alerts, sensor, 1.4, 30)
    ticket.refresh_from_db()
    [note] = ticket.comments.all()
    assert note.internal
    assert "currentLevel" in note.body
    assert "1.4 m" in note.body
    assert ticket.state == TicketState.NEW  # not resolved: the rule does not say so
    assert AlertState.objects.get().status == AlertStatus.NORMAL
    _level(alerts, sensor, 1.45, 31)  # staying normal writes nothing more
    assert ticket.comments.count() == 1
    # Above again while the ticket is open: a note on it, not a second ticket.
    _level(alerts, sensor, 2.7, 40)
    assert _tickets(alerts) == [ticket]
    assert ticket.comments.count() == 2
    _level(alerts, sensor, 1.0, 50)
    transition(ticket=ticket, to=TicketState.RESOLVED, by=alerts.hub.cast.olivia, as_staff=True)
    _level(alerts, sensor, 3.0, 60)
    first, second = _tickets(alerts)
    assert first == ticket
    assert second.state == TicketState.NEW
    assert AlertState.objects.get().ticket == second


def test_a_rule_may_resolve_its_ticket_when_values_return_to_normal(alerts: Alerts) -> None:
    sensor = _flood_sensor(alerts)
    _rule(alerts, for_minutes=0, resolve_when_clear=True, priority=Priority.CRITICAL)
    _level(alerts, sensor, 2.6, 0)
    _level(alerts, sensor, 1.2, 20)
    [ticket] = _tickets(alerts)
    assert (ticket.state, ticket.priority) == (TicketState.RESOLVED, Priority.CRITICAL)
    assert ticket.comments.filter(internal=True).count() == 1


def _state_rule(alerts: Alerts, name: str, sdm_type: sdm.SdmType, values: str, incident_type: Any) -> None:
    """A state rule on the `status` of a type: fires at once on one of `values`."""
    _rule(
        alerts,
        name=name,
        entity_type=sdm_type.iri,
        attribute=sdm.STATUS_IRI,
        kind=RuleKind.STATE,
        comparison="",
        threshold=None,
        clear_value=None,
        for_minutes=0,
        state_values=values,
        incident_type=incident_type,
    )


def test_a_defective_streetlight_opens_one_ticket(alerts: Alerts) -> None:
    lamp = _sensor(alerts, sdm.STREETLIGHT, "quai-12", {}, asset=None)
    _state_rule(alerts, "Lampe défectueuse", sdm.STREETLIGHT, "defectiveLamp, columnIssue", alerts.lighting)
    services.update_entities(
        tenant=alerts.tenant,
        entities=[
            {
                "id": lamp.entity_id,
                "type": [lamp.type],
                "attrs": {sdm.STATUS_IRI: [{"type": "Property", "value": "ok"}]},
            }
        ],
        now=T0,
    )
    assert _tickets(alerts) == []
    for minute in (1, 2):
        _observe(alerts, lamp, sdm.STATUS_IRI, "defectiveLamp", T0 + timedelta(minutes=minute))
    _observe(alerts, lamp, sdm.STATUS_IRI, "columnIssue", T0 + timedelta(minutes=3))
    [ticket] = _tickets(alerts)
    assert ticket.incident_type == alerts.lighting
    assert "defectiveLamp" in ticket.title
    assert list(ticket.assets.all()) == []


def test_an_out_of_service_charger_opens_one_ticket(alerts: Alerts) -> None:
    charger_asset = AssetFactory(site=alerts.riverbank, inventory_tag="IRVE-0001")
    charger = _sensor(alerts, sdm.EV_CHARGING_STATION, "quai-borne", {}, asset=charger_asset)
    _state_rule(alerts, "Borne hors service", sdm.EV_CHARGING_STATION, "outOfService", alerts.charger)
    _observe(alerts, charger, sdm.STATUS_IRI, "working", T0)
    _observe(alerts, charger, sdm.STATUS_IRI, "outOfService", T0 + timedelta(minutes=1))
    _observe(alerts, charger, sdm.STATUS_IRI, "outOfService", T0 + timedelta(minutes=2))
    [ticket] = _tickets(alerts)
    assert list(ticket.assets.all()) == [charger_asset]
    _observe(alerts, charger, sdm.STATUS_IRI, "working", T0 + timedelta(minutes=30))
    assert not ticket.comments.exists()  # a state rule has no hysteresis: working for 15 minutes first
    _observe(alerts, charger, sdm.STATUS_IRI, "working", T0 + timedelta(minutes=45))
    assert ticket.comments.count() == 1


def test_silence_is_found_by_the_periodic_job_and_ended_by_data(alerts: Alerts) -> None:
    assert periodic_tasks()["datahub.alert_sweep"] == timedelta(minutes=1)
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
    _level(alerts, sensor, 1.0, 0)
    alert_sweep(now=T0 + timedelta(minutes=29))
    assert _tickets(alerts) == []
    alert_sweep(now=T0 + timedelta(minutes=31))
    alert_sweep(now=T0 + timedelta(minutes=32))
    [ticket] = _tickets(alerts)
    assert AlertState.objects.get().status == AlertStatus.FIRING
    _level(alerts, sensor, 1.1, 40)
    assert AlertState.objects.get().status == AlertStatus.NORMAL
    assert ticket.comments.count() == 1
    alert_sweep(now=T0 + timedelta(minutes=41))
    assert ticket.comments.count() == 1


def test_pm25_daily_mean_above_the_who_guideline(alerts: Alerts) -> None:
    station = _sensor(alerts, sdm.AIR_QUALITY_OBSERVED, "quai-air", {}, asset=None)
    _rule(
        alerts,
        name="PM2.5 moyenne journalière (OMS)",
        entity_type=sdm.AIR_QUALITY_OBSERVED.iri,
        attribute=PM25,
        threshold=15.0,
        clear_value=None,
        for_minutes=0,
        aggregation=Aggregation.DAILY_MEAN,
    )
    for hour, value in enumerate([30.0, 20.0, 10.0]):  # one reading above the guideline is not enough
        _observe(alerts, station, PM25, value, T0 + timedelta(hours=hour))
    assert _tickets(alerts) == []  # daily means are the sweep's
    alert_sweep(now=T0 + timedelta(hours=3))
    [ticket] = _tickets(alerts)
    assert "20 µg/m³" in ticket.title
    _observe(alerts, station, PM25, 5.0, T0 + timedelta(hours=4))
    alert_sweep(now=T0 + timedelta(hours=26))  # only 10 and 5 µg/m³ in the last 24 h
    # No return-to-normal value: the mean must stay within for a quarter of an hour.
    assert AlertState.objects.get().status == AlertStatus.FIRING
    alert_sweep(now=T0 + timedelta(hours=26, minutes=15))
    assert AlertState.objects.get().status == AlertStatus.NORMAL
    assert ticket.comments.count() == 1


def test_a_sensor_without_a_site_fires_without_a_ticket(alerts: Alerts) -> None:
    loose = services.create_entity(
        tenant=alerts.tenant,
        entity={"id": "urn:ngsi-ld:FloodMonitoring:loose", "type": [sdm.FLOOD_MONITORING.iri], "attrs": {}},
        now=T0,
    )
    _rule(alerts, for_minutes=0)
    _level(alerts, loose, 3.0, 1)
    state = AlertState.objects.get()
    assert state.status == AlertStatus.FIRING
    assert state.ticket is None
    assert "site" in state.problem
    assert not Ticket.objects.exists()


def test_another_operators_rule_never_fires_on_this_operators_data(alerts: Alerts) -> None:
    sensor = _flood_sensor(alerts)
    other = alerts.hub.cast.other_operator
    foreign_type = IncidentTypeFactory(category=CategoryFactory(operator=other, name="Crues"), name="Crue")
    AlertRule.objects.create(
        operator=other,
        name="Crue (autre opérateur)",
        entity_type=sdm.FLOOD_MONITORING.iri,
        attribute=LEVEL,
        kind=RuleKind.THRESHOLD,
        comparison=Comparison.ABOVE,
        threshold=0.5,
        incident_type=foreign_type,
    )
    _level(alerts, sensor, 3.0, 0)
    alert_sweep(now=T0 + timedelta(hours=1))
    assert not AlertState.objects.exists()
    assert not Ticket.objects.exists()


def test_no_rule_no_state(alerts: Alerts) -> None:
    sensor = _flood_sensor(alerts)
    _rule(alerts, attribute=sdm.FLOOD_MONITORING.attribute("measuredDistance").iri)
    _level(alerts, sensor, 9.0, 0)  # currentLevel: no rule watches it
    assert not AlertState.objects.exists()


def _readings(entity: Entity, values: list[tuple[float, int]]) -> list[dict[str, Any]]:
    """Several readings of one sensor in one batch, in order (as an MQTT batch brings them)."""
    return [
        {
            "id": entity.entity_id,
            "type": [entity.type],
            "attrs": {
                LEVEL: [
                    {
                        "type": "Property",
                        "value": value,
                        "observedAt": format_instant(T0 + timedelta(minutes=minute)),
                    }
                ]
            },
        }
        for value, minute in values
    ]


def test_readings_of_one_batch_move_the_state_in_order(alerts: Alerts) -> None:
    """Within one batch, a reading beyond then one back within: pending, then normal again;
    then, in another batch, beyond long enough fires once."""
    sensor = _flood_sensor(alerts)
    _rule(alerts)
    services.record_observations(
        tenant=alerts.tenant, entities=_readings(sensor, [(2.3, 0), (1.2, 5)]), now=T0 + timedelta(minutes=5)
    )
    state = AlertState.objects.get()
    assert (state.status, state.pending_since, state.last_value) == (AlertStatus.NORMAL, None, 1.2)
    services.record_observations(
        tenant=alerts.tenant,
        entities=_readings(sensor, [(2.3, 20), (2.4, 25), (2.5, 30)]),
        now=T0 + timedelta(minutes=30),
    )
    assert len(_tickets(alerts)) == 1
    assert AlertState.objects.get().status == AlertStatus.FIRING


def test_normal_readings_of_many_sensors_cost_no_entity_read_and_no_write(alerts: Alerts) -> None:
    """The usual batch (every value normal) reads the rules and the states, judges in
    memory, and writes no state: the same few queries for 1 sensor or 30."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _rule(alerts)

    def batch_queries(count: int, minute: int) -> list[str]:
        sensors = [
            _sensor(alerts, sdm.FLOOD_MONITORING, f"river-{minute}-{n}", {}, asset=None) for n in range(count)
        ]
        entities = [reading for s in sensors for reading in _readings(s, [(1.0, minute)])]
        with CaptureQueriesContext(connection) as captured:
            result = services.record_observations(
                tenant=alerts.tenant, entities=entities, now=T0 + timedelta(minutes=minute)
            )
        assert len(result.success) == count
        return [q["sql"] for q in captured.captured_queries]

    batch_queries(1, 0)  # the first write names the attribute in the history's dictionary
    one, many = batch_queries(1, 1), batch_queries(30, 2)
    assert len(one) == len(many)
    assert not AlertState.objects.exists()
    alert_queries = [sql for sql in many if "datahub_alert" in sql]
    assert len(alert_queries) == 2  # the rules, the states
    assert not any("INSERT" in sql or "UPDATE" in sql for sql in alert_queries)
