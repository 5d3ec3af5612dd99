"""Days that people type into filters and forms, kept within the years the application
computes with (`mutualis.lib.calendar_bounds`), on every door alike: the pages' forms
(`CalendarDateField`), the API's serializers and the models' days people enter
(`within_calendar` as a validator).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from mutualis.lib.calendar_bounds import EARLIEST, LATEST, within_calendar


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
