"""The figures of a territory dashboard, from the sensors a scope may see: air quality
(ATMO), noise (Lden), traffic counts, water levels, street lights out of service, chargers.

Each section reads the history once (`selectors.hourly_partials`, one GROUP BY statement for
all its sensors) and rolls the hourly sums up in local time; the number of queries of a page
does not depend on the number of sensors.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.utils.translation import gettext as _

from ..smart_data_models import (
    AIR_QUALITY_OBSERVED,
    ENV,
    EV_CHARGING_STATION,
    FLOOD_MONITORING,
    NOISE_LEVEL_OBSERVED,
    SDM_BASE,
    STREETLIGHT,
    TRAFFIC_FLOW_OBSERVED,
    WATER_OBSERVED,
)
from .indices import (
    DAILY_MEAN_POLLUTANTS,
    NOISE_PERIOD_LABELS,
    WHO_PM25_DAILY,
    Atmo,
    atmo_index,
    lden,
    noise_period,
)
from .labels import code_label
from .periods import PARIS, Period, Step
from .rollup import Bucket, roll
from .selectors import (
    CHARGER_OCCUPIED,
    CHARGER_OUT,
    LIGHT_FAULTS,
    Sensor,
    Threshold,
    fault_since,
    hourly_partials,
)

# SDM's AirQualityObserved names SO2 too; the hub's table lists only what the demo writes.
SO2_IRI = f"{SDM_BASE}{ENV}/so2"
POLLUTANT_IRIS = {
    "pm25": AIR_QUALITY_OBSERVED.attribute("pm25").iri,
    "pm10": AIR_QUALITY_OBSERVED.attribute("pm10").iri,
    "no2": AIR_QUALITY_OBSERVED.attribute("no2").iri,
    "o3": AIR_QUALITY_OBSERVED.attribute("o3").iri,
    "so2": SO2_IRI,
}
# French limit values for road traffic noise (arrêté du 4 avril 2006, article 7).
ROAD_LIMIT_LDEN = 68.0
ROAD_LIMIT_LNIGHT = 62.0
# A fault older than this is called out in the summary.
LONG_FAULT = dt.timedelta(days=7)
WATER_LEVELS = {WATER_OBSERVED.name: "height", FLOOD_MONITORING.name: "currentLevel"}


def of_type(sensors: Sequence[Sensor], *names: str) -> list[Sensor]:
    return [s for s in sensors if s.sdm.name in names]


def local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(PARIS).date()


def period_days(period: Period) -> list[dt.date]:
    first, last = local_day(period.start), local_day(period.end - dt.timedelta(microseconds=1))
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def day_label(day: dt.date) -> str:
    return day.strftime("%d/%m")


# ---------------------------------------------------------------- air quality


@dataclass
class AirFigures:
    sensors: list[Sensor]
    days: list[dt.date]
    # sensor pk → day → index
    station_days: dict[int, dict[dt.date, Atmo]]
    # commune name → day → the worst station's index that day
    area_days: dict[str, dict[dt.date, Atmo]]
    # sensor pk → day → PM2.5 daily mean
    pm25_daily: dict[int, dict[dt.date, float]]
    # sensor pk → bucket → PM2.5 mean, for the chart
    pm25_buckets: dict[int, dict[dt.datetime, float | None]]

    def days_above_who(self) -> int:
        """Days on which at least one station's PM2.5 daily mean exceeded the WHO guideline."""
        return len({d for days in self.pm25_daily.values() for d, v in days.items() if v > WHO_PM25_DAILY})

    def level_counts(self) -> dict[int, int]:
        """Days per ATMO level, over every commune shown (a commune-day counts once)."""
        counts: dict[int, int] = {}
        for days in self.area_days.values():
            for atmo in days.values():
                counts[atmo.level] = counts.get(atmo.level, 0) + 1
        return counts


