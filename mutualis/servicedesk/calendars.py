"""Business-time arithmetic on a BusinessCalendar: "4 business hours after Friday 17:55".

Time is walked day by day, never minute by minute: each day is a few open spans turned
into aware instants once (and kept), so a deadline a month away costs a month of steps,
and durations are real elapsed time across daylight-saving changes (a 24/7 calendar's
last Sunday of March is 23 hours long). Public holidays are those of the `holidays`
package: France, plus Good Friday and 26 December in Alsace-Moselle (Code du travail,
art. L3134-13), and the overseas départements' own days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from .models.calendars import BusinessCalendar, minutes_of

UTC = dt.UTC
METROPOLE = ""  # the national holidays only
# Alsace-Moselle: Moselle has its own code in `holidays`, Bas-Rhin and Haut-Rhin share one.
_REGION_OF_DEPARTEMENT = {"57": "57", "67": "6AE", "68": "6AE"}
# A calendar found closed for this many days in a row is taken as never opening again: a
# deadline a year past its start would say nothing a person can act on.
LONGEST_WALK_DAYS = 3 * 366


def _instant_of(wall: dt.datetime) -> dt.datetime:
    """The UTC instant a local clock shows `wall`; for a reading the clock skips (02:30 on
    the last Sunday of March in Paris), the instant it jumps past it (03:00 CEST): an
    office opening at 02:30 opens then, not an hour later as PEP 495's fold=0 would put
    it. An hour read twice (October) is its first reading."""
    instant = wall.astimezone(UTC)
    if instant.astimezone(wall.tzinfo).replace(tzinfo=None) == wall.replace(tzinfo=None):
        return instant
    # Skipped: fold=1 reads it with the offset after the change, which falls before the
    # change; the jump lies between the two. Time zones change on whole seconds: bisect on
    # them, to the first second whose reading is `wall` or later.
    naive = wall.replace(tzinfo=None)
    low = int(wall.replace(fold=1).astimezone(UTC).timestamp())  # reads earlier than `wall`
    high = int(instant.timestamp())  # reads later
    while high - low > 1:
        middle = (low + high) // 2
        if dt.datetime.fromtimestamp(middle, wall.tzinfo).replace(tzinfo=None) < naive:
            low = middle
        else:
            high = middle
    return dt.datetime.fromtimestamp(high, UTC)


class NeverOpen(ValueError):  # noqa: N818 - the domain's word for it
    """The calendar has no open time from the start onwards (see LONGEST_WALK_DAYS)."""


@lru_cache(maxsize=128)
def holiday_region(departement_code: str) -> str:
    """The `holidays` subdivision whose days apply in a département ("" for the rest of
    metropolitan France): 57, 6AE (67 and 68), or an overseas département's code."""
    code = departement_code.upper()
    if code in _REGION_OF_DEPARTEMENT:
        return _REGION_OF_DEPARTEMENT[code]
    if code in holidays.France.subdivisions:
        return code
    return METROPOLE


def region_of_commune(insee_code: str) -> str:
    """The holiday region of a commune by its INSEE code: its first two digits are its
    département (three overseas, 971…976)."""
    code = insee_code.upper()
    return holiday_region(code[:3] if code.startswith("97") else code[:2])


@lru_cache(maxsize=256)
def holiday_dates(year: int, region: str) -> frozenset[dt.date]:
    """Public holidays of `year` in `region`, read once per (year, region)."""
    return frozenset(holidays.France(years=year, subdiv=region or None, language="fr"))


Span = tuple[dt.datetime, dt.datetime]  # aware, in UTC


