"""Demo data of the data hub: ~150 sensors in ~15 member communes, with 30 days of history.

For each chosen commune (a commune member with sites), in the member's own tenant:
air quality and noise stations at the town hall, traffic counters and street lights on the
street (the "voirie" site when there is one), energy meters of public buildings (town hall,
a school), the commune's existing chargers as EV charging stations, and along the Seine a
river gauge and flood sensors. Each sensor is an asset of the registry (created here, except
the chargers, which the demo fleet already holds) and an NGSI-LD entity of the Smart Data
Model of its kind (`smart_data_models`), tied to its site and asset through the hub's
registry relationships (`services.SITE_IRI` / `ASSET_IRI`).

Entities are written through the hub's batch verbs (`services.create_entities`), the
history through `history.record_many` in large batches: the same paths the API and MQTT
ingestion use, minus the per-request overhead. Values follow the shapes a city actually
sees: NO2 and noise peaking at rush hours, ozone in the afternoon, one particulate episode,
traffic counts with morning and evening peaks and quiet weekends, street lights switching at
dusk and dawn with a few lamps failing, chargers occupied during the day with an outage or
two, energy meters with day/night and weekend profiles, and one rain event lifting the
river and the flood sensors.

Re-running replaces the demo's entities, history and sensor assets (they are recognised by
the ":demo-" part of their ids and by their tag prefixes), never duplicating them. Everything
comes from a seeded `random.Random`; nothing is downloaded.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Count, Q

from mutualis.demo.progress import Progress
from mutualis.registry.models import (
    Asset,
    AssetModel,
    AssetStatus,
    AssetStatusChange,
    AssetType,
    Commune,
    Member,
    MemberKind,
    Operator,
    Site,
)

from . import history, partitions, services
from .models import AttributeInstance, Entity, Subscription, Tenant
from .ngsild.timestamps import format_instant
from .smart_data_models import (
    AC_MEASUREMENT,
    AIR_QUALITY_OBSERVED,
    EV_CHARGING_STATION,
    FLOOD_MONITORING,
    LOCATION_IRI,
    NOISE_LEVEL_OBSERVED,
    SDM_TYPES,
    STREETLIGHT,
    TRAFFIC_FLOW_OBSERVED,
    WATER_OBSERVED,
    SdmType,
)
from .tenancy import tenant_for_member

PARIS = ZoneInfo("Europe/Paris")
COMMUNES_AT_SCALE_1 = 15
DEFAULT_DAYS = 30
DEFAULT_SEED = 2026
# What marks an entity as the demo's: re-running deletes exactly these.
DEMO_ID_MARK = ":demo-"
QUARTER = dt.timedelta(minutes=15)
HOUR = dt.timedelta(hours=1)
# History goes to the database in batches of about this many instances: large enough for
# COPY on PostgreSQL, small enough to keep memory flat.
HISTORY_BATCH = 40_000

# Sensors per commune (chargers come from the registry; water sensors depend on the river).
AIR_STATIONS = 1
NOISE_STATIONS = 1
TRAFFIC_LANES = 2
STREETLIGHTS = 4
GAUGE_EVERY = 4  # riverside towns per river gauge

# Communes of the Yvelines and the Hauts-de-Seine on the banks of the Seine: they get a river
# gauge and a flood sensor on the quays.
SEINE_COMMUNES = frozenset({
    "Andrésy", "Asnières-sur-Seine", "Bonnières-sur-Seine", "Bougival", "Boulogne-Billancourt",
    "Carrières-sous-Poissy", "Carrières-sur-Seine", "Chatou", "Clichy", "Colombes",
    "Conflans-Sainte-Honorine", "Courbevoie", "Croissy-sur-Seine", "Gennevilliers",
    "Issy-les-Moulineaux", "Le Mesnil-le-Roi", "Le Pecq", "Le Port-Marly", "Les Mureaux",
    "Levallois-Perret", "Limay", "Maisons-Laffitte", "Mantes-la-Jolie", "Médan", "Meudon",
    "Meulan-en-Yvelines", "Montesson", "Nanterre", "Neuilly-sur-Seine", "Poissy", "Puteaux",
    "Rosny-sur-Seine", "Rueil-Malmaison", "Saint-Cloud", "Sartrouville", "Sèvres", "Suresnes",
    "Triel-sur-Seine", "Verneuil-sur-Seine", "Vernouillet", "Villennes-sur-Seine",
    "Villeneuve-la-Garenne",
})  # fmt: skip
# Monthly mean temperatures in Île-de-France (°C, Météo-France 1991–2020 normals, rounded).
MONTHLY_MEAN_TEMPERATURE = (5.4, 6.2, 9.3, 12.1, 15.7, 18.9, 21.0, 20.8, 17.2, 13.3, 8.7, 5.8)
# Traffic (and with it NO2 and noise) relative to the busiest hour, per local hour.
WEEKDAY_ACTIVITY = (
    0.08, 0.05, 0.04, 0.04, 0.07, 0.20, 0.55, 0.95, 1.00, 0.75, 0.60, 0.62,
    0.68, 0.65, 0.62, 0.68, 0.80, 0.95, 1.00, 0.80, 0.55, 0.38, 0.25, 0.14,
)  # fmt: skip
WEEKEND_ACTIVITY = (
    0.12, 0.08, 0.06, 0.05, 0.05, 0.08, 0.14, 0.25, 0.38, 0.50, 0.60, 0.65,
    0.66, 0.62, 0.60, 0.60, 0.62, 0.60, 0.55, 0.45, 0.35, 0.28, 0.20, 0.15,
)  # fmt: skip


@dataclass(frozen=True)
class SensorKind:
    """How the demo makes one kind of sensor: its model, registry tag and asset models."""

    sdm: SdmType
    slug: str  # part of the entity id: urn:ngsi-ld:<Type>:<INSEE>:demo-<slug>-<n>
    tag_prefix: str  # inventory tags <prefix>-<département>-<number>, like the demo fleet's
    label: str  # French, for the asset label and the entity's name
    models: tuple[tuple[str, str], ...]  # (manufacturer, model): real products of the kind
    lifetime_months: int


SENSOR_KINDS: dict[str, SensorKind] = {
    kind.sdm.name: kind
    for kind in (
        SensorKind(
            AIR_QUALITY_OBSERVED,
            "air",
            "AQ",
            "Station de qualité de l'air",
            (("Kunak", "AIR Pro"), ("Clarity", "Node-S")),
            84,
        ),
        SensorKind(
            NOISE_LEVEL_OBSERVED, "bruit", "SON", "Sonomètre", (("Cesva", "TA120"), ("Acoem", "Fusion")), 96
        ),
        SensorKind(
            TRAFFIC_FLOW_OBSERVED,
            "trafic",
            "TRAF",
            "Compteur de trafic",
            (("Wavetronix", "SmartSensor HD"), ("Iteris", "Vantage Next")),
            120,
        ),
        SensorKind(
            STREETLIGHT,
            "eclairage",
            "ECL",
            "Point lumineux",
            (("Schréder", "Teceo 2 + Owlet IV"), ("Signify", "Luma gen2 + Interact City")),
            240,
        ),
        SensorKind(
            WATER_OBSERVED,
            "seine",
            "HYD",
            "Station hydrométrique",
            (("OTT HydroMet", "RLS radar"), ("Vega", "VEGAPULS C 21")),
            144,
        ),
        SensorKind(
            FLOOD_MONITORING,
            "crue",
            "CRUE",
            "Capteur de crue",
            (("Milesight", "EM500-UDL"), ("Milesight", "EM310-UDL")),
            72,
        ),
        SensorKind(EV_CHARGING_STATION, "irve", "", "Borne de recharge", (), 120),
        SensorKind(
            AC_MEASUREMENT,
            "energie",
            "NRJ",
            "Compteur d'énergie",
            (("Socomec", "Countis E47"), ("Schneider Electric", "iEM3255")),
            180,
        ),
    )
}


@dataclass
class DemoHubSummary:
    """What the hub's demo holds after a build, for the command's report."""

    communes: list[str]
    entities: dict[str, int]  # per SDM type name
    assets_created: int
    history_rows: int
    first: dt.datetime
    last: dt.datetime
    seconds: float

    @property
    def sensors(self) -> int:
        return sum(self.entities.values())


# ---------------------------------------------------------------- the clock


@dataclass(frozen=True)
class Slot:
    at: dt.datetime  # UTC
    stamp: str  # the same, as NGSI-LD writes it
    hour: float  # local (Paris) time of day, in hours
    weekend: bool
    day: int  # days since the first slot


class Clock:
    """The 15-minute and hourly slots of the period, computed once for every sensor."""

    def __init__(self, end: dt.datetime, days: int) -> None:
        end = end.astimezone(dt.UTC).replace(second=0, microsecond=0)
        self.end = end - dt.timedelta(minutes=end.minute % 15)
        self.start = self.end - dt.timedelta(days=days) + QUARTER
        self.days = days
        self.quarters = [self._slot(self.start + i * QUARTER) for i in range(days * 96)]
        self.hours = [s for s in self.quarters if s.at.minute == 0]

    def _slot(self, at: dt.datetime) -> Slot:
        local = at.astimezone(PARIS)
        return Slot(
            at=at,
            stamp=format_instant(at),
            hour=local.hour + local.minute / 60,
            weekend=local.weekday() >= 5,
            day=(at - self.start).days,
        )

    @property
    def now_stamp(self) -> str:
        return self.quarters[-1].stamp


def activity(slot: Slot) -> float:
    profile = WEEKEND_ACTIVITY if slot.weekend else WEEKDAY_ACTIVITY
    return profile[int(slot.hour) % 24]


@dataclass
class Weather:
    """What every sensor of the territory shares: temperature, wind, a particulate episode
    and one rain event, drawn once per build."""

    clock: Clock
    rng: random.Random
    temperature_anomaly: list[float] = field(init=False)  # per day
    dispersion: list[float] = field(init=False)  # per day, > 1 when still air traps pollution
    episode: tuple[int, int] = field(init=False)  # days of the particulate episode
    rain_at: dt.datetime = field(init=False)

    def __post_init__(self) -> None:
        rng, days = self.rng, self.clock.days + 1
        anomaly, still = 0.0, 1.0
        self.temperature_anomaly, self.dispersion = [], []
        for _ in range(days):
            anomaly = 0.7 * anomaly + rng.gauss(0, 1.6)
            still = min(1.8, max(0.6, 0.6 * still + 0.4 + rng.gauss(0, 0.25)))
            self.temperature_anomaly.append(anomaly)
            self.dispersion.append(still)
        first = max(1, days // 4)
        start = rng.randint(first, max(first, days // 2))
        self.episode = (start, start + rng.randint(2, 3))
        # The storm falls in the second half, with days left to watch the river go down.
        earliest = max(1, days // 2)
        rain_day = rng.randint(earliest, max(earliest, days - 6))
        self.rain_at = self.clock.start + dt.timedelta(days=rain_day, hours=rng.randint(0, 23))

    def temperature(self, slot: Slot) -> float:
        month = slot.at.astimezone(PARIS).month
        diurnal = 4.0 * math.sin(2 * math.pi * (slot.hour - 9) / 24)
        return MONTHLY_MEAN_TEMPERATURE[month - 1] + diurnal + self.temperature_anomaly[slot.day]

    def particulate_factor(self, slot: Slot) -> float:
        first, last = self.episode
        return 2.3 if first <= slot.day <= last else 1.0

    def rain_response(self, at: dt.datetime, *, rise_hours: float, fall_hours: float) -> float:
        """0 before the storm, rising to 1 over `rise_hours`, then receding exponentially."""
        hours = (at - self.rain_at).total_seconds() / 3600
        if hours <= 0:
            return 0.0
        if hours <= rise_hours:
            x = hours / rise_hours
            return x * x * (3 - 2 * x)
        return math.exp(-(hours - rise_hours) / fall_hours)


# ---------------------------------------------------------------- instances


def number(value: float, unit: str, stamp: str) -> dict[str, Any]:
    instance: dict[str, Any] = {"type": "Property", "value": value, "observedAt": stamp}
    if unit:
        instance["unitCode"] = unit
    return instance


def prop(value: Any, stamp: str | None = None) -> dict[str, Any]:
    instance: dict[str, Any] = {"type": "Property", "value": value}
    if stamp is not None:
        instance["observedAt"] = stamp
    return instance


Series = dict[str, list[dict[str, Any]]]  # attribute IRI → instances over time


def _push(series: Series, iri: str, instance: dict[str, Any]) -> None:
    series.setdefault(iri, []).append(instance)


# ---------------------------------------------------------------- sensors


@dataclass
class Sensor:
    kind: SensorKind
    member: Member
    tenant: Tenant
    site: Site
    number: int  # per kind and commune
    name: str
    position: tuple[float, float]  # (longitude, latitude)
    rng: random.Random
    asset: Asset | None = None
    static: dict[str, Any] = field(default_factory=dict)  # attribute term → value
    params: dict[str, float] = field(default_factory=dict)
    entity_pk: int | None = None

    @property
    def entity_id(self) -> str:
        return f"urn:ngsi-ld:{self.kind.sdm.name}:{self.member.insee_code}{DEMO_ID_MARK}{self.kind.slug}-{self.number:02d}"


def _air(sensor: Sensor, clock: Clock, weather: Weather) -> Series:
    sdm, rng, p = AIR_QUALITY_OBSERVED, sensor.rng, sensor.params
    iri = {a.name: a.iri for a in sdm.attributes}
    series: Series = {}
    urban = p["urban"]
    for slot in clock.quarters:
        traffic = activity(slot)
        still = weather.dispersion[slot.day]
        no2 = max(2.0, urban * (10 + 38 * traffic) * still + rng.gauss(0, 3))
        pm10 = max(
            3.0, urban * (13 + 7 * traffic) * still * weather.particulate_factor(slot) + rng.gauss(0, 2)
        )
        pm25 = max(1.5, pm10 * rng.uniform(0.55, 0.7))
        sun = max(0.0, math.sin(math.pi * (slot.hour - 7) / 13)) if 7 <= slot.hour <= 20 else 0.0
        warmth = max(0.2, (weather.temperature(slot) + 5) / 25)
        o3 = max(2.0, 30 + 55 * sun * warmth - 0.45 * no2 + rng.gauss(0, 4))
        for term, value in (("no2", no2), ("pm10", pm10), ("pm25", pm25), ("o3", o3)):
            _push(series, iri[term], number(round(value, 1), "GQ", slot.stamp))
        if slot.at.minute == 0:
            temperature = weather.temperature(slot) + p["heat_island"] + rng.gauss(0, 0.3)
            month_mean = MONTHLY_MEAN_TEMPERATURE[slot.at.astimezone(PARIS).month - 1]
            humidity = 0.78 - 0.025 * (temperature - month_mean) + rng.gauss(0, 0.03)
            index = caqi(no2=no2, pm10=pm10, pm25=pm25, o3=o3)
            _push(series, iri["temperature"], number(round(temperature, 1), "CEL", slot.stamp))
            _push(
                series,
                iri["relativeHumidity"],
                number(round(min(0.99, max(0.25, humidity)), 2), "C62", slot.stamp),
            )
            _push(series, iri["airQualityIndex"], number(index, "", slot.stamp))
            _push(series, iri["airQualityLevel"], prop(air_quality_level(index), slot.stamp))
    return series


# European Common Air Quality Index (CAQI, hourly grid): pollutant concentration breakpoints
# (µg/m³) for index values 0, 25, 50, 75, 100; the index is the worst pollutant's.
CAQI_GRID = {
    "no2": (0, 50, 100, 200, 400),
    "pm10": (0, 25, 50, 90, 180),
    "pm25": (0, 15, 30, 55, 110),
    "o3": (0, 60, 120, 180, 240),
}


def caqi(**concentrations: float) -> int:
    worst = 0.0
    for pollutant, value in concentrations.items():
        grid = CAQI_GRID[pollutant]
        if value >= grid[-1]:
            worst = max(worst, 100 + (value - grid[-1]) / grid[-1] * 25)
            continue
        for band in range(4):
            low, high = grid[band], grid[band + 1]
            if value < high:
                worst = max(worst, 25 * band + 25 * (value - low) / (high - low))
                break
    return round(worst)


def air_quality_level(index: int) -> str:
    """The SDM airQualityLevel of a CAQI value (very low and low both read as "good")."""
    if index < 50:
        return "good"
    if index < 75:
        return "moderate"
    if index < 100:
        return "unhealthyForSensitiveGroups"
    return "unhealthy"


def _noise(sensor: Sensor, clock: Clock, weather: Weather) -> Series:
    rng, p = sensor.rng, sensor.params
    laeq_iri = NOISE_LEVEL_OBSERVED.attribute("LAeq").iri
    lamax_iri = NOISE_LEVEL_OBSERVED.attribute("LAmax").iri
    series: Series = {}
    for slot in clock.quarters:
        laeq = p["night"] + (p["day"] - p["night"]) * activity(slot) + rng.gauss(0, 1.5)
        lamax = laeq + 10 + min(25.0, rng.expovariate(1 / 5))
        _push(series, laeq_iri, number(round(laeq, 1), "2N", slot.stamp))
        _push(series, lamax_iri, number(round(lamax, 1), "2N", slot.stamp))
    return series


def _traffic(sensor: Sensor, clock: Clock, weather: Weather) -> Series:
    rng, p, sdm = sensor.rng, sensor.params, TRAFFIC_FLOW_OBSERVED
    iri = {a.name: a.iri for a in sdm.attributes}
    series: Series = {}
    for slot in clock.hours:
        count = max(0, round(p["peak"] * activity(slot) * rng.gauss(1, 0.08)))
        occupancy = min(0.95, count / p["peak"] * 0.3 * rng.uniform(0.9, 1.15))
        speed = max(8.0, p["free_speed"] * (1 - 0.9 * max(0.0, occupancy - 0.18)) + rng.gauss(0, 2))
        _push(series, iri["intensity"], number(count, "", slot.stamp))
        _push(series, iri["averageVehicleSpeed"], number(round(speed, 1), "KMH", slot.stamp))
        _push(series, iri["occupancy"], number(round(occupancy, 3), "C62", slot.stamp))
        _push(series, iri["congested"], prop(occupancy > 0.3, slot.stamp))
    return series


def sun_times(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Approximate sunrise and sunset in the Paris region (UTC): solar noon at 11:51 UTC, day
    length from 8 h 10 (December) to 16 h 10 (June); a few minutes off at most."""
    length = 12.17 + 4.0 * math.sin(2 * math.pi * (day.timetuple().tm_yday - 80) / 365)
    noon = dt.datetime(day.year, day.month, day.day, 11, 51, tzinfo=dt.UTC)
    half = dt.timedelta(hours=length / 2)
    return noon - half, noon + half


