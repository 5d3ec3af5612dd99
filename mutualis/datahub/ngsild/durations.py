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

from .errors import BadRequestData

# P[nY][nM][nW][nD][T[nH][nM][nS]]; only seconds may carry a fraction (ISO 8601 allows a
# fraction on the smallest unit given; seconds is the only one clients use in practice).
_DURATION = re.compile(
    r"^P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:[.,]\d+)?)S)?)?$"
)


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
    duration = Duration(months=months, seconds=seconds)
    if duration.is_zero and not allow_zero:
        raise BadRequestData(f"{field} must be longer than zero: {text!r}.")
    return duration


def add_months(moment: datetime, months: int) -> datetime:
    """`moment` (the first of a month, as buckets start) moved by `months` calendar months."""
    index = moment.year * 12 + moment.month - 1 + months
    return moment.replace(year=index // 12, month=index % 12 + 1)


def month_index(moment: datetime) -> int:
    """Months since year 0: calendar buckets are ranges of this index."""
    return moment.year * 12 + moment.month - 1
