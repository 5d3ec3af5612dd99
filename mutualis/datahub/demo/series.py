"""Each kind of demo sensor's history over the period: the attribute instances it would
have sent, shaped like a town's (see the package's docstring)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

from ..ngsild.timestamps import format_instant
from ..smart_data_models import (
    AC_MEASUREMENT,
    AIR_QUALITY_OBSERVED,
    EV_CHARGING_STATION,
    FLOOD_MONITORING,
    NOISE_LEVEL_OBSERVED,
    STREETLIGHT,
    TRAFFIC_FLOW_OBSERVED,
    WATER_OBSERVED,
)
from .climate import MONTHLY_MEAN_TEMPERATURE, PARIS, Clock, Weather, activity, sun_times
from .sensors import Sensor


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