def _streetlight(sensor: Sensor, clock: Clock, weather: Weather) -> Series:
    rng, p = sensor.rng, sensor.params
    status_iri = STREETLIGHT.attribute("status").iri
    power_iri = STREETLIGHT.attribute("powerState").iri
    level_iri = STREETLIGHT.attribute("illuminanceLevel").iri
    watts_iri = STREETLIGHT.attribute("powerConsumption").iri
    rated = p["rated"]
    # About one light in eight fails during the month; most are repaired within a week.
    failure_day = rng.randrange(clock.days) if rng.random() < 0.125 else None
    failure = rng.choice(("defectiveLamp", "defectiveLamp", "columnIssue", "brokenLantern"))
    repair_day = failure_day + rng.randint(3, 9) if failure_day is not None else None
    series: Series = {}

    def status_on(day: int) -> str:
        if failure_day is not None and failure_day <= day and (repair_day is None or day < repair_day):
            return failure
        return "ok"

    first_day = clock.start.date()
    for offset in range(-1, clock.days + 1):
        day = first_day + dt.timedelta(days=offset)
        sunrise, sunset = sun_times(day)
        status = status_on(offset)
        lit = status == "ok"
        dimmed_at = dt.datetime(day.year, day.month, day.day, 23, 0, tzinfo=PARIS).astimezone(dt.UTC)
        next_sunrise = sun_times(day + dt.timedelta(days=1))[0]
        # Daily self-test report at noon, then the switching events of the night.
        events: list[tuple[dt.datetime, str | None, str, float, float]] = [
            (sunrise.replace(hour=12, minute=0), status, "off", 0.0, 0.0),
            (sunset, None, "on", 1.0, rated if lit else 0.0),
            (dimmed_at, None, "low", 0.5, rated * 0.55 if lit else 0.0),
            (next_sunrise, None, "off", 0.0, 0.0),
        ]
        for at, daily_status, state, level, watts in events:
            at = at.replace(second=0, microsecond=0)
            if not clock.start <= at <= clock.end:
                continue
            stamp = format_instant(at)
            if daily_status is not None:
                _push(series, status_iri, prop(daily_status, stamp))
                continue
            _push(series, power_iri, prop(state, stamp))
            _push(series, level_iri, number(level, "C62", stamp))
            _push(series, watts_iri, number(round(watts * rng.uniform(0.97, 1.03), 1), "WTT", stamp))
    return series