def air(sensors: Sequence[Sensor], period: Period) -> AirFigures:
    stations = of_type(sensors, AIR_QUALITY_OBSERVED.name)
    days = period_days(period)
    # The ATMO index is a daily one: whole local days, even when the period starts mid-day.
    start = min(period.start, dt.datetime.combine(days[0], dt.time(), tzinfo=PARIS))
    partials = hourly_partials([s.pk for s in stations], list(POLLUTANT_IRIS.values()), start, period.end)
    station_days: dict[int, dict[dt.date, Atmo]] = {}
    pm25_daily: dict[int, dict[dt.date, float]] = {}
    pm25_buckets: dict[int, dict[dt.datetime, float | None]] = {}
    for sensor in stations:
        daily: dict[dt.date, dict[str, float]] = {}
        for pollutant, iri in POLLUTANT_IRIS.items():
            for day, bucket in roll(partials.get((sensor.pk, iri), []), local_day).items():
                figure = bucket.mean if pollutant in DAILY_MEAN_POLLUTANTS else bucket.max_hourly_mean
                if figure is not None:
                    daily.setdefault(day, {})[pollutant] = figure
        station_days[sensor.pk] = {
            day: index for day, values in daily.items() if (index := atmo_index(values)) is not None
        }
        pm25_daily[sensor.pk] = {day: values["pm25"] for day, values in daily.items() if "pm25" in values}
        in_period = [
            p for p in partials.get((sensor.pk, POLLUTANT_IRIS["pm25"]), []) if p.hour >= period.start
        ]
        pm25_buckets[sensor.pk] = {k: b.mean for k, b in roll(in_period, period.bucket_of).items()}
    area_days: dict[str, dict[dt.date, Atmo]] = {}
    for sensor in stations:
        area = sensor.commune.name if sensor.commune else _("Elsewhere")
        worst = area_days.setdefault(area, {})
        for day, index in station_days[sensor.pk].items():
            if day not in worst or index.level > worst[day].level:
                worst[day] = index
    return AirFigures(stations, days, station_days, area_days, pm25_daily, pm25_buckets)


# ---------------------------------------------------------------- noise


@dataclass
class NoiseRow:
    sensor: Sensor
    lday: float | None
    levening: float | None
    lnight: float | None

    @property
    def lden(self) -> float | None:
        return lden(self.lday, self.levening, self.lnight)

    @property
    def above_limit(self) -> bool:
        value = self.lden
        return (value is not None and value > ROAD_LIMIT_LDEN) or (
            self.lnight is not None and self.lnight > ROAD_LIMIT_LNIGHT
        )


def noise(sensors: Sequence[Sensor], period: Period) -> list[NoiseRow]:
    """Lday, Levening, Lnight and Lden of each noise sensor over the period: energy sums of
    LAeq computed by the database per hour, added up per period of the day."""
    stations = of_type(sensors, NOISE_LEVEL_OBSERVED.name)
    iri = NOISE_LEVEL_OBSERVED.attribute("LAeq").iri
    partials = hourly_partials([s.pk for s in stations], [iri], period.start, period.end, energy=True)
    rows = []
    for sensor in stations:
        by_period = roll(partials.get((sensor.pk, iri), []), lambda h: noise_period(h.astimezone(PARIS).hour))
        levels = {name: bucket.level for name, bucket in by_period.items()}
        rows.append(NoiseRow(sensor, levels.get("day"), levels.get("evening"), levels.get("night")))
    return rows


NOISE_COLUMNS = [*(str(label) for label in NOISE_PERIOD_LABELS.values()), "Lden"]


# ---------------------------------------------------------------- traffic


@dataclass
class TrafficFigures:
    sensors: list[Sensor]
    period: Period  # with the step traffic is counted by (hour or day)
    counts: dict[int, dict[dt.datetime, float]]  # sensor pk → bucket → vehicles
    by_hour_of_day: dict[int, float]  # all counters: local hour → vehicles over the period

    def total(self, sensor: Sensor) -> int:
        return round(sum(self.counts.get(sensor.pk, {}).values()))

    @property
    def grand_total(self) -> int:
        return sum(self.total(s) for s in self.sensors)

    @property
    def busiest_hour(self) -> int | None:
        if not self.by_hour_of_day:
            return None
        return max(self.by_hour_of_day, key=lambda h: self.by_hour_of_day[h])


def traffic(sensors: Sequence[Sensor], period: Period) -> TrafficFigures:
    """Vehicles counted per hour (periods of up to two days) or per day."""
    counters = of_type(sensors, TRAFFIC_FLOW_OBSERVED.name)
    step = Step.HOUR if period.step == Step.HOUR else (Step.WEEK if period.step == Step.WEEK else Step.DAY)
    counted = replace(period, step=step)
    iri = TRAFFIC_FLOW_OBSERVED.attribute("intensity").iri
    partials = hourly_partials([s.pk for s in counters], [iri], period.start, period.end)
    counts: dict[int, dict[dt.datetime, float]] = {}
    by_hour: dict[int, float] = {}
    for sensor in counters:
        series = partials.get((sensor.pk, iri), [])
        counts[sensor.pk] = {k: b.total for k, b in roll(series, counted.bucket_of).items()}
        for part in series:
            hour = part.hour.astimezone(PARIS).hour
            by_hour[hour] = by_hour.get(hour, 0.0) + part.total
    return TrafficFigures(counters, counted, counts, by_hour)


# ---------------------------------------------------------------- water levels


