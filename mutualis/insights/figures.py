"""A month's figures in plain words, for a member's users and elected officials:
"12 incidents ce mois-ci, 3 de plus que le mois dernier ; 95 % traités dans les délais".

`member_month(scope, month)` is a pure function of the scope and the month (no request,
no "now" but the month's own bounds), so the dashboard and the monthly PDF report say the
same thing. The sentences are built from its numbers by `sentences()`, through gettext
(English source, French translation) and ngettext for the plurals.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db.models import Avg, Count, F, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mutualis.people.tenancy import Scope
from mutualis.servicedesk.models import SatisfactionRating
from mutualis.servicedesk.satisfaction.forms import add_months, month_label

from .durations import duration_stats
from .filters import MONTH
from .measures import BY_CATEGORY, breakdown
from .models import TicketFact

TOP_CATEGORIES = 3


@dataclass(frozen=True)
class MemberMonth:
    month: dt.date  # its first day
    tickets: int  # declared this month
    previous: int  # declared the month before
    resolved_with_deadline: int  # resolved this month, with a deadline to resolve
    resolved_on_time: int  # … of which by that deadline
    median_take_charge: float | None  # seconds, for the tickets declared this month
    top_categories: list[tuple[str, int]] = field(default_factory=list)
    satisfaction_mean: float | None = None  # ratings given this month, 1 to 5
    satisfaction_count: int = 0

    @property
    def delta(self) -> int:
        return self.tickets - self.previous

    @property
    def on_time_share(self) -> float | None:
        """Percentage of the tickets resolved this month that were resolved in time."""
        if not self.resolved_with_deadline:
            return None
        return 100.0 * self.resolved_on_time / self.resolved_with_deadline

    @property
    def label(self) -> str:
        return month_label(self.month)


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The month's first instant and the next month's, in the site's time zone."""
    zone = ZoneInfo(timezone.get_current_timezone_name())
    first = month.replace(day=1)
    return (
        dt.datetime.combine(first, dt.time(0), tzinfo=zone),
        dt.datetime.combine(add_months(first, 1), dt.time(0), tzinfo=zone),
    )


def member_month(scope: Scope, month: dt.date) -> MemberMonth:
    """The month's figures of what `scope` sees (its member, its sites; the whole operator
    for its staff), through the tenancy door. Five queries, whatever the number of tickets."""
    since, until = month_bounds(month)
    before, _until = month_bounds(add_months(month.replace(day=1), -1))
    # The tickets' narrow copies (models.TicketFact, same fields, same door): the month's
    # resolutions are found by their instant, which no index orders, so the month is read
    # in full; the copies are a sixteenth of the tickets' size (the operator's summary at a
    # million tickets: 420 → 130 ms for that query; docs/benchmarks-history.md).
    visible = TicketFact.objects.visible_to(scope)
    counts = visible.filter(created_at__gte=before, created_at__lt=until).aggregate(
        this=Count("pk", filter=Q(created_at__gte=since)),
        previous=Count("pk", filter=Q(created_at__lt=since)),
    )
    resolved = visible.filter(
        resolved_at__gte=since, resolved_at__lt=until, resolve_due__isnull=False
    ).aggregate(
        total=Count("pk"),
        on_time=Count("pk", filter=Q(resolved_at__lte=F("resolve_due"))),
    )
    declared = visible.filter(created_at__gte=since, created_at__lt=until)
    take_charge = duration_stats(declared, "first_response_at")
    top = breakdown(declared, BY_CATEGORY, since.date(), until.date(), MONTH).totals[:TOP_CATEGORIES]
    ratings = SatisfactionRating.objects.filter(
        ticket__in=visible.values("pk"), created_at__gte=since, created_at__lt=until
    ).aggregate(mean=Avg("rating"), n=Count("pk"))
    return MemberMonth(
        month=month.replace(day=1),
        tickets=counts["this"],
        previous=counts["previous"],
        resolved_with_deadline=resolved["total"],
        resolved_on_time=resolved["on_time"],
        median_take_charge=take_charge.median,
        top_categories=[(name, n) for _key, name, n in top],
        satisfaction_mean=ratings["mean"],
        satisfaction_count=ratings["n"],
    )


