"""`short_date` and `short_datetime`: Django's `date:"SHORT_DATE_FORMAT"` (and
SHORT_DATETIME_FORMAT), by strftime when the language's format is only zero-padded numbers
and separators (French: d/m/Y H:i), by Django's formatter otherwise (English's "P").

Django's formatter parses the format and calls a method per letter for every value: the
two dates of each row of a 50-ticket list took 6.5 ms of a 40 ms page at a million tickets
(docs/benchmarks-history.md); strftime with the pattern translated once per format takes a few
microseconds a date, with the same text.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

from django import template
from django.utils import formats

register = template.Library()

# Django's format letters that strftime writes the same way (zero-padded numbers).
_STRFTIME = {"d": "%d", "m": "%m", "Y": "%Y", "y": "%y", "H": "%H", "i": "%M", "s": "%S"}


@cache
def strftime_pattern(django_format: str) -> str | None:
    """strftime's pattern for a Django date format, or None when it has a letter strftime
    would not write the same (a name, a non-padded number, an escape)."""
    out = []
    for char in django_format:
        if char in _STRFTIME:
            out.append(_STRFTIME[char])
        elif char.isalpha() or char == "\\":
            return None
        else:
            out.append("%%" if char == "%" else char)
    return "".join(out)


def _short(value: dt.date | dt.datetime | str | None, format_name: str) -> str:
    if value in (None, ""):
        return ""
    assert not isinstance(value, str)  # noqa: S101 (a template passing text is a bug)
    pattern = strftime_pattern(formats.get_format(format_name))
    if pattern is None or value.year < 1000:  # strftime does not pad such years as Django does
        return formats.date_format(value, format_name)
    return value.strftime(pattern)


@register.filter(expects_localtime=True)
def short_date(value: dt.date | dt.datetime | None) -> str:
    return _short(value, "SHORT_DATE_FORMAT")


@register.filter(expects_localtime=True)
def short_datetime(value: dt.datetime | None) -> str:
    return _short(value, "SHORT_DATETIME_FORMAT")
