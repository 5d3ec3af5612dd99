"""The school calendar, week by week: what the forecast knows about each week beforehand.

Collèges and écoles declare fewer incidents during school holidays and many more at the
rentrée in September. The calendar is offline, in the `holidays` package: school holidays
of a zone (`holidays.France(subdiv="Zone C", categories=("school",))`) and French public
holidays. Versailles is in académie zone C, the default; an operator elsewhere sets
`INSIGHTS_SCHOOL_ZONE` (A, B or C).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from functools import lru_cache

import holidays
from django.conf import settings

ZONES = ("A", "B", "C")
DEFAULT_ZONE = "C"
SUMMER_BREAK = "Summer Break"  # the name `holidays` gives the long summer break
# How long the rentrée surge lasts and fades: weight exp(-k / RENTREE_DECAY) for the k-th
# week after the summer break, k < RENTREE_WEEKS. Two weeks of half-life is what the
# service desk sees: new pupils' tablets, new teachers' accounts, projectors after summer.
RENTREE_WEEKS = 8
RENTREE_DECAY = 2.0


def school_zone() -> str:
    zone = str(getattr(settings, "INSIGHTS_SCHOOL_ZONE", DEFAULT_ZONE)).strip().upper()
    return zone if zone in ZONES else DEFAULT_ZONE


@lru_cache(maxsize=64)
def _school_days_off(zone: str, year: int) -> dict[dt.date, str]:
    days = dict(holidays.France(subdiv=f"Zone {zone}", years=year, categories=("school",)))
    if days:
        return days
    # Years the package does not cover (before 2017): the nearest covered year's dates,
    # moved to this year. Holidays move by a few days from year to year; good enough for a
    # regressor of history that old, and said in docs/insights-method.md.
    for other in (2018, 2019, 2020):
        known = dict(holidays.France(subdiv=f"Zone {zone}", years=other, categories=("school",)))
        if known:
            moved: dict[dt.date, str] = {}
            for day, name in known.items():
                try:
                    moved[day.replace(year=year)] = name
                except ValueError:  # 29 February
                    continue
            return moved
    return {}


@lru_cache(maxsize=64)
def _public_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.France(years=year))


def is_school_holiday(day: dt.date, zone: str) -> bool:
    return day in _school_days_off(zone, day.year)


def is_public_holiday(day: dt.date) -> bool:
    return day in _public_holidays(day.year)


@lru_cache(maxsize=64)
def rentree(zone: str, year: int) -> dt.date:
    """The first day after the summer break of `year` (early September)."""
    summer = [d for d, name in _school_days_off(zone, year).items() if name == SUMMER_BREAK]
    if not summer:
        return dt.date(year, 9, 1)
    return max(summer) + dt.timedelta(days=1)


@dataclass(frozen=True)
class WeekFacts:
    """What is known beforehand about the week starting on Monday `start`."""

    start: dt.date
    school_share: float  # share of Monday–Friday that are school days (0 in summer)
    public_holidays: int  # public holidays falling Monday–Friday
    rentree: float  # 1 in the week of the rentrée, fading over the following weeks


def week_facts(start: dt.date, zone: str) -> WeekFacts:
    weekdays = [start + dt.timedelta(days=i) for i in range(5)]
    public = sum(1 for d in weekdays if is_public_holiday(d))
    school = sum(1 for d in weekdays if not is_public_holiday(d) and not is_school_holiday(d, zone))
    back = rentree(zone, start.year)
    # Weeks since the rentrée, counting the week that holds it as week 0.
    k = ((start - (back - dt.timedelta(days=back.weekday()))).days) // 7
    weight = math.exp(-k / RENTREE_DECAY) if 0 <= k < RENTREE_WEEKS else 0.0
    return WeekFacts(start=start, school_share=school / 5, public_holidays=public, rentree=weight)


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())
