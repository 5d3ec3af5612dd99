"""Days that people type into filters and forms, kept within the years the application
computes with (`mutualis.lib.calendar_bounds`), on every door alike: the pages' forms
(`CalendarDateField`) and the API's serializers (`within_calendar` as a validator).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from mutualis.lib.calendar_bounds import EARLIEST, LATEST, holds


def within_calendar(value: date) -> None:
    """Refuse a day, or an instant on a day, outside EARLIEST..LATEST (a Django validator;
    DRF runs it too)."""
    if not holds(value.date() if isinstance(value, datetime) else value):
        raise ValidationError(
            _("Enter a date between %(earliest)s and %(latest)s."),
            code="out_of_range",
            params={
                "earliest": date_format(EARLIEST, "SHORT_DATE_FORMAT"),
                "latest": date_format(LATEST, "SHORT_DATE_FORMAT"),
            },
        )


class CalendarDateField(forms.DateField):
    """A day picked in a form: the browser's date picker, bounded as `within_calendar` is."""

    default_validators = [within_calendar]

    def to_python(self, value: Any) -> Any:
        # The API hands answers over as JSON values: a number or a list for a day is a
        # wrong value, not a crash in DateField's string parsing.
        if value is not None and not isinstance(value, str | date):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            forms.DateInput(attrs={"type": "date", "min": EARLIEST.isoformat(), "max": LATEST.isoformat()}),
        )
        super().__init__(**kwargs)
