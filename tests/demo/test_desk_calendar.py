"""The demo desk's calendar, without a database: volumes, holidays, seasons, working time."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest

from mutualis.demo.desk_calendar import (
    GROWTH,
    OFFICE,
    ROUND_THE_CLOCK,
    SCHOOL,
    add_working_minutes,
    day_weight,
    easter,
    per_day,
    periods,
    public_holidays,
    school_holidays,
    spread_over_years,
    ticket_volumes,
)

PARIS = ZoneInfo("Europe/Paris")


def test_full_scale_has_the_operators_yearly_volumes():
    last_year, year_before = ticket_volumes(1.0)[::-1]

    assert last_year == 8_492
    assert year_before == 6_290  # 8,492 / 1.35
    assert ticket_volumes(0.02) == [126, 170]


def test_periods_are_the_twelve_months_before_the_reference_date():
    spans = periods(dt.date(2026, 3, 15), [10, 20])

    assert spans == [
        (dt.date(2024, 3, 15), dt.date(2025, 3, 15), 10),
        (dt.date(2025, 3, 15), dt.date(2026, 3, 15), 20),
    ]


def test_spread_over_years_grows_and_adds_up():
    parts = spread_over_years(1_000_000, 6)

    assert sum(parts) == 1_000_000
    assert all(later > earlier for earlier, later in itertools.pairwise(parts))
    assert parts[-1] / parts[-2] == pytest.approx(GROWTH, rel=0.01)


@pytest.mark.parametrize(
    ("year", "sunday"),
    [(2024, dt.date(2024, 3, 31)), (2025, dt.date(2025, 4, 20)), (2026, dt.date(2026, 4, 5))],
)
def test_easter(year, sunday):
    assert easter(year) == sunday


def test_public_holidays_of_2026():
    holidays = public_holidays(2026)

    assert len(holidays) == 11
    assert {dt.date(2026, 4, 6), dt.date(2026, 5, 14), dt.date(2026, 5, 25), dt.date(2026, 7, 14)} <= holidays


def test_school_year_holidays_fall_in_their_months():
    toussaint, christmas, winter, spring, summer = school_holidays(2025)

    assert toussaint[0].month == 10
    assert christmas[0] <= dt.date(2025, 12, 20) < christmas[1]
    assert winter[0].month == 2
    assert spring[0].month == 4
    assert summer == (dt.date(2026, 7, 4), dt.date(2026, 9, 1))


def test_schools_peak_at_the_rentree_and_sleep_in_summer():
    first = dt.date(2025, 3, 15)
    rentree = day_weight(dt.date(2025, 9, 2), SCHOOL, first)
    october = day_weight(dt.date(2025, 10, 7), SCHOOL, first)
    august = day_weight(dt.date(2025, 8, 5), SCHOOL, first)

    assert rentree > 2 * october
    assert august < october / 5
    assert day_weight(dt.date(2025, 8, 5), OFFICE, first) > august
    assert day_weight(dt.date(2025, 10, 11), ROUND_THE_CLOCK, first) > day_weight(
        dt.date(2025, 10, 11), OFFICE, first
    )
    assert day_weight(dt.date(2026, 3, 10), OFFICE, first) > day_weight(dt.date(2025, 3, 18), OFFICE, first)


def test_per_day_deals_out_exactly():
    days = [dt.date(2025, 9, 1) + dt.timedelta(days=n) for n in range(30)]

    counts = per_day(300, days, SCHOOL)

    assert sum(counts) == 300
    assert counts[6] <= counts[5] < min(counts[:5])  # the first weekend


def test_working_minutes_skip_nights_weekends_and_holidays():
    friday_evening = dt.datetime(2026, 3, 13, 17, 30, tzinfo=PARIS)
    before_may_day = dt.datetime(2026, 4, 30, 17, 0, tzinfo=PARIS)

    assert add_working_minutes(friday_evening, 60) == dt.datetime(2026, 3, 16, 9, 0, tzinfo=PARIS)
    assert add_working_minutes(before_may_day, 120) == dt.datetime(2026, 5, 4, 9, 30, tzinfo=PARIS)
    assert add_working_minutes(dt.datetime(2026, 3, 16, 6, 0, tzinfo=PARIS), 30) == dt.datetime(
        2026, 3, 16, 9, 0, tzinfo=PARIS
    )