def _water(sensor: Sensor, clock: Clock, weather: Weather) -> Series:
    rng, p = sensor.rng, sensor.params
    height_iri = WATER_OBSERVED.attribute("height").iri
    flow_iri = WATER_OBSERVED.attribute("flow").iri
    series: Series = {}
    for slot in clock.hours:
        rise = weather.rain_response(slot.at, rise_hours=36, fall_hours=100)
        height = p["base"] + p["rise"] * rise + 0.05 * math.sin(slot.day / 3) + rng.gauss(0, 0.01)
        flow = p["rating"] * height**1.6
        _push(series, height_iri, number(round(height, 2), "MTR", slot.stamp))
        _push(series, flow_iri, number(round(flow), "MQS", slot.stamp))
    return series


def _flood(sensor: Sensor, clock: Clock, weather: Weather) -> Series:
    rng, p = sensor.rng, sensor.params
    level_iri = FLOOD_MONITORING.attribute("currentLevel").iri
    distance_iri = FLOOD_MONITORING.attribute("measuredDistance").iri
    status_iri = FLOOD_MONITORING.attribute("floodLevelStatus").iri
    reference, alert, danger = p["reference"], p["alert"], p["danger"]
    series: Series = {}
    for slot in clock.hours:
        rise = weather.rain_response(slot.at, rise_hours=8, fall_hours=30)
        level = max(0.0, p["base"] + p["rise"] * rise + rng.gauss(0, 0.02))
        status = "Danger" if level >= danger else "Alert" if level >= alert else "Normal"
        _push(series, level_iri, number(round(level, 2), "MTR", slot.stamp))
        _push(series, distance_iri, number(round(reference - level, 2), "MTR", slot.stamp))
        _push(series, status_iri, prop(status, slot.stamp))
    return series


