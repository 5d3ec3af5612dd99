"""The period a dashboard shows (24 hours, 7 days, 30 days or chosen dates) and the buckets
its charts use, chosen by the period's length so that a chart keeps a readable number of
points (24 to about 60).

The database groups observations by hour (`selectors.hourly_partials`); buckets longer than
an hour are local-time periods (a day starts at midnight in Paris, whatever the daylight
saving time) rolled up from those hourly partial sums. Counts, sums, minima, maxima and
energy sums add up exactly, so a day's mean is the same as if grouped by day in SQL; Paris
offsets are whole hours, so a UTC hour is always inside one local hour.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django import forms
from django.utils import dateformat, timezone
from django.utils.translation import gettext_lazy as _

from mutualis.web.date_fields import CalendarDateField

PARIS = ZoneInfo("Europe/Paris")
HOUR = dt.timedelta(hours=1)
# Longest custom period: a year of hourly partials for one series stays ~9,000 rows.
MAX_DAYS = 366


class Step:
    HOUR = "hour"
    SIX_HOURS = "6h"
    DAY = "day"
    WEEK = "week"


STEP_LABELS = {
    Step.HOUR: _("per hour"),
    Step.SIX_HOURS: _("per 6 hours"),
    Step.DAY: _("per day"),
    Step.WEEK: _("per week"),
}

CHOICES = (
    ("24h", _("Last 24 hours")),
    ("7d", _("Last 7 days")),
    ("30d", _("Last 30 days")),
    ("custom", _("Chosen dates")),
)
PRESET_DAYS = {"24h": 1, "7d": 7, "30d": 30}


@dataclass(frozen=True)
class Period:
    key: str
    start: dt.datetime  # aware, inclusive
    end: dt.datetime  # aware, exclusive
    step: str
    # Now, when the period reaches past it: its bucket is still filling (`in_progress`).
    until: dt.datetime | None = None

    @property
    def days(self) -> int:
        """Whole local days the period covers (at least one)."""
        return max(1, round((self.end - self.start) / dt.timedelta(days=1)))

    @property
    def step_label(self) -> str:
        return str(STEP_LABELS[self.step])

    @property
    def in_days(self) -> bool:
        """Whether the period is told by its first and last days rather than its instants:
        chosen dates, or a period counted by days or weeks. Told by instants, the chosen days
        1 to 20 November read "to 21/11/2026 00:00" (the exclusive end), a day too many."""
        return self.key == "custom" or self.step in (Step.DAY, Step.WEEK)

    @property
    def first_day(self) -> dt.date:
        return self.start.astimezone(PARIS).date()

    @property
    def last_day(self) -> dt.date:
        """The last local day the period covers (its end is exclusive)."""
        return (self.end - dt.timedelta(microseconds=1)).astimezone(PARIS).date()

    def query(self) -> str:
        """The period's part of a URL query."""
        if self.key == "custom":
            last = (self.end - dt.timedelta(seconds=1)).astimezone(PARIS).date()
            return f"period=custom&start={self.start.astimezone(PARIS).date()}&end={last}"
        return f"period={self.key}"

    def bucket_of(self, moment: dt.datetime) -> dt.datetime:
        """The local start of the bucket `moment` falls in."""
        local = moment.astimezone(PARIS)
        if self.step == Step.HOUR:
            return local.replace(minute=0, second=0, microsecond=0)
        if self.step == Step.SIX_HOURS:
            return local.replace(hour=local.hour - local.hour % 6, minute=0, second=0, microsecond=0)
        day = dt.datetime.combine(local.date(), dt.time(), tzinfo=PARIS)
        if self.step == Step.WEEK:
            day = dt.datetime.combine(
                local.date() - dt.timedelta(days=local.weekday()), dt.time(), tzinfo=PARIS
            )
        return day

    def buckets(self) -> list[dt.datetime]:
        """Every bucket of the period, in order (empty ones included: a gap is shown)."""
        seen: list[dt.datetime] = []
        moment = self.start.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
        while moment < self.end:
            bucket = self.bucket_of(moment)
            if not seen or seen[-1] != bucket:
                seen.append(bucket)
            moment += HOUR
        return seen

    def in_progress(self, bucket: dt.datetime) -> bool:
        """Whether `bucket` is still filling: today's total is not a day's, and drawn beside
        whole days it read as a collapse (a counter's 8,000 vehicles a day, then 42)."""
        return self.until is not None and self.bucket_of(self.until) == bucket

    def label(self, bucket: dt.datetime) -> str:
        if self.step == Step.HOUR:
            text = dateformat.format(bucket, "d/m H:i") if self.days > 1 else dateformat.format(bucket, "H:i")
        elif self.step == Step.SIX_HOURS:
            text = dateformat.format(bucket, "d/m H:i")
        else:
            text = dateformat.format(bucket, "d/m")
        if self.in_progress(bucket):
            return _("%(bucket)s (in progress)") % {"bucket": text}
        return text


def _step_for(length: dt.timedelta) -> str:
    if length <= dt.timedelta(days=2):
        return Step.HOUR
    if length <= dt.timedelta(days=10):
        return Step.SIX_HOURS
    if length <= dt.timedelta(days=92):
        return Step.DAY
    return Step.WEEK


def local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=PARIS)


class PeriodForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=CHOICES, required=False, initial="30d")
    start = CalendarDateField(label=_("From (chosen dates)"), required=False)
    end = CalendarDateField(label=_("To (chosen dates)"), required=False)

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("period") == "custom":
            start, end = data.get("start"), data.get("end")
            if start is None or end is None:
                raise forms.ValidationError(_("Give both dates of the period."))
            if end < start:
                raise forms.ValidationError(_("The end date comes before the start date."))
            if (end - start).days + 1 > MAX_DAYS:
                raise forms.ValidationError(_("A period is at most %(days)s days long.") % {"days": MAX_DAYS})
        return data

    def chosen(self, now: dt.datetime | None = None, default: str = "30d") -> Period:
        """The chosen period; the default one when the form is invalid (its errors show)."""
        now = now or timezone.now()
        data = self.cleaned_data if self.is_valid() else {}
        key = data.get("period") or default
        if key == "custom" and data.get("start") and data.get("end"):
            start = local_midnight(data["start"])
            end = local_midnight(data["end"] + dt.timedelta(days=1))
            return Period(
                "custom", start, end, _step_for(end - start), until=now if start <= now < end else None
            )
        if key not in PRESET_DAYS:
            key = default
        # Presets end with the current hour, so the latest readings are in.
        end = now.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0) + HOUR
        step = {"24h": Step.HOUR, "7d": Step.SIX_HOURS, "30d": Step.DAY}[key]
        start = end - dt.timedelta(days=PRESET_DAYS[key])
        if step == Step.DAY:
            # Whole local days: "the last 30 days" are today and the 29 before.
            start = local_midnight(
                (end - HOUR).astimezone(PARIS).date() - dt.timedelta(days=PRESET_DAYS[key] - 1)
            )
        elif step == Step.SIX_HOURS:
            start = Period(key, start, end, step).bucket_of(start)
        return Period(key, start, end, step, until=now)
