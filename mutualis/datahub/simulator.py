"""A live stream of sensor readings for the demo territory (issue 7 clause 5).

For every sensor entity of the operator whose type is in the Smart Data Models table, the
simulator makes readings in the compact form (`ingestion.compact`) at the current time:
daily cycles (temperature, light), rush hours on weekdays (traffic, NO2, noise), a rain
event that raises the rivers and the flood sensors, and now and then a fault (a lamp out,
a charger out of service, an implausible value) or a silence (a sensor stops for a while).
It publishes them over MQTT (the topic scheme of docs/ingestion.md) or posts them to the
HTTP ingestion endpoint, at a chosen rate, so that the dashboards come alive.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .demo import MONTHLY_MEAN_TEMPERATURE, PARIS, WEEKDAY_ACTIVITY, WEEKEND_ACTIVITY
from .models import Entity
from .smart_data_models import Kind, SdmType, sdm_type

# Chances per reading: a working sensor starts a fault or a silence; a faulty one recovers.
FAULT_CHANCE = 0.002
SILENCE_CHANCE = 0.001
RECOVERY_CHANCE = 0.05
SILENCE_READINGS = (10, 60)
# Rain: one storm every `RAIN_EVERY` of simulated time, rising over 6 h, receding over 18 h.
RAIN_EVERY = dt.timedelta(days=3)


@dataclass
class SimSensor:
    entity_id: str
    tenant_name: str
    model: SdmType
    phase: float  # per-sensor offset so that sensors do not move in lockstep
    level: float  # per-sensor scale (a busy road, a quiet street)
    faulty: bool = False
    silent_for: int = 0
    energy: float = 0.0  # the running total of an energy meter (kWh)


def load_sensors(operator_id: int, rng: random.Random, *, limit: int | None = None) -> list[SimSensor]:
    """The operator's sensor entities whose type the Smart Data Models table knows."""
    rows = (
        Entity.objects.filter(tenant__operator_id=operator_id)
        .order_by("tenant__name", "entity_id")
        .values_list("entity_id", "tenant__name", "type")
    )
    sensors = []
    for entity_id, tenant_name, type_iri in rows.iterator():
        model = sdm_type(type_iri)
        if model is None:
            continue
        sensors.append(
            SimSensor(
                entity_id=entity_id,
                tenant_name=tenant_name or "_",
                model=model,
                phase=rng.uniform(-0.5, 0.5),
                level=rng.uniform(0.6, 1.4),
                energy=rng.uniform(1e4, 5e5),
            )
        )
        if limit and len(sensors) >= limit:
            break
    return sensors


