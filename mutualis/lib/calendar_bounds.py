"""The years the application computes with, for every day or instant a person or a device
sends.

A day becomes a local midnight, a local time becomes UTC, a period gains a day or a year;
at the ends of Python's calendar (year 1, year 9999) each of these overflows, and a request
naming such a day ended in a server error (found by an exploratory crawl of the demo). Such
a day is a typing slip or a device's broken clock, never a real bound: the pages' forms,
the API's filters and the data hub's DateTimes refuse it with a message saying the range.
"""

from __future__ import annotations

from datetime import date

# Wide enough for any record the operator keeps (equipment bought decades ago, contracts
# signed far ahead, a sensor whose clock restarted at 1970), far enough from the calendar's
# ends for a day's or a year's arithmetic in any time zone.
EARLIEST = date(1900, 1, 1)
LATEST = date(2199, 12, 31)


def holds(day: date) -> bool:
    """Whether `day` lies within EARLIEST..LATEST."""
    return EARLIEST <= day <= LATEST
