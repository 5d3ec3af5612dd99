"""The indices of the territory dashboards against hand-computed values: the ATMO index of
the arrêté of 10 July 2020 and the noise levels of directive 2002/49/EC."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from mutualis.datahub.smart_data_models import AIR_QUALITY_OBSERVED
from mutualis.datahub.territory.indices import atmo_index, atmo_sub_index, energy_level, lden, noise_period
from mutualis.datahub.territory.periods import PARIS, PeriodForm, Step
from mutualis.datahub.territory.rollup import Bucket
from mutualis.datahub.territory.sensor_page import _value


def test_the_atmo_index_is_the_worst_sub_index_and_names_its_pollutant() -> None:
    # PM2.5 12 → fair (11–20), PM10 45 → degraded (41–50), NO2 35 → good, O3 140 → poor (131–240).
    index = atmo_index({"pm25": 12, "pm10": 45, "no2": 35, "o3": 140})
    assert index is not None
    assert index.sub_indices == {"pm25": 2, "pm10": 3, "no2": 1, "o3": 4}
    assert index.level == 4
    assert index.responsible == ["O₃"]
    assert str(index.label) in ("poor", "mauvais")


@pytest.mark.parametrize(
    ("pollutant", "value", "level"),
    [
        ("pm25", 10.4, 1),  # rounds to 10: still "good"
        ("pm25", 10.5, 2),  # rounds to 11
        ("pm25", 75, 5),
        ("pm25", 76, 6),
        ("pm10", 150, 5),
        ("no2", 341, 6),
        ("o3", 50, 1),
        ("so2", 101, 2),
    ],
)
def test_atmo_breakpoints_are_the_annexs(pollutant: str, value: float, level: int) -> None:
    assert atmo_sub_index(pollutant, value) == level


def test_no_pollutant_no_index() -> None:
    assert atmo_index({}) is None


def test_levels_are_energy_averaged_not_arithmetic() -> None:
    # 60 and 70 dB: 10·log10((10^6 + 10^7) / 2) = 67.40 dB, not 65.
    level = energy_level(10**6 + 10**7, 2)
    assert level == pytest.approx(67.40, abs=0.01)


def test_lden_weights_evening_and_night() -> None:
    # 60 dB all day long: 10·log10((12·10^6 + 4·10^6.5 + 8·10^7) / 24) = 66.40 dB.
    assert lden(60, 60, 60) == pytest.approx(66.40, abs=0.01)
    assert lden(60, None, 50) is None
    # A quiet night: 65 day, 60 evening, 50 night → 10·log10((12·10^6.5 + 4·10^6.5 + 8·10^6)/24).
    expected = 10 * math.log10((12 * 10**6.5 + 4 * 10**6.5 + 8 * 10**6) / 24)
    assert lden(65, 60, 50) == pytest.approx(expected)
    assert expected == pytest.approx(63.88, abs=0.01)  # (37.95 + 12.65 + 8) · 10^6 / 24


def test_the_periods_of_the_day_follow_the_directive() -> None:
    assert [noise_period(h) for h in (5, 6, 17, 18, 21, 22, 0)] == [
        "night",
        "day",
        "day",
        "evening",
        "evening",
        "night",
        "night",
    ]


def test_buckets_are_chosen_by_the_length_of_the_period() -> None:
    now = dt.datetime(2026, 11, 23, 9, 40, tzinfo=dt.UTC)
    day = PeriodForm({"period": "24h"}).chosen(now)
    week = PeriodForm({"period": "7d"}).chosen(now)
    month = PeriodForm({"period": "30d"}).chosen(now)
    custom = PeriodForm({"period": "custom", "start": "2026-01-01", "end": "2026-06-30"}).chosen(now)
    assert (day.step, len(day.buckets())) == (Step.HOUR, 24)
    assert week.step == Step.SIX_HOURS
    assert 28 <= len(week.buckets()) <= 29
    # The last 30 days are today and the 29 before, whole local days.
    assert (month.step, len(month.buckets())) == (Step.DAY, 30)
    assert month.start == dt.datetime(2026, 10, 25, tzinfo=PARIS)
    assert custom.step == Step.WEEK
    # Custom dates are local days, the last one included.
    assert custom.end == dt.datetime(2026, 7, 1, tzinfo=PARIS)


def test_a_custom_period_needs_both_dates_in_order() -> None:
    assert not PeriodForm({"period": "custom", "start": "2026-02-01"}).is_valid()
    assert not PeriodForm({"period": "custom", "start": "2026-02-01", "end": "2026-01-01"}).is_valid()
    form = PeriodForm({"period": "custom", "start": "2026-02-01"})
    # An invalid choice falls back on the default period (the form shows why).
    assert form.chosen(dt.datetime(2026, 3, 1, tzinfo=dt.UTC)).key == "30d"


def test_a_series_mean_is_exported_without_binary_noise() -> None:
    """A spreadsheet user sees 19.501, not 19.50104166666667 (a daily mean of readings)."""
    pm10 = AIR_QUALITY_OBSERVED.attribute("pm10")
    assert _value(pm10, Bucket(count=96, total=1872.1)) == 19.501
    assert _value(pm10, Bucket(count=3, total=1.0)) == 0.333
    assert _value(pm10, Bucket()) is None
