"""The demo's time and weather: 15-minute and hourly slots in Paris time, the daily and
weekly rhythm of a town, temperatures, a particulate episode, one storm, sunrise and sunset."""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from ..ngsild.timestamps import format_instant

PARIS = ZoneInfo("Europe/Paris")
QUARTER = dt.timedelta(minutes=15)
HOUR = dt.timedelta(hours=1)
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


def sun_times(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Approximate sunrise and sunset in the Paris region (UTC): solar noon at 11:51 UTC, day
    length from 8 h 10 (December) to 16 h 10 (June); a few minutes off at most."""
    length = 12.17 + 4.0 * math.sin(2 * math.pi * (day.timetuple().tm_yday - 80) / 365)
    noon = dt.datetime(day.year, day.month, day.day, 11, 51, tzinfo=dt.UTC)
    half = dt.timedelta(hours=length / 2)
    return noon - half, noon + half