@dataclass
class Simulator:
    sensors: list[SimSensor]
    rng: random.Random
    start: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def activity(self, at: dt.datetime, sensor: SimSensor) -> float:
        local = at.astimezone(PARIS)
        profile = WEEKEND_ACTIVITY if local.weekday() >= 5 else WEEKDAY_ACTIVITY
        return profile[int(local.hour + sensor.phase) % 24]

    def temperature(self, at: dt.datetime) -> float:
        local = at.astimezone(PARIS)
        hour = local.hour + local.minute / 60
        return MONTHLY_MEAN_TEMPERATURE[local.month - 1] + 4.0 * math.sin(2 * math.pi * (hour - 9) / 24)

    def rain(self, at: dt.datetime) -> float:
        """0 in dry weather, up to 1 at the crest of the flood wave after a storm."""
        hours = ((at - self.start) % RAIN_EVERY).total_seconds() / 3600
        if hours <= 6:
            x = hours / 6
            return x * x * (3 - 2 * x)
        return math.exp(-(hours - 6) / 18)

    def values(self, sensor: SimSensor, at: dt.datetime) -> dict[str, Any]:
        """One reading of `sensor` at `at`: every observed attribute of its model."""
        act, rain, rng, level = self.activity(at, sensor), self.rain(at), self.rng, sensor.level
        local = at.astimezone(PARIS)
        dark = local.hour >= 18 or local.hour < 7
        out: dict[str, Any] = {}
        name = sensor.model.name
        if name == "AirQualityObserved":
            no2 = 15 + 45 * act * level + rng.gauss(0, 4)
            pm25 = 6 + 10 * act * level + rng.gauss(0, 2)
            out = {
                "no2": no2,
                "pm25": pm25,
                "pm10": pm25 * 1.6 + rng.gauss(0, 2),
                "o3": max(5.0, 60 - 0.6 * no2 + rng.gauss(0, 5)),
                "temperature": self.temperature(at) + rng.gauss(0, 0.4),
                "relativeHumidity": min(1.0, 0.6 + 0.3 * rain + rng.gauss(0, 0.03)),
            }
        elif name == "NoiseLevelObserved":
            laeq = 48 + 22 * act * level + rng.gauss(0, 1.5)
            out = {"LAeq": laeq, "LAmax": laeq + 12 + abs(rng.gauss(0, 4))}
        elif name == "TrafficFlowObserved":
            intensity = int(max(0, 900 * act * level + rng.gauss(0, 40)))
            occupancy = min(0.95, 0.02 + 0.5 * act * level)
            out = {
                "intensity": intensity,
                "occupancy": occupancy,
                "averageVehicleSpeed": max(5.0, 50 - 35 * occupancy + rng.gauss(0, 3)),
                "congested": occupancy > 0.45,
            }
        elif name == "Streetlight":
            on = dark
            out = {
                "status": "defectiveLamp" if sensor.faulty else "ok",
                "powerState": "on" if on and not sensor.faulty else "off",
                "illuminanceLevel": (0.6 if local.hour >= 23 or local.hour < 5 else 1.0) if on else 0.0,
                "powerConsumption": (70 * level if on and not sensor.faulty else 0.5),
            }
        elif name == "WaterObserved":
            height = 1.2 * level + 3.5 * rain + rng.gauss(0, 0.02)
            out = {"height": height, "flow": 200 * level + 900 * rain + rng.gauss(0, 10)}
        elif name == "FloodMonitoring":
            current = 0.2 * level + 2.6 * rain + rng.gauss(0, 0.02)
            status = "Danger" if current > 2.2 else "Alert" if current > 1.5 else "Normal"
            out = {
                "currentLevel": current,
                "measuredDistance": max(0.1, 4.0 - current),
                "floodLevelStatus": status,
            }
        elif name == "EVChargingStation":
            capacity = 4
            busy = min(capacity, max(0, round(capacity * act * level + rng.gauss(0, 0.6))))
            out = {
                "status": "outOfService" if sensor.faulty else ("full" if busy == capacity else "working"),
                "availableCapacity": 0 if sensor.faulty else capacity - busy,
            }
        elif name == "ACMeasurement":
            occupied = not (local.weekday() >= 5 or local.hour < 7 or local.hour >= 19)
            power = (25 if occupied else 6) * level + rng.gauss(0, 0.8)
            sensor.energy += max(power, 0) / 60  # a reading a minute, roughly
            out = {"totalActivePower": power, "totalActiveEnergyImport": sensor.energy}
        else:  # another model of the table: plausible mid-range values
            for attribute in sensor.model.observed:
                if attribute.kind in (Kind.NUMBER, Kind.INTEGER) and attribute.plausible:
                    low, high = attribute.plausible
                    out[attribute.name] = low + (high - low) * 0.3 * level
        if sensor.faulty and name in ("AirQualityObserved", "NoiseLevelObserved", "WaterObserved"):
            # A failing probe: a stuck, implausible reading.
            key = next(iter(out))
            out[key] = -999.0
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in out.items()}

    def step(self, sensor: SimSensor) -> bool:
        """Advance the sensor's health; False while it is silent."""
        rng = self.rng
        if sensor.silent_for > 0:
            sensor.silent_for -= 1
            return False
        if sensor.faulty:
            sensor.faulty = rng.random() >= RECOVERY_CHANCE
        elif rng.random() < FAULT_CHANCE:
            sensor.faulty = True
        elif rng.random() < SILENCE_CHANCE:
            sensor.silent_for = rng.randint(*SILENCE_READINGS)
            return False
        return True

    def readings(self, at: dt.datetime) -> Iterator[tuple[str, dict[str, Any]]]:
        """(tenant name, compact reading) of every sensor that speaks at `at`."""
        stamp = at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"
        for sensor in self.sensors:
            if self.step(sensor):
                yield (
                    sensor.tenant_name,
                    {
                        "sensor": sensor.entity_id,
                        "observedAt": stamp,
                        "values": self.values(sensor, at),
                    },
                )