def _charger(sensor: Sensor, clock: Clock, weather: Weather) -> Series:
    rng = sensor.rng
    capacity = int(sensor.static["capacity"])
    status_iri = EV_CHARGING_STATION.attribute("status").iri
    free_iri = EV_CHARGING_STATION.attribute("availableCapacity").iri
    # An outage of one to three days for one station in four, a few hours' incident for others.
    outage: tuple[int, int] | None = None
    if rng.random() < 0.25:
        start = rng.randrange(len(clock.quarters))
        outage = (start, start + rng.randint(96, 3 * 96))
    elif rng.random() < 0.4:
        start = rng.randrange(len(clock.quarters))
        outage = (start, start + rng.randint(8, 24))
    incident = "outOfService" if outage and outage[1] - outage[0] >= 96 else "withIncidence"
    busy_until = [-1] * capacity
    series: Series = {}
    last: tuple[str, int] | None = None
    for index, slot in enumerate(clock.quarters):
        for point in range(capacity):
            if busy_until[point] < index and rng.random() < 0.09 * activity(slot):
                busy_until[point] = index + rng.randint(4, 20)  # one to five hours
        if outage and outage[0] <= index < outage[1]:
            state = (incident, 0)
        else:
            free = sum(1 for until in busy_until if until < index)
            status = "full" if free == 0 else "almostFull" if free == 1 and capacity > 2 else "working"
            state = (status, free)
        if state != last:
            _push(series, status_iri, prop(state[0], slot.stamp))
            _push(series, free_iri, number(state[1], "", slot.stamp))
            last = state
    return series


