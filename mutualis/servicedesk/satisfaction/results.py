"""Satisfaction results for the operator's staff: per team and per month of resolution.

A ticket counts in the month it was resolved (in the operator's time zone), with the team
that resolved it: for a rated ticket the team kept with its rating, for the others the
ticket's team. Everything comes from one aggregate query over the tickets resolved in the
period, whatever the number of teams and months.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Case, Count, DateField, F, Q, QuerySet, Sum, When
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mutualis.lib.tabular import Column
from mutualis.people.tenancy import Scope

from ..models import Rating, SatisfactionRating, Team, Ticket, TicketState
from ..models.satisfaction import RATING_MAX, RATING_MIN
from .forms import add_months, month_label

RATINGS = range(RATING_MIN, RATING_MAX + 1)
LATEST_COMMENTS = 20


@dataclass
class Tally:
    """Counts of resolved tickets and of their ratings, for one team and month or more."""

    resolved: int = 0
    rated: int = 0
    total: int = 0  # sum of the ratings, for the mean
    counts: list[int] = field(default_factory=lambda: [0] * len(RATINGS))

    def add(self, other: Tally) -> None:
        self.resolved += other.resolved
        self.rated += other.rated
        self.total += other.total
        self.counts = [a + b for a, b in zip(self.counts, other.counts, strict=True)]

    @property
    def response_rate(self) -> float | None:
        """Ratings per resolved ticket, in percent."""
        return 100 * self.rated / self.resolved if self.resolved else None

    @property
    def mean(self) -> float | None:
        return self.total / self.rated if self.rated else None

    @property
    def distribution(self) -> list[tuple[str, int, float]]:
        """(the rating in words, count, percent of the ratings) from 1 to 5."""
        return [
            (str(Rating(r).label), n, 100 * n / self.rated if self.rated else 0.0)
            for r, n in zip(RATINGS, self.counts, strict=True)
        ]


@dataclass
class MonthRow:
    month: dt.date
    tally: Tally
    team: str = ""

    @property
    def label(self) -> str:
        return month_label(self.month)


@dataclass
class TeamResults:
    team_id: int | None
    name: str
    months: list[MonthRow]
    tally: Tally


@dataclass
class Results:
    start: dt.date
    end: dt.date  # the last month (its first day)
    teams: list[TeamResults]
    months: list[MonthRow]  # every team together, month by month
    tally: Tally
    comments: list[SatisfactionRating]

    @property
    def start_label(self) -> str:
        return month_label(self.start)

    @property
    def end_label(self) -> str:
        return month_label(self.end)


def resolved_in(scope: Scope, start: dt.date, end: dt.date) -> QuerySet[Ticket]:
    """The tickets the scope sees that were resolved from month `start` to month `end` and
    are still resolved or closed (a reopened ticket counts again when resolved again; a
    duplicate merged into another does not count)."""
    zone = ZoneInfo(timezone.get_current_timezone_name())
    since = dt.datetime.combine(start, dt.time(0), tzinfo=zone)
    until = dt.datetime.combine(add_months(end, 1), dt.time(0), tzinfo=zone)
    return Ticket.objects.visible_to(scope).filter(
        state__in=(TicketState.RESOLVED, TicketState.CLOSED),
        merged_into__isnull=True,
        resolved_at__gte=since,
        resolved_at__lt=until,
    )


# The team a ticket counts for: the one kept with its rating, else the ticket's own.
TEAM_OF = Case(When(satisfaction__isnull=False, then=F("satisfaction__team")), default=F("team"))


def results(scope: Scope, start: dt.date, end: dt.date, team: Team | None = None) -> Results:
    tickets = resolved_in(scope, start, end).annotate(team_key=TEAM_OF)
    if team is not None:
        tickets = tickets.filter(team_key=team.pk)
    per_rating = {f"r{r}": Count("satisfaction", filter=Q(satisfaction__rating=r)) for r in RATINGS}
    rows: Iterable[Mapping[str, Any]] = (
        tickets.annotate(month=TruncMonth("resolved_at", output_field=DateField()))
        .order_by()
        .values("team_key", "month")
        .annotate(
            resolved=Count("pk"),
            rated=Count("satisfaction"),
            total=Sum("satisfaction__rating"),
            **per_rating,
        )
    )
    names = dict(Team.objects.visible_to(scope).values_list("pk", "name"))
    by_team: dict[int | None, dict[dt.date, Tally]] = {}
    for row in rows:
        month = row["month"]
        if isinstance(month, dt.datetime):  # some backends hand back a datetime
            month = month.date()
        tally = Tally(
            resolved=row["resolved"],
            rated=row["rated"],
            total=row["total"] or 0,
            counts=[row[f"r{r}"] for r in RATINGS],
        )
        by_team.setdefault(row["team_key"], {})[month] = tally
    months = _months(start, end)
    overall = {m: Tally() for m in months}
    teams = []
    for team_id, tallies in by_team.items():
        name = names.get(team_id, "") if team_id is not None else ""
        team_rows = [MonthRow(m, tallies.get(m, Tally()), team=name) for m in months]
        total = Tally()
        for month_row in team_rows:
            total.add(month_row.tally)
            overall[month_row.month].add(month_row.tally)
        teams.append(TeamResults(team_id, name, team_rows, total))
    # By name; tickets no team handled last.
    teams.sort(key=lambda t: (t.team_id is None, t.name.lower()))
    everyone = Tally()
    for tally in overall.values():
        everyone.add(tally)
    return Results(
        start=start,
        end=end,
        teams=teams,
        months=[MonthRow(m, overall[m]) for m in months],
        tally=everyone,
        comments=latest_comments(scope, start, end, team),
    )


def latest_comments(
    scope: Scope, start: dt.date, end: dt.date, team: Team | None = None
) -> list[SatisfactionRating]:
    ratings = SatisfactionRating.objects.filter(ticket__in=resolved_in(scope, start, end)).exclude(comment="")
    if team is not None:
        ratings = ratings.filter(team=team)
    return list(
        ratings.select_related("ticket", "team", "ticket__member").order_by("-updated_at", "-pk")[
            :LATEST_COMMENTS
        ]
    )


def _months(start: dt.date, end: dt.date) -> list[dt.date]:
    months, month = [], start
    while month <= end:
        months.append(month)
        month = add_months(month, 1)
    return months


def _rate(row: MonthRow) -> float | None:
    rate = row.tally.response_rate
    return round(rate, 1) if rate is not None else None


def _mean(row: MonthRow) -> float | None:
    mean = row.tally.mean
    return round(mean, 2) if mean is not None else None


def _count(rating: int) -> Column:
    return Column(Rating(rating).label, lambda row: row.tally.counts[rating - 1])


EXPORT_COLUMNS = [
    Column(_("Team"), lambda row: row.team or _("No team")),
    Column(_("Month"), lambda row: row.month.strftime("%Y-%m")),
    Column(_("Resolved tickets"), lambda row: row.tally.resolved),
    Column(_("Ratings"), lambda row: row.tally.rated),
    Column(_("Response rate (%)"), _rate),
    Column(_("Mean rating (1 to 5)"), _mean),
    *(_count(r) for r in RATINGS),
]


def export_rows(found: Results) -> Iterable[MonthRow]:
    """Every team's months that had a resolved ticket, team by team."""
    for team in found.teams:
        yield from (row for row in team.months if row.tally.resolved)