@dataclass
class Schedule:
    """A calendar's definition, read once, and its days as UTC spans (kept: the demo and
    the sweep ask the same few hundred days thousands of times)."""

    tz: ZoneInfo
    always_open: bool
    public_holidays: bool
    week: list[list[tuple[int, int]]]  # per weekday (Monday 0): (start, end) minutes, sorted
    closures: list[tuple[dt.date, dt.date]]
    _days: dict[tuple[dt.date, str], list[Span]] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, calendar: BusinessCalendar) -> Schedule:
        """The calendar's schedule; reads its hours and closures unless prefetched."""
        week: list[list[tuple[int, int]]] = [[] for _ in range(7)]
        for opening in calendar.opening_ranges.all():
            week[opening.weekday].append(
                (minutes_of(opening.starts_at), minutes_of(opening.ends_at, end=True))
            )
        for spans in week:
            spans.sort()
        return cls(
            tz=ZoneInfo(calendar.timezone),
            always_open=calendar.always_open,
            public_holidays=calendar.public_holidays,
            week=week,
            closures=[(c.first_day, c.last_day) for c in calendar.closures.all()],
        )

    def is_closed(self, day: dt.date, region: str) -> bool:
        if self.public_holidays and day in holiday_dates(day.year, region):
            return True
        return any(first <= day <= last for first, last in self.closures)

    def spans(self, day: dt.date, region: str) -> list[Span]:
        """The open spans of a local day, as UTC instants, in order."""
        key = (day, region)
        found = self._days.get(key)
        if found is None:
            found = []
            if not self.is_closed(day, region):
                minutes = [(0, 24 * 60)] if self.always_open else self.week[day.weekday()]
                midnight = dt.datetime(day.year, day.month, day.day, tzinfo=self.tz)
                for start, end in minutes:
                    # Wall-clock arithmetic on the local day, then to UTC: 08:30 is 08:30
                    # on either side of a change of time, and 24:00 is the next midnight.
                    opens = _instant_of(midnight + dt.timedelta(minutes=start))
                    closes = _instant_of(midnight + dt.timedelta(minutes=end))
                    if opens < closes:  # a range wholly inside a skipped hour has no time
                        found.append((opens, closes))
            self._days[key] = found
        return found

    def local_day(self, moment: dt.datetime) -> dt.date:
        return moment.astimezone(self.tz).date()

    def add(self, start: dt.datetime, duration: dt.timedelta, region: str) -> dt.datetime:
        """The moment `duration` of open time after `start` (itself when the duration is
        zero or less, even outside opening hours)."""
        moment = _utc(start)
        left = duration
        if left <= dt.timedelta(0):
            return start
        day = self.local_day(moment)
        for _step in range(LONGEST_WALK_DAYS):
            for opens, closes in self.spans(day, region):
                if closes <= moment:
                    continue
                begin = max(opens, moment)
                available = closes - begin
                if left <= available:
                    return (begin + left).astimezone(start.tzinfo)
                left -= available
            day += dt.timedelta(days=1)
        raise NeverOpen(f"no open time within {LONGEST_WALK_DAYS} days of {start.isoformat()}")

    def between(self, start: dt.datetime, end: dt.datetime, region: str) -> dt.timedelta:
        """Open time from `start` to `end`; negative when `end` comes first."""
        if end < start:
            return -self.between(end, start, region)
        begin, finish = _utc(start), _utc(end)
        total = dt.timedelta(0)
        day = self.local_day(begin)
        last = self.local_day(finish)
        while day <= last:
            for opens, closes in self.spans(day, region):
                low, high = max(opens, begin), min(closes, finish)
                if high > low:
                    total += high - low
            day += dt.timedelta(days=1)
        return total


def _utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("business time needs an aware datetime")
    return moment.astimezone(UTC)


def add_business_time(
    calendar: BusinessCalendar | Schedule, start: dt.datetime, duration: dt.timedelta, *, holiday_region: str
) -> dt.datetime:
    """`start` plus `duration` of the calendar's open time. Raises NeverOpen when the
    calendar does not open again within three years."""
    schedule = calendar if isinstance(calendar, Schedule) else Schedule.of(calendar)
    return schedule.add(start, duration, holiday_region)


def business_time_between(
    calendar: BusinessCalendar | Schedule, start: dt.datetime, end: dt.datetime, *, holiday_region: str
) -> dt.timedelta:
    """The calendar's open time from `start` to `end` (negative when `end` is earlier)."""
    schedule = calendar if isinstance(calendar, Schedule) else Schedule.of(calendar)
    return schedule.between(start, end, holiday_region)