def _energy(sensor: Sensor, clock: Clock, weather: Weather) -> Series:
    rng, p = sensor.rng, sensor.params
    power_iri = AC_MEASUREMENT.attribute("totalActivePower").iri
    index_iri = AC_MEASUREMENT.attribute("totalActiveEnergyImport").iri
    peak, base, school = p["peak"], p["peak"] * p["base_share"], p["school"] > 0
    index = p["index"]
    series: Series = {}
    for slot in clock.hours:
        weekday = slot.at.astimezone(PARIS).weekday()
        open_hours = (8 <= slot.hour < 17) if school else (8 <= slot.hour < 18)
        open_day = weekday in (0, 1, 3, 4) or (weekday == 2 and slot.hour < 12) if school else weekday < 5
        occupied = 1.0 if (open_day and open_hours) else 0.0
        heating = max(0.0, 15 - weather.temperature(slot)) * 0.02 * peak
        power = max(0.5, base + (peak - base) * occupied + heating + rng.gauss(0, 0.04 * peak))
        index += power  # one hour at `power` kW
        _push(series, power_iri, number(round(power, 2), "KWT", slot.stamp))
        _push(series, index_iri, number(round(index, 1), "KWH", slot.stamp))
    return series


GENERATORS: dict[str, Callable[[Sensor, Clock, Weather], Series]] = {
    AIR_QUALITY_OBSERVED.name: _air,
    NOISE_LEVEL_OBSERVED.name: _noise,
    TRAFFIC_FLOW_OBSERVED.name: _traffic,
    STREETLIGHT.name: _streetlight,
    WATER_OBSERVED.name: _water,
    FLOOD_MONITORING.name: _flood,
    EV_CHARGING_STATION.name: _charger,
    AC_MEASUREMENT.name: _energy,
}


# ---------------------------------------------------------------- placement


@dataclass
class Town:
    member: Member
    tenant: Tenant
    sites: dict[str, list[Site]]  # by site-kind code
    chargers: list[Asset]

    @property
    def commune(self) -> Commune:
        commune = self.member.commune
        if commune is None:  # excluded by choose_towns; keeps the type checker honest
            raise ValueError(f"{self.member} has no commune.")
        return commune

    def site(self, *kinds: str) -> Site:
        for kind in kinds:
            if self.sites.get(kind):
                return self.sites[kind][0]
        return next(iter(self.sites.values()))[0]