@dataclass
class WaterSeries:
    sensor: Sensor
    term: str
    buckets: dict[dt.datetime, Bucket]
    thresholds: list[Threshold]
    hours_above: dict[str, int] = field(default_factory=dict)  # threshold label → hours

    @property
    def highest(self) -> float | None:
        return max((b.high for b in self.buckets.values() if b.high is not None), default=None)


def water(
    sensors: Sequence[Sensor], period: Period, rules: dict[tuple[str, str], list[Threshold]]
) -> list[WaterSeries]:
    """Water heights (river gauges) and flood levels, with the thresholds that apply: the
    operator's alert rules on the attribute, and a flood sensor's own alert and danger levels."""
    gauges = of_type(sensors, *WATER_LEVELS)
    iris = {WATER_OBSERVED.attribute("height").iri, FLOOD_MONITORING.attribute("currentLevel").iri}
    partials = hourly_partials([s.pk for s in gauges], sorted(iris), period.start, period.end)
    result = []
    for sensor in gauges:
        term = WATER_LEVELS[sensor.sdm.name]
        iri = sensor.sdm.attribute(term).iri
        series = partials.get((sensor.pk, iri), [])
        lines = list(rules.get((sensor.sdm.name, term), []))
        for own, label in (("alertLevel", _("alert level")), ("dangerLevel", _("danger level"))):
            value = sensor.value(own)
            if isinstance(value, int | float):
                # Each chart and sentence is about one sensor: its name is said there already.
                lines.append(Threshold(str(label), float(value)))
        hours_above = {t.label: sum(1 for p in series if p.high > t.value) for t in lines}
        buckets = roll(series, period.bucket_of)
        result.append(WaterSeries(sensor, term, buckets, lines, hours_above))
    return result


# ---------------------------------------------------------------- street lights and chargers


@dataclass
class LightFault:
    sensor: Sensor
    status: str
    since: dt.datetime | None

    def days(self, now: dt.datetime) -> int | None:
        return (now - self.since).days if self.since else None


def light_faults(sensors: Sequence[Sensor]) -> tuple[int, list[LightFault]]:
    """(number of street lights, those out of service now with since when)."""
    lights = of_type(sensors, STREETLIGHT.name)
    faulty = [s for s in lights if s.code("status") in LIGHT_FAULTS]
    since = fault_since(faulty)
    faults = [LightFault(s, code_label(s.code("status")), since.get(s.pk)) for s in faulty]
    faults.sort(key=lambda f: (f.since is None, f.since or dt.datetime.max.replace(tzinfo=dt.UTC)))
    return len(lights), faults


AVAILABLE, OCCUPIED, OUT_OF_SERVICE, UNKNOWN = "available", "occupied", "out", "unknown"


def charger_state(sensor: Sensor) -> str:
    status = sensor.code("status")
    if status in CHARGER_OUT:
        return OUT_OF_SERVICE
    if status in CHARGER_OCCUPIED:
        return OCCUPIED
    if status is None:
        return UNKNOWN
    return AVAILABLE


def chargers(sensors: Sequence[Sensor]) -> tuple[list[Sensor], dict[str, int]]:
    stations = of_type(sensors, EV_CHARGING_STATION.name)
    counts = {AVAILABLE: 0, OCCUPIED: 0, OUT_OF_SERVICE: 0, UNKNOWN: 0}
    for station in stations:
        counts[charger_state(station)] += 1
    return stations, counts


def charger_points(stations: Sequence[Sensor]) -> tuple[int, int]:
    """(points free now, points in all) of the chargers that report them."""
    free = total = 0
    for station in stations:
        capacity, available = station.value("capacity"), station.value("availableCapacity")
        if isinstance(capacity, int | float):
            total += int(capacity)
            if isinstance(available, int | float) and charger_state(station) != OUT_OF_SERVICE:
                free += int(available)
    return free, total


@dataclass
class Dashboard:
    """Everything a dashboard page shows, computed once."""

    sensors: list[Sensor]
    period: Period
    air: AirFigures
    noise: list[NoiseRow]
    traffic: TrafficFigures
    water: list[WaterSeries]
    light_count: int
    light_faults: list[LightFault]
    chargers: list[Sensor]
    charger_counts: dict[str, int]
    now: dt.datetime
    extra: dict[str, Any] = field(default_factory=dict)


def dashboard(
    sensors: list[Sensor], period: Period, rules: dict[tuple[str, str], list[Threshold]], now: dt.datetime
) -> Dashboard:
    light_count, faults = light_faults(sensors)
    stations, counts = chargers(sensors)
    return Dashboard(
        sensors=sensors,
        period=period,
        air=air(sensors, period),
        noise=noise(sensors, period),
        traffic=traffic(sensors, period),
        water=water(sensors, period, rules),
        light_count=light_count,
        light_faults=faults,
        chargers=stations,
        charger_counts=counts,
        now=now,
    )
