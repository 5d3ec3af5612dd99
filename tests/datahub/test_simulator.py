"""The sensor simulator (issue 7 clause 5): realistic values, faults and silences, and a
stream that the MQTT ingestion stores."""

from __future__ import annotations

import datetime as dt
import random
from io import StringIO

import pytest
from django.core.management import call_command

from mutualis.datahub import services
from mutualis.datahub.models import AttributeInstance
from mutualis.datahub.simulator import PARIS, SimSensor, Simulator
from mutualis.datahub.smart_data_models import BY_NAME, SDM_TYPES
from tests.datahub.conftest import Hub
from tests.datahub.mqtt_support import require_broker, running_worker, unique, wait_for


def sensor(model_name: str, **kwargs: object) -> SimSensor:
    return SimSensor(
        entity_id=f"urn:ngsi-ld:{model_name}:sim-1",
        tenant_name="78646",
        model=BY_NAME[model_name],
        phase=0.0,
        level=1.0,
        **kwargs,  # type: ignore[arg-type]
    )


def at(hour: int, day: int = 24) -> dt.datetime:
    # 24 November 2026 is a Tuesday.
    return dt.datetime(2026, 11, day, hour, tzinfo=PARIS)


def test_every_model_gets_plausible_values_of_its_observed_attributes() -> None:
    simulator = Simulator(sensors=[], rng=random.Random(1), start=at(0))
    for model in SDM_TYPES:
        values = simulator.values(sensor(model.name), at(8))
        observed = {a.name: a for a in model.observed}
        assert values, model.name
        for name, value in values.items():
            attribute = observed[name]
            if attribute.values:
                assert value in attribute.values, (model.name, name, value)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                assert attribute.is_plausible(value), (model.name, name, value)


def test_rush_hour_traffic_and_night_lights() -> None:
    simulator = Simulator(sensors=[], rng=random.Random(1), start=at(0))
    rush = simulator.values(sensor("TrafficFlowObserved"), at(8))["intensity"]
    night = simulator.values(sensor("TrafficFlowObserved"), at(3))["intensity"]
    assert rush > 5 * night
    assert simulator.values(sensor("Streetlight"), at(22))["powerState"] == "on"
    assert simulator.values(sensor("Streetlight"), at(13))["powerState"] == "off"


def test_a_faulty_lamp_and_charger_say_so() -> None:
    simulator = Simulator(sensors=[], rng=random.Random(1), start=at(0))
    assert simulator.values(sensor("Streetlight", faulty=True), at(22))["status"] == "defectiveLamp"
    assert simulator.values(sensor("EVChargingStation", faulty=True), at(12))["status"] == "outOfService"


def test_rain_raises_the_river_then_it_recedes() -> None:
    simulator = Simulator(sensors=[], rng=random.Random(1), start=at(0))
    heights = [
        simulator.values(sensor("WaterObserved"), at(0) + dt.timedelta(hours=h))["height"] for h in (0, 6, 48)
    ]
    assert heights[1] > heights[0] + 2
    assert heights[2] < heights[1]


def test_sensors_fall_silent_and_faulty_sometimes() -> None:
    sensors = [sensor("NoiseLevelObserved") for _ in range(50)]
    simulator = Simulator(sensors=sensors, rng=random.Random(7), start=at(0))
    counts = [len(list(simulator.readings(at(0) + dt.timedelta(minutes=m)))) for m in range(400)]
    # Some rounds miss a sensor (silences), none gains one.
    assert min(counts) < 50
    assert max(counts) == 50
    assert any(s.faulty for s in sensors) or any(s.silent_for for s in sensors) or min(counts) < 50


@pytest.mark.django_db(transaction=True)
def test_the_simulated_stream_is_stored_through_mqtt(hub: Hub) -> None:
    require_broker()
    for n in range(3):
        services.create_entity(
            tenant=hub.tenant_a,
            entity={
                "id": f"urn:ngsi-ld:NoiseLevelObserved:sim-{n}",
                "type": [BY_NAME["NoiseLevelObserved"].iri],
                "attrs": {},
            },
        )
    prefix = unique("mutualis-sim")
    with running_worker(operator_id=hub.cast.operator.pk, prefix=prefix, client_id=unique("ingest")):
        out = StringIO()
        call_command(
            "simulate_sensors",
            "--operator",
            hub.cast.operator.slug,
            "--count",
            "30",
            "--rate",
            "500",
            "--batch",
            "3",
            "--prefix",
            prefix,
            stdout=out,
        )
        assert "Sent 30 readings" in out.getvalue()
        # Two values (LAeq, LAmax) per reading; silences may skip a sensor now and then.
        wait_for(lambda: AttributeInstance.objects.count() >= 50, what="the simulated readings stored")