def choose_towns(operator: Operator, count: int) -> list[Town]:
    """`count` commune members with sites: a third among those with chargers, the rest the
    most populated, alternating between the départements so that both are shown."""
    members = list(
        Member.objects.filter(operator=operator, kind=MemberKind.COMMUNE, commune__isnull=False)
        .annotate(site_count=Count("sites"))
        .filter(site_count__gt=0)
        .select_related("commune__departement")
        .order_by("-commune__population", "commune__code")
    )
    chargers: dict[int, list[Asset]] = {}
    for charger in (
        Asset.objects.filter(
            operator=operator,
            asset_type__code=EV_CHARGING_STATION.asset_type_code,
            site__member__in=members,
        )
        .exclude(status__in=(AssetStatus.RETIRED, AssetStatus.LOST))
        .select_related("site")
        .order_by("inventory_tag")
    ):
        chargers.setdefault(charger.site.member_id, []).append(charger)
    with_chargers = [m for m in members if m.pk in chargers][: math.ceil(count / 3)]
    rest = [m for m in members if m not in with_chargers]
    by_departement: dict[str, list[Member]] = {}
    for member in rest:
        code = member.commune.departement.code if member.commune else ""
        by_departement.setdefault(code, []).append(member)
    alternating = [m for group in _interleave(list(by_departement.values())) for m in group]
    chosen = (with_chargers + alternating)[:count]
    sites: dict[int, dict[str, list[Site]]] = {}
    for site in (
        Site.objects.filter(member__in=chosen).select_related("kind", "commune").order_by("name", "pk")
    ):
        sites.setdefault(site.member_id, {}).setdefault(site.kind.code, []).append(site)
    return [
        Town(
            member=member,
            tenant=tenant_for_member(member),
            sites=sites[member.pk],
            chargers=chargers.get(member.pk, [])[:3],
        )
        for member in sorted(chosen, key=lambda m: m.commune.code if m.commune else "")
    ]


def _interleave(groups: list[list[Member]]) -> Iterator[list[Member]]:
    for index in range(max((len(g) for g in groups), default=0)):
        yield [g[index] for g in groups if index < len(g)]


def site_position(site: Site, rng: random.Random) -> tuple[float, float]:
    """(longitude, latitude) of a sensor a few hundred metres around its site.

    Demo sites carry coordinates; a site without them falls back on its commune's town
    centre (the territory reference), and a commune without one on the mean position of the
    communes of its département that have one.
    """
    if site.latitude is not None and site.longitude is not None:
        latitude, longitude = float(site.latitude), float(site.longitude)
    elif site.commune.latitude is not None and site.commune.longitude is not None:
        latitude, longitude = float(site.commune.latitude), float(site.commune.longitude)
    else:
        latitude, longitude = _departement_centre(site.commune)
    lat = latitude + rng.uniform(-0.0027, 0.0027)  # ± 300 m
    lon = longitude + rng.uniform(-0.004, 0.004)  # ± 300 m at 48.8° N
    return round(lon, 6), round(lat, 6)


def _departement_centre(commune: Commune) -> tuple[float, float]:
    points = [
        (float(lat), float(lon))
        for lat, lon in Commune.objects.filter(departement=commune.departement_id).values_list(
            "latitude", "longitude"
        )
        if lat is not None and lon is not None
    ]
    if not points:
        # No position anywhere in the département: the Yvelines' prefecture (Versailles).
        return 48.8049, 2.1204
    return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)


def plan_sensors(towns: list[Town], rng: random.Random) -> list[Sensor]:
    sensors: list[Sensor] = []
    riverside_towns = [i for i, t in enumerate(towns) if t.commune.name in SEINE_COMMUNES]
    gauge_towns = set(riverside_towns[::GAUGE_EVERY])
    for town_index, town in enumerate(towns):
        name = town.commune.name
        urban = (
            1.25
            if town.commune.departement.code == "92"
            else 1.0
            if (town.commune.population or 0) > 20000
            else 0.8
        )

        def add(kind_name: str, site: Site, label: str, town: Town = town, **params: float) -> Sensor:
            kind = SENSOR_KINDS[kind_name]
            count = sum(1 for s in sensors if s.kind is kind and s.member is town.member) + 1
            sensor = Sensor(
                kind=kind,
                member=town.member,
                tenant=town.tenant,
                site=site,
                number=count,
                name=label,
                position=site_position(site, rng),
                rng=random.Random(rng.random()),  # noqa: S311 (seeded demo data, not secrets)
                params=params,
            )
            sensors.append(sensor)
            return sensor

        hall = town.site("mairie")
        street = town.site("voirie", "parking", "mairie")
        add(
            AIR_QUALITY_OBSERVED.name,
            hall,
            f"Qualité de l'air – {hall.name}",
            urban=urban,
            heat_island=rng.uniform(0.3, 1.5) * urban,
        )
        day_level = rng.uniform(60, 68) if urban > 1 else rng.uniform(55, 63)
        add(
            NOISE_LEVEL_OBSERVED.name,
            street,
            f"Bruit – {street.name}",
            day=day_level,
            night=day_level - rng.uniform(9, 13),
        ).static.update(sonometerClass="1")
        peak = rng.uniform(500, 1100) * (1.2 if urban > 1 else 1.0)
        for lane in range(1, TRAFFIC_LANES + 1):
            sensor = add(
                TRAFFIC_FLOW_OBSERVED.name,
                street,
                f"Comptage voie {lane} – {name}",
                peak=peak * rng.uniform(0.85, 1.1),
                free_speed=rng.uniform(44, 52),
            )
            sensor.static.update(laneId=lane, laneDirection=("forward", "backward")[(lane - 1) % 2])
        for index in range(STREETLIGHTS):
            category = ("road", "sidewalk", "parking", "park")[index % 4]
            add(
                STREETLIGHT.name,
                street,
                f"Point lumineux {index + 1} – {name}",
                rated=rng.choice((39.0, 52.0, 67.0, 89.0)),
            ).static.update(locationCategory=category)
        for building in [hall, *town.sites.get("ecole", [])[:1]]:
            add(
                AC_MEASUREMENT.name,
                building,
                f"Compteur électrique – {building.name}",
                peak=rng.uniform(25, 60) if building is hall else rng.uniform(15, 40),
                base_share=rng.uniform(0.2, 0.3),
                school=0.0 if building is hall else 1.0,
                index=round(rng.uniform(1e5, 2e6)),
            ).static.update(phaseType="threePhase")
        for charger in town.chargers:
            sensor = add(
                EV_CHARGING_STATION.name, charger.site, f"{charger.label or 'Borne'} – {charger.site.name}"
            )
            sensor.asset = charger
            sensor.static.update(
                capacity=2, socketType=["Type2"], allowedVehicleType=["car", "motorcycle", "motorscooter"]
            )
        riverside = name in SEINE_COMMUNES
        # One river gauge for every few riverside towns (the Seine is one river); a stream
        # gauge in the first town when none is riverside, so that every type is shown.
        gauge = town_index in gauge_towns or (town_index == 0 and not gauge_towns)
        if gauge:
            add(
                WATER_OBSERVED.name,
                hall,
                f"Station hydrométrique de la Seine – {name}",
                base=rng.uniform(1.6, 2.6),
                rise=rng.uniform(1.2, 2.0),
                rating=rng.uniform(70, 95),
            )
        if riverside or town_index % 4 == 1:
            # Levels drawn so that the storm raises an alert at most stations and a danger
            # status at some.
            add(
                FLOOD_MONITORING.name,
                street,
                f"Capteur de crue – {name}",
                reference=3.5,
                alert=1.8,
                danger=2.6,
                base=rng.uniform(0.3, 0.6),
                rise=rng.uniform(1.3, 2.4),
            ).static.update(referenceLevel=3.5, alertLevel=1.8, dangerLevel=2.6)
    return sensors


