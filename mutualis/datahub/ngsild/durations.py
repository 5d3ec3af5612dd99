"""ISO 8601 durations for NGSI-LD temporal aggregation (`aggrPeriodDuration`, 4.5.19 / 6.3.19).

A duration splits into two parts that do not mix: calendar months (years count twelve)
whose length varies, and a fixed number of seconds (weeks, days, hours, minutes,
seconds). Aggregation buckets follow the calendar for the first ("P1M" is January,
February…, each of its own length) and a fixed step for the second ("P1D" is 86,400
seconds: the hub's time axis is UTC, which has no daylight-saving days).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from mutualis.lib.calendar_bounds import EARLIEST, LATEST

from .errors import BadRequestData

# P[nY][nM][nW][nD][T[nH][nM][nS]]; only seconds may carry a fraction (ISO 8601 allows a
# fraction on the smallest unit given; seconds is the only one clients use in practice).
# ASCII digits: \d also matches other scripts' digits.
_DURATION = re.compile(
    r"^P(?:(?P<years>[0-9]+)Y)?(?:(?P<months>[0-9]+)M)?(?:(?P<weeks>[0-9]+)W)?(?:(?P<days>[0-9]+)D)?"
    r"(?:T(?:(?P<hours>[0-9]+)H)?(?:(?P<minutes>[0-9]+)M)?(?:(?P<seconds>[0-9]+(?:[.,][0-9]+)?)S)?)?$"
)

# No period is longer than the hub's time axis (every instant lies in EARLIEST..LATEST):
# longer, a bucket's end overflowed Python's calendar (P9999Y, P1000000000D) or int()
# refused the digits (5,000 of them), each a 500.
_AXIS_YEARS = LATEST.year - EARLIEST.year + 1
MAX_MONTHS = _AXIS_YEARS * 12
MAX_SECONDS = ((LATEST - EARLIEST).days + 1) * 86400
# More digits than any part of a duration within those bounds needs.
_MAX_PART_DIGITS = 12


@dataclass(frozen=True)
class Duration:
    months: int = 0
    seconds: float = 0.0

    @property
    def is_zero(self) -> bool:
        return self.months == 0 and self.seconds == 0

    @property
    def is_calendar(self) -> bool:
        return self.months > 0

    def as_timedelta(self) -> timedelta:
        if self.months:
            raise ValueError("A calendar duration has no fixed length.")
        return timedelta(seconds=self.seconds)


def parse_duration(text: object, *, field: str = "aggrPeriodDuration", allow_zero: bool = False) -> Duration:
    """An ISO 8601 duration; BadRequestData names `field` and what is wrong with it.

    Negative, zero (unless `allow_zero`) and mixed calendar/fixed durations ("P1M2D") are
    refused: a bucket must have a positive length, and one that is partly a month has no
    consistent length to step by.
    """
    if not isinstance(text, str) or not text:
        raise BadRequestData(f"{field} must be an ISO 8601 duration such as PT1H, P1D or P1M, not {text!r}.")
    if text.startswith("-"):
        raise BadRequestData(f"{field} must be a positive duration, not {text!r}.")
    match = _DURATION.match(text.upper())
    if match is None or text.upper() in ("P", "PT") or text.upper().endswith("T"):
        raise BadRequestData(
            f"{field} is not an ISO 8601 duration (P[nY][nM][nW][nD][T[nH][nM][nS]], e.g. PT1H, P1D, P1M): {text!r}."
        )
    parts = match.groupdict()
    if any(len(part.split(".")[0].split(",")[0]) > _MAX_PART_DIGITS for part in parts.values() if part):
        raise _too_long(field, text)
    months = int(parts["years"] or 0) * 12 + int(parts["months"] or 0)
    seconds = (
        int(parts["weeks"] or 0) * 7 * 86400
        + int(parts["days"] or 0) * 86400
        + int(parts["hours"] or 0) * 3600
        + int(parts["minutes"] or 0) * 60
        + float((parts["seconds"] or "0").replace(",", "."))
    )
    if months and seconds:
        raise BadRequestData(
            f"{field} mixes calendar months or years with a fixed time ({text!r}); "
            "use either months/years (P1M, P1Y) or weeks/days/hours/minutes/seconds (P1D, PT1H)."
        )
    if months > MAX_MONTHS or seconds > MAX_SECONDS:
        raise _too_long(field, text)
    if not months and timedelta(seconds=seconds) == timedelta(0):
        # The hub's instants count microseconds: a shorter period (PT0.0000001S) is no
        # period at all, and PostgreSQL's date_bin refused it as a zero stride (a 500).
        seconds = 0.0
    duration = Duration(months=months, seconds=seconds)
    if duration.is_zero and not allow_zero:
        raise BadRequestData(f"{field} must be longer than zero: {text!r}.")
    return duration


def _too_long(field: str, text: str) -> BadRequestData:
    return BadRequestData(
        f"{field} is longer than the {_AXIS_YEARS} years from {EARLIEST.year} to {LATEST.year} that "
        f"every instant of the hub lies in (at most P{_AXIS_YEARS}Y): {text[:40]!r}."
    )


def add_months(moment: datetime, months: int) -> datetime:
    """`moment` (the first of a month, as buckets start) moved by `months` calendar months."""
    index = moment.year * 12 + moment.month - 1 + months
    return moment.replace(year=index // 12, month=index % 12 + 1)


def month_index(moment: datetime) -> int:
    """Months since year 0: calendar buckets are ranges of this index."""
    return moment.year * 12 + moment.month - 1