def percent(value: float) -> str:
    return formats.number_format(round(value), force_grouping=True)


def duration_text(seconds: float | None) -> str:
    """A duration as people say it: "45 min", "3,5 h", "2 jours"."""
    if seconds is None:
        return "–"
    minutes = seconds / 60
    if round(minutes) < 60:
        count = max(round(minutes), 1)
        return ngettext("%(count)s minute", "%(count)s minutes", count) % {"count": count}
    hours = minutes / 60
    if hours < 48:
        # One decimal below 10 h, none for a whole number: "1 h to 4 h", not "1,0 h to 4,0 h".
        rounded = round(hours, 1) if hours < 10 else round(hours)
        decimals = 0 if float(rounded).is_integer() else 1
        return _("%(count)s h") % {"count": formats.number_format(rounded, decimals)}
    days = round(hours / 24, 1)
    shown = formats.number_format(days, 1 if days < 10 and not days.is_integer() else 0)
    return ngettext("%(count)s day", "%(count)s days", round(days)) % {"count": shown}


def volume_sentence(figures: MemberMonth, *, current: bool = True) -> str:
    """ "12 incidents this month, 3 more than last month" (or "in September 2025, … the
    month before" for a past month)."""
    n = figures.tickets
    if current:
        text = ngettext("%(count)d incident this month", "%(count)d incidents this month", n) % {"count": n}
    else:
        text = ngettext("%(count)d incident in %(month)s", "%(count)d incidents in %(month)s", n) % {
            "count": n,
            # Within a sentence: "en octobre 2026" (the label heads a line: "Octobre 2026").
            "month": formats.date_format(figures.month, "YEAR_MONTH_FORMAT"),
        }
    delta = figures.delta
    if delta > 0:
        more = ngettext("%(count)d more than last month", "%(count)d more than last month", delta)
        more_past = ngettext(
            "%(count)d more than the month before", "%(count)d more than the month before", delta
        )
        text += ", " + (more if current else more_past) % {"count": delta}
    elif delta < 0:
        fewer = ngettext("%(count)d fewer than last month", "%(count)d fewer than last month", -delta)
        fewer_past = ngettext(
            "%(count)d fewer than the month before", "%(count)d fewer than the month before", -delta
        )
        text += ", " + (fewer if current else fewer_past) % {"count": -delta}
    elif n:
        text += ", " + (_("as many as last month") if current else _("as many as the month before"))
    return text


def sentences(figures: MemberMonth, *, current: bool = True) -> list[str]:
    """The month in a few plain sentences, the first one summing it up."""
    first = volume_sentence(figures, current=current)
    share = figures.on_time_share
    if share is not None:
        first += _("; %(share)s%% resolved within the deadlines") % {"share": percent(share)}
    said = [first + "."]
    if figures.median_take_charge is not None:
        said.append(
            _("Half of the incidents were taken charge of within %(duration)s.")
            % {"duration": duration_text(figures.median_take_charge)}
        )
    if figures.top_categories:
        listed = ", ".join(f"{name} ({count})" for name, count in figures.top_categories)
        said.append(
            ngettext(
                "Most frequent category: %(list)s.",
                "Most frequent categories: %(list)s.",
                len(figures.top_categories),
            )
            % {"list": listed}
        )
    if figures.satisfaction_mean is not None:
        said.append(
            ngettext(
                "Satisfaction: %(mean)s out of 5 (%(count)d rating).",
                "Satisfaction: %(mean)s out of 5 (%(count)d ratings).",
                figures.satisfaction_count,
            )
            % {
                "mean": formats.number_format(round(figures.satisfaction_mean, 1), 1),
                "count": figures.satisfaction_count,
            }
        )
    return said