# ---------------------------------------------------------------- registry


def ensure_asset_types() -> dict[str, tuple[AssetType, list[AssetModel]]]:
    """The sensors' asset types and models, added when missing (never renamed: they are
    editable lists of the back-office)."""
    result: dict[str, tuple[AssetType, list[AssetModel]]] = {}
    for kind in SENSOR_KINDS.values():
        sdm = kind.sdm
        asset_type, _created = AssetType.objects.get_or_create(
            code=sdm.asset_type_code,
            defaults={"name": sdm.asset_type_name, "expected_lifetime_months": kind.lifetime_months},
        )
        models = [
            AssetModel.objects.get_or_create(asset_type=asset_type, manufacturer=maker, name=model)[0]
            for maker, model in kind.models
        ]
        result[sdm.name] = (asset_type, models)
    return result


def create_assets(sensors: list[Sensor], *, operator: Operator, now: dt.datetime, rng: random.Random) -> int:
    """One registry asset per sensor that has none (chargers already have theirs)."""
    types = ensure_asset_types()
    counters: dict[tuple[str, str], int] = {}
    made: list[Asset] = []
    for sensor in sensors:
        if sensor.asset is not None:
            continue
        asset_type, models = types[sensor.kind.sdm.name]
        departement = sensor.site.commune.departement.code
        key = (sensor.kind.tag_prefix, departement)
        counters[key] = counters.get(key, 0) + 1
        acquired = (now - dt.timedelta(days=rng.randint(60, 3 * 365))).date()
        sensor.asset = Asset(
            operator_id=operator.pk,
            site=sensor.site,
            asset_type=asset_type,
            model=rng.choice(models) if models else None,
            inventory_tag=f"{sensor.kind.tag_prefix}-{departement}-{counters[key]:06d}",
            serial_number=f"{rng.randrange(16**10):010X}",
            label=sensor.name[:200],
            status=AssetStatus.IN_SERVICE,
            status_changed_at=dt.datetime.combine(acquired, dt.time(10), tzinfo=dt.UTC),
            acquired_on=acquired,
            warranty_ends_on=acquired + dt.timedelta(days=2 * 365),
        )
        made.append(sensor.asset)
    Asset.objects.bulk_create(made, batch_size=500)
    AssetStatusChange.objects.bulk_create(
        [
            AssetStatusChange(
                asset=a, from_status="", to_status=AssetStatus.IN_SERVICE, changed_at=a.status_changed_at
            )
            for a in made
        ],
        batch_size=500,
    )
    return len(made)


def remove_previous(operator: Operator) -> int:
    """Delete the demo's entities (with their history) and sensor assets from an earlier run."""
    removed = 0
    demo_types = [t.iri for t in SDM_TYPES]
    rows = Entity.objects.filter(
        tenant__operator=operator, entity_id__contains=DEMO_ID_MARK, type__in=demo_types
    ).values_list("tenant_id", "entity_id")
    by_tenant: dict[int, list[str]] = {}
    for tenant_id, entity_id in rows:
        by_tenant.setdefault(tenant_id, []).append(entity_id)
    for tenant in Tenant.objects.filter(pk__in=by_tenant):
        removed += len(services.delete_entities(tenant=tenant, ids=by_tenant[tenant.pk]).success)
    prefixes = Q()
    for kind in SENSOR_KINDS.values():
        if kind.tag_prefix:
            prefixes |= Q(
                asset_type__code=kind.sdm.asset_type_code, inventory_tag__startswith=f"{kind.tag_prefix}-"
            )
    Asset.objects.filter(prefixes, operator=operator).delete()
    return removed


