"""Report periods: calendar months and years in the operator's time zone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import formats


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


@dataclass(frozen=True)
class Period:
    """[start, end) as local dates; `last_day` is the last day included."""

    start: dt.date
    end: dt.date

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    @property
    def start_at(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time.min, tzinfo=local_zone())

    @property
    def end_at(self) -> dt.datetime:
        return dt.datetime.combine(self.end, dt.time.min, tzinfo=local_zone())


def month(day: dt.date) -> Period:
    start = day.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1)
    return Period(start, end)


def previous_month(day: dt.date) -> Period:
    return month(day.replace(day=1) - dt.timedelta(days=1))


def months_back(period: Period, count: int) -> Period:
    """The `count` months ending with `period` (itself included)."""
    start = period.start
    for _ in range(count - 1):
        start = month(start - dt.timedelta(days=1)).start
    return Period(start, period.end)


def year(value: int) -> Period:
    return Period(dt.date(value, 1, 1), dt.date(value + 1, 1, 1))


def month_label(day: dt.date) -> str:
    """ "octobre 2026" in the active language."""
    return formats.date_format(day, "F Y")


def short_month_label(day: dt.date) -> str:
    return formats.date_format(day, "M Y")
