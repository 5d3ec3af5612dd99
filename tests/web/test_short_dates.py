"""`short_date` / `short_datetime` write exactly what Django's `date` filter writes with the
short formats, in every language the product speaks, in the current time zone."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import timezone, translation

from mutualis.web.templatetags.short_dates import strftime_pattern

MOMENTS = [
    dt.datetime(2026, 1, 5, 7, 3, tzinfo=dt.UTC),
    dt.datetime(2026, 7, 14, 23, 59, 59, tzinfo=dt.UTC),  # the next day in Paris
    dt.datetime(2025, 12, 31, 12, 0, tzinfo=zoneinfo.ZoneInfo("America/Cayenne")),
    dt.datetime(999, 3, 1, 10, 0, tzinfo=dt.UTC),  # a year strftime would not pad
]


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_the_filters_write_what_django_writes(language: str) -> None:
    ours = Template("{% load short_dates %}{{ v|short_date }}|{{ v|short_datetime }}")
    django = Template('{{ v|date:"SHORT_DATE_FORMAT" }}|{{ v|date:"SHORT_DATETIME_FORMAT" }}')
    with translation.override(language), timezone.override("Europe/Paris"):
        for value in [*MOMENTS, None, ""]:
            context = Context({"v": value})
            assert ours.render(context) == django.render(context), (language, value)
        day = Context({"v": dt.date(2026, 3, 9)})  # a date has no time to show
        assert Template("{% load short_dates %}{{ v|short_date }}").render(day) == Template(
            '{{ v|date:"SHORT_DATE_FORMAT" }}'
        ).render(day)


def test_only_numeric_formats_take_the_quick_path() -> None:
    assert strftime_pattern("d/m/Y H:i") == "%d/%m/%Y %H:%M"
    assert strftime_pattern("Y-m-d 100%") == "%Y-%m-%d 100%%"
    assert strftime_pattern("m/d/Y P") is None  # "1 p.m.": Django's formatter
    assert strftime_pattern("j F Y") is None
    assert strftime_pattern(r"d \h") is None