def remove_hub_data(operator: Operator) -> None:
    """Everything the hub holds for `operator`: history, entities, subscriptions, tenants.

    For the demo's reset (`demo.builder.reset_demo`), which deletes members and sites:
    tenants protect their member, and entities their tenant.
    """
    tenants = Tenant.objects.filter(operator=operator)
    entities = Entity.objects.filter(tenant__in=tenants)
    AttributeInstance.objects.filter(tenant_id__in=tenants.values("pk")).delete()
    entities.delete()
    Subscription.objects.filter(tenant__in=tenants).delete()
    tenants.delete()


# ---------------------------------------------------------------- entities


def entity_for(sensor: Sensor, series: Series, stamp: str) -> dict[str, Any]:
    """The sensor's current state: the latest instance of each observed attribute, its
    descriptive attributes, location, and the registry relationships."""
    sdm = sensor.kind.sdm
    attrs: dict[str, list[dict[str, Any]]] = {}
    for iri, instances in series.items():
        attrs[iri] = [{**instances[-1], "createdAt": stamp, "modifiedAt": stamp}]
    lon, lat = sensor.position
    fixed: dict[str, dict[str, Any]] = {
        sdm.attribute("name").iri: prop(sensor.name),
        LOCATION_IRI: {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [lon, lat]}},
        services.SITE_IRI: {"type": "Relationship", "object": f"{services.SITE_URN}{sensor.site.pk}"},
    }
    if sensor.asset is not None:
        fixed[services.ASSET_IRI] = {
            "type": "Relationship",
            "object": f"{services.ASSET_URN}{sensor.asset.inventory_tag}",
        }
    for term, value in sensor.static.items():
        fixed[sdm.attribute(term).iri] = prop(value)
    for iri, instance in fixed.items():
        attrs[iri] = [{**instance, "createdAt": stamp, "modifiedAt": stamp}]
    return {"id": sensor.entity_id, "type": [sdm.iri], "attrs": attrs}


def build(
    *,
    operator: Operator,
    now: dt.datetime,
    progress: Progress | None = None,
    scale: float = 1.0,
    days: int = DEFAULT_DAYS,
    seed: int = DEFAULT_SEED,
) -> DemoHubSummary:
    """Create (or re-create) the hub's demo sensors of `operator`, with `days` of history
    ending at `now`. `scale` multiplies the number of communes (15 at 1.0)."""
    progress = progress or Progress()
    if days < 1:
        raise ValueError("The demo needs at least one day of history.")
    rng = random.Random(seed)  # noqa: S311 (seeded demo data, not secrets)
    clock = Clock(now, days)
    weather = Weather(clock, random.Random(rng.random()))  # noqa: S311 (as above)
    partitions.ensure_partitions(clock.start.date(), clock.end.date())
    with transaction.atomic():
        removed = remove_previous(operator)
        if removed:
            progress.say(f"Data hub: removed {removed} demo entities of an earlier run")
        towns = choose_towns(operator, max(1, round(COMMUNES_AT_SCALE_1 * scale)))
        sensors = plan_sensors(towns, rng)
        assets = create_assets(sensors, operator=operator, now=clock.end, rng=rng)
        progress.say(f"Data hub: {len(sensors)} sensors in {len(towns)} communes, {assets} new assets")
        by_tenant: dict[int, list[tuple[Sensor, dict[str, Any]]]] = {}
        pending: list[tuple[int, int, Series]] = []
        pending_size = 0
        histories: dict[str, Series] = {}
        for sensor in sensors:
            series = GENERATORS[sensor.kind.sdm.name](sensor, clock, weather)
            histories[sensor.entity_id] = series
            by_tenant.setdefault(sensor.tenant.pk, []).append(
                (sensor, entity_for(sensor, series, clock.now_stamp))
            )
        for pairs in by_tenant.values():
            tenant = pairs[0][0].tenant
            result = services.create_entities(tenant=tenant, entities=[e for _s, e in pairs], now=clock.end)
            if result.errors:
                raise RuntimeError(f"The hub refused demo entities: {result.errors}")
        pks = dict(
            Entity.objects.filter(
                tenant__operator=operator, entity_id__in=[s.entity_id for s in sensors]
            ).values_list("entity_id", "pk")
        )
        for done, sensor in enumerate(sensors, start=1):
            series = histories.pop(sensor.entity_id)
            pending.append((sensor.tenant.pk, pks[sensor.entity_id], series))
            pending_size += sum(len(instances) for instances in series.values())
            if pending_size >= HISTORY_BATCH or done == len(sensors):
                history.record_many(pending, recorded_at=clock.end)
                pending, pending_size = [], 0
                progress.count("Data hub history", done, len(sensors))
        # Counted rather than summed: creating the entities already wrote their latest values.
        rows_written = AttributeInstance.objects.filter(entity_id__in=pks.values()).count()
    counts: dict[str, int] = {}
    for sensor in sensors:
        counts[sensor.kind.sdm.name] = counts.get(sensor.kind.sdm.name, 0) + 1
    return DemoHubSummary(
        communes=[t.commune.name for t in towns],
        entities=counts,
        assets_created=assets,
        history_rows=rows_written,
        first=clock.start,
        last=clock.end,
        seconds=progress.elapsed(),
    )
