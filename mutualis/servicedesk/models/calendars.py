"""Business calendars: when the clock of a service level runs.

An operator keeps several: its office hours (Mon–Fri 08:30–12:00, 13:30–17:30), 24/7 for
video protection, school days (term days, school holidays closed). Each has weekly opening
ranges (several per day), closures (date ranges with a label: summer weeks, Christmas) and
may observe French public holidays, those of Alsace-Moselle for sites there. The
arithmetic is in servicedesk.calendars.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mutualis.lib.calendar_bounds import within_calendar
from mutualis.people.tenancy import OperatorDataQuerySet
from mutualis.registry.models import Operator


class Weekday(models.IntegerChoices):
    # date.weekday()'s numbering: Monday is 0.
    MONDAY = 0, gettext_lazy("Monday")
    TUESDAY = 1, gettext_lazy("Tuesday")
    WEDNESDAY = 2, gettext_lazy("Wednesday")
    THURSDAY = 3, gettext_lazy("Thursday")
    FRIDAY = 4, gettext_lazy("Friday")
    SATURDAY = 5, gettext_lazy("Saturday")
    SUNDAY = 6, gettext_lazy("Sunday")


def validate_timezone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(
            _("“%(value)s” is not a time zone: write it as Europe/Paris or America/Cayenne.")
            % {"value": value}
        ) from exc


class BusinessCalendar(models.Model):
    # No index of its own: business_calendar_name_per_operator starts with it.
    operator = models.ForeignKey(
        Operator,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("operator"),
        db_index=False,
    )
    name = models.CharField(gettext_lazy("name"), max_length=100)
    timezone = models.CharField(
        gettext_lazy("time zone"),
        max_length=64,
        default="Europe/Paris",
        validators=[validate_timezone],
        help_text=gettext_lazy("Opening hours are read in this time zone, e.g. Europe/Paris."),
    )
    always_open = models.BooleanField(
        gettext_lazy("open 24 hours a day, 7 days a week"),
        default=False,
        help_text=gettext_lazy("Checked: the opening hours below are not used."),
    )
    public_holidays = models.BooleanField(
        gettext_lazy("closed on public holidays"),
        default=True,
        help_text=gettext_lazy(
            "French public holidays; sites in Moselle, Bas-Rhin and Haut-Rhin also get Good Friday "
            "and 26 December."
        ),
    )

    objects = OperatorDataQuerySet["BusinessCalendar"].as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = gettext_lazy("business calendar")
        verbose_name_plural = gettext_lazy("business calendars")
        constraints = [
            models.UniqueConstraint(fields=["operator", "name"], name="business_calendar_name_per_operator")
        ]

    def __str__(self) -> str:
        return self.name

    def check_definition(
        self,
        ranges: Iterable[tuple[int, dt.time, dt.time]] | None = None,
        closures: Iterable[tuple[dt.date, dt.date]] | None = None,
    ) -> None:
        """Refuse a calendar whose clock could never run, or whose ranges overlap, with a
        message saying what to change. `ranges` (weekday, start, end) and `closures`
        (first, last day): those about to be saved; by default, the saved ones."""
        if ranges is None:
            ranges = [(r.weekday, r.starts_at, r.ends_at) for r in self.opening_ranges.all()]
        if closures is None:
            closures = [(c.first_day, c.last_day) for c in self.closures.all()]
        check_week(list(ranges), always_open=self.always_open)
        check_closures(list(closures))


def minutes_of(value: dt.time, *, end: bool = False) -> int:
    """Minutes after midnight; an end at 00:00 is midnight at the end of the day."""
    minutes = value.hour * 60 + value.minute
    return 24 * 60 if end and minutes == 0 else minutes


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def check_week(ranges: list[tuple[int, dt.time, dt.time]], *, always_open: bool) -> None:
    errors = []
    by_day: dict[int, list[tuple[int, int]]] = {}
    for weekday, starts_at, ends_at in ranges:
        start, end = minutes_of(starts_at), minutes_of(ends_at, end=True)
        if end <= start:
            errors.append(
                _("%(day)s: a range ends at %(end)s, before it starts at %(start)s.")
                % {"day": Weekday(weekday).label, "start": _hhmm(start), "end": _hhmm(end % 1440)}
            )
            continue
        by_day.setdefault(weekday, []).append((start, end))
    for weekday, spans in sorted(by_day.items()):
        spans.sort()
        for (a_start, a_end), (b_start, b_end) in itertools.pairwise(spans):
            if b_start < a_end:
                errors.append(
                    _("%(day)s: %(first)s and %(second)s overlap; make one end before the other starts.")
                    % {
                        "day": Weekday(weekday).label,
                        "first": f"{_hhmm(a_start)}–{_hhmm(a_end)}",
                        "second": f"{_hhmm(b_start)}–{_hhmm(b_end)}",
                    }
                )
    if errors:
        raise ValidationError(errors)
    if not always_open and not by_day:
        raise ValidationError(
            _(
                "This calendar is never open, so no deadline could ever be reached: add opening hours "
                "or check “open 24 hours a day, 7 days a week”."
            ),
            code="never_open",
        )


# A closure is a holiday week or a season, never years: a longer one is a mistyped year
# (01/08/2062 for 01/08/2026), which left every deadline of the calendar uncomputed
# (servicedesk.calendars gives up after three years closed) without anyone being told.
LONGEST_CLOSURE = dt.timedelta(days=366)


def _dates(first: dt.date, last: dt.date) -> dict[str, str]:
    return {"first": first.strftime("%d/%m/%Y"), "last": last.strftime("%d/%m/%Y")}


def check_closures(closures: list[tuple[dt.date, dt.date]]) -> None:
    errors = []
    spans: list[list[Any]] = []  # [first, last, how many closures] of closures that touch
    for first, last in sorted(closures):
        if last < first:
            errors.append(
                _("The closure from %(first)s ends on %(last)s, before it starts.") % _dates(first, last)
            )
        elif spans and first <= spans[-1][1] + dt.timedelta(days=1):
            spans[-1][1] = max(spans[-1][1], last)
            spans[-1][2] += 1
        else:
            spans.append([first, last, 1])
    for first, last, count in spans:
        if last - first < LONGEST_CLOSURE:
            continue
        if count == 1:
            message = _("The closure from %(first)s to %(last)s lasts more than a year: check the years.")
        else:
            # Each shorter than a year, back to back they close the calendar as long.
            message = _(
                "The closures from %(first)s to %(last)s follow one another and close the calendar for "
                "more than a year: check their years."
            )
        errors.append(message % _dates(first, last))
    if errors:
        raise ValidationError(errors)


class OpeningRange(models.Model):
    """A range of opening hours on a day of the week: Monday 08:30–12:00."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="opening_ranges")
    weekday = models.PositiveSmallIntegerField(gettext_lazy("day"), choices=Weekday.choices)
    starts_at = models.TimeField(gettext_lazy("opens at"))
    ends_at = models.TimeField(gettext_lazy("closes at"), help_text=gettext_lazy("00:00 is midnight."))

    class Meta:
        ordering = ["weekday", "starts_at"]
        verbose_name = gettext_lazy("opening hours")
        verbose_name_plural = gettext_lazy("opening hours")

    def __str__(self) -> str:
        return f"{Weekday(self.weekday).label} {self.starts_at:%H:%M}–{self.ends_at:%H:%M}"

    def clean(self) -> None:
        if self.starts_at is not None and self.ends_at is not None and self.weekday is not None:
            try:
                check_week([(self.weekday, self.starts_at, self.ends_at)], always_open=True)
            except ValidationError as exc:
                raise ValidationError({"ends_at": exc.messages}) from exc


class Closure(models.Model):
    """Days the calendar is closed, first and last included: "Fermeture estivale"."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="closures")
    label = models.CharField(gettext_lazy("reason"), max_length=100)
    first_day = models.DateField(gettext_lazy("first day closed"), validators=[within_calendar])
    last_day = models.DateField(gettext_lazy("last day closed"), validators=[within_calendar])

    class Meta:
        ordering = ["first_day"]
        verbose_name = gettext_lazy("closure")
        verbose_name_plural = gettext_lazy("closures")

    def __str__(self) -> str:
        return f"{self.label} ({self.first_day:%d/%m/%Y}–{self.last_day:%d/%m/%Y})"

    def clean(self) -> None:
        if self.first_day is not None and self.last_day is not None:
            try:
                check_closures([(self.first_day, self.last_day)])
            except ValidationError as exc:
                raise ValidationError({"last_day": exc.messages}) from exc
