"""The years the application computes with, for every day or instant a person or a device
sends.

A day becomes a local midnight, a local time becomes UTC, a period gains a day or a year;
at the ends of Python's calendar (year 1, year 9999) each of these overflows, and a request
naming such a day ended in a server error (found by an exploratory crawl of the demo). Such
a day is a typing slip or a device's broken clock, never a real bound: the pages' forms,
the API's filters and the data hub's DateTimes refuse it with a message saying the range,
and so do the days people enter on records (`within_calendar` on the models' fields).
"""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

# Wide enough for any record the operator keeps (equipment bought decades ago, contracts
# signed far ahead, a sensor whose clock restarted at 1970), far enough from the calendar's
# ends for a day's or a year's arithmetic in any time zone.
EARLIEST = date(1900, 1, 1)
LATEST = date(2199, 12, 31)


def holds(day: date) -> bool:
    """Whether `day` lies within EARLIEST..LATEST."""
    return EARLIEST <= day <= LATEST


def within_calendar(value: date) -> None:
    """Refuse a day, or an instant on a day, outside EARLIEST..LATEST (a Django validator:
    forms, the back office and DRF's serializers run it, from a model's field too)."""
    if not holds(value.date() if isinstance(value, datetime) else value):
        raise ValidationError(
            _("Enter a date between %(earliest)s and %(latest)s."),
            code="out_of_range",
            params={
                "earliest": date_format(EARLIEST, "SHORT_DATE_FORMAT"),
                "latest": date_format(LATEST, "SHORT_DATE_FORMAT"),
            },
        )
