"""The survey's form (portal and signed link alike) and the results' period filter."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from mutualis.people.tenancy import Scope

from ..models import Rating, Team
from ..models.satisfaction import COMMENT_MAX_LENGTH

# The results page offers three years of months; a longer view is an export's job.
MONTHS_OFFERED = 36
DEFAULT_MONTHS = 12


class RatingForm(forms.Form):
    prefix = "rating"
    rating = forms.TypedChoiceField(
        label=_("How satisfied are you with how your request was handled?"),
        choices=Rating.choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a rating from 1 to 5.")},
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        help_text=_("What went well, what could be better? Your comment is read by the operator."),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def month_label(month: dt.date) -> str:
    return capfirst(formats.date_format(month, "YEAR_MONTH_FORMAT"))


def _month_choices(this_month: dt.date) -> list[tuple[str, str]]:
    months = [add_months(this_month, -n) for n in range(MONTHS_OFFERED)]
    return [(m.strftime("%Y-%m"), month_label(m)) for m in months]


class PeriodForm(forms.Form):
    """From one month to another (both included), and optionally one team."""

    start = forms.ChoiceField(label=_("From"))
    end = forms.ChoiceField(label=_("To"))
    team = forms.ModelChoiceField(
        label=_("Team"), required=False, queryset=Team.objects.none(), empty_label=_("All teams")
    )

    def __init__(self, scope: Scope, data: Any = None, *, today: dt.date | None = None) -> None:
        self.this_month = month_start(today or timezone.localdate())
        self.default_start = add_months(self.this_month, -(DEFAULT_MONTHS - 1))
        initial = {"start": self.default_start.strftime("%Y-%m"), "end": self.this_month.strftime("%Y-%m")}
        if data is not None and not any(k in data for k in ("start", "end", "team")):
            data = None  # the first visit: the defaults, without errors
        super().__init__(data, initial=initial)
        choices = _month_choices(self.this_month)
        self.fields["start"].choices = choices  # type: ignore[attr-defined]
        self.fields["end"].choices = choices  # type: ignore[attr-defined]
        self.fields["team"].queryset = Team.objects.visible_to(scope)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:  # "YYYY-MM" sorts as the months do
            raise forms.ValidationError(_("The first month must not be after the last."))
        return data

    def period(self) -> tuple[dt.date, dt.date, Team | None]:
        """The first and last months (first days) and the team; the defaults (the last 12
        months, every team) when the form is not valid."""
        if not self.is_bound or not self.is_valid():
            return self.default_start, self.this_month, None
        data = self.cleaned_data
        start = dt.date.fromisoformat(f"{data['start']}-01")
        end = dt.date.fromisoformat(f"{data['end']}-01")
        return start, end, data.get("team")
