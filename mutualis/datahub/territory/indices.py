"""The indices of the territory dashboards: the French ATMO air-quality index and the noise
levels of the Environmental Noise Directive. Pure functions of figures the database already
aggregated (see `selectors.hourly_partials`); nothing here reads instances.

ATMO: arrêté du 10 juillet 2020 relatif à l'indice de la qualité de l'air ambiant (JORF
n° 0179 du 23 juillet 2020), annex: six levels, one sub-index per pollutant, the index is the
worst sub-index. Particulate matter is compared as the daily mean, NO2, O3 and SO2 as the
daily maximum of hourly means. Breakpoints in µg/m³, upper bounds of each level (inclusive,
on the concentration rounded to the unit, as the annex's integer ranges "0-10, 11-20…" read).

Noise: Directive 2002/49/EC annex I and the French code de l'environnement (R572-4): Lday
over 06–18, Levening over 18–22, Lnight over 22–06 (local time), each the energy mean of the
A-weighted levels (10·log10 of the mean of 10^(L/10)), and
Lden = 10·log10((12·10^(Lday/10) + 4·10^((Levening+5)/10) + 8·10^((Lnight+10)/10)) / 24).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# ---------------------------------------------------------------- ATMO (arrêté 10/07/2020)

# The six levels, best first; `code` is the index value 1–6 the annex gives each level.
ATMO_LEVELS = (
    (1, pgettext_lazy("air quality", "good")),
    (2, pgettext_lazy("air quality", "fair")),
    (3, pgettext_lazy("air quality", "degraded")),
    (4, pgettext_lazy("air quality", "poor")),
    (5, pgettext_lazy("air quality", "very poor")),
    (6, pgettext_lazy("air quality", "extremely poor")),
)
# Upper bounds of levels 1 to 5 (µg/m³); above the fifth, "extremely poor".
ATMO_BREAKPOINTS: dict[str, tuple[int, int, int, int, int]] = {
    "pm25": (10, 20, 25, 50, 75),  # daily mean
    "pm10": (20, 40, 50, 100, 150),  # daily mean
    "no2": (40, 90, 120, 230, 340),  # daily maximum of hourly means
    "o3": (50, 100, 130, 240, 380),  # daily maximum of hourly means
    "so2": (100, 200, 350, 500, 750),  # daily maximum of hourly means
}
DAILY_MEAN_POLLUTANTS = frozenset({"pm25", "pm10"})
POLLUTANT_LABELS = {
    "pm25": "PM2.5",
    "pm10": "PM10",
    "no2": "NO₂",
    "o3": "O₃",
    "so2": "SO₂",
}
# WHO global air quality guidelines (2021), PM2.5 24-hour mean: 15 µg/m³ (99th percentile,
# i.e. not to be exceeded more than 3–4 days a year).
WHO_PM25_DAILY = 15.0


def atmo_sub_index(pollutant: str, concentration: float) -> int:
    """The level (1–6) of one pollutant's concentration, in the unit of its breakpoints."""
    rounded = math.floor(concentration + 0.5)  # half up, as a measurement is rounded
    for level, bound in enumerate(ATMO_BREAKPOINTS[pollutant], start=1):
        if rounded <= bound:
            return level
    return 6


@dataclass(frozen=True)
class Atmo:
    """One day's ATMO index at a station (or a commune): the worst sub-index, and which
    pollutants set it."""

    level: int  # 1–6
    sub_indices: Mapping[str, int]

    @property
    def label(self) -> str:
        return str(ATMO_LEVELS[self.level - 1][1])

    @property
    def responsible(self) -> list[str]:
        return [POLLUTANT_LABELS[p] for p, level in self.sub_indices.items() if level == self.level]


def atmo_index(daily: Mapping[str, float]) -> Atmo | None:
    """The index from each pollutant's daily figure (mean for PM, max hourly mean for gases);
    None when no pollutant was measured that day."""
    subs = {p: atmo_sub_index(p, value) for p, value in daily.items() if p in ATMO_BREAKPOINTS}
    if not subs:
        return None
    return Atmo(level=max(subs.values()), sub_indices=subs)


def atmo_label(level: int) -> str:
    return str(ATMO_LEVELS[level - 1][1])


# ---------------------------------------------------------------- noise (2002/49/EC)

DAY, EVENING, NIGHT = "day", "evening", "night"
NOISE_PERIOD_LABELS = {
    DAY: _("Lday (06–18)"),
    EVENING: _("Levening (18–22)"),
    NIGHT: _("Lnight (22–06)"),
}


def noise_period(local_hour: int) -> str:
    """The period of the directive a local hour belongs to."""
    if 6 <= local_hour < 18:
        return DAY
    if 18 <= local_hour < 22:
        return EVENING
    return NIGHT


def energy_level(energy_sum: float, count: int) -> float | None:
    """The equivalent level of `count` readings whose 10^(L/10) add up to `energy_sum`."""
    if count <= 0 or energy_sum <= 0:
        return None
    return 10 * math.log10(energy_sum / count)


def lden(lday: float | None, levening: float | None, lnight: float | None) -> float | None:
    """Lden (directive 2002/49/EC annex I); None unless all three periods were measured."""
    if lday is None or levening is None or lnight is None:
        return None
    total = 12 * 10 ** (lday / 10) + 4 * 10 ** ((levening + 5) / 10) + 8 * 10 ** ((lnight + 10) / 10)
    return 10 * math.log10(total / 24)
