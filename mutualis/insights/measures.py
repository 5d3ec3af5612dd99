"""The dashboard's measures, each computed by the database over the filtered tickets
(`filters.filtered_tickets`): counts grouped by period or dimension, conditional counts
(the durations' percentiles are in `durations`). No measure reads tickets one by one: each
is one or two grouped queries whose rows are bounded by the periods, the buckets or the
dimension's values, not the tickets.

The measures that read every ticket of the period take either tickets or their narrow
copies (`models.TicketFact`, same field names): the dashboard passes the copies, the
reports and the tests' reference computation the tickets.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connections
from django.db.models import (
    Count,
    DateField,
    Exists,
    F,
    Func,
    Model,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.utils import timezone

from mutualis.registry.models import Member, Site, SiteKind
from mutualis.servicedesk.models import (
    Category,
    SatisfactionRating,
    SlaBreach,
    Team,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketState,
)
from mutualis.servicedesk.models.tickets import OPEN_STATES
from mutualis.servicedesk.satisfaction.forms import add_months

from .filters import DAY, MONTH, WEEK

# ---------------------------------------------------------------- periods


def period_start(day: dt.date, step: str) -> dt.date:
    if step == MONTH:
        return day.replace(day=1)
    if step == WEEK:  # ISO weeks start on Monday, as TruncWeek does
        return day - dt.timedelta(days=day.weekday())
    return day


def next_period(start: dt.date, step: str) -> dt.date:
    if step == MONTH:
        return add_months(start, 1)
    return start + dt.timedelta(days=7 if step == WEEK else 1)


def periods(start: dt.date, end: dt.date, step: str) -> list[dt.date]:
    """Every period touching [start, end], by its first day."""
    found, current = [], period_start(start, step)
    while current <= end:
        found.append(current)
        current = next_period(current, step)
    return found


def period_bounds(first_day: dt.date, step: str, start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """A period's days within [start, end] (the first and last periods may be partial)."""
    return max(first_day, start), min(next_period(first_day, step) - dt.timedelta(days=1), end)


def reads_copies(tickets: QuerySet[Any]) -> bool:
    """Whether `tickets` are the tickets' narrow copies (models.TicketFact)."""
    return tickets.model is not Ticket


def _day(tickets: QuerySet[Any]) -> Any:
    """The day of declaration. The copies carry it, in the time zone of the figures.

    The measures group by this day and add the days up into periods afterwards (at most one
    row per day and value): truncating each ticket's day to its month or week in the query
    cost PostgreSQL as much as reading the rows (date_trunc casts every date to a timestamp
    with time zone: 68 ms grouped by day, 120 ms by month, for the operator's 308,125
    copies of a year at a million tickets; docs/benchmarks-history.md)."""
    if reads_copies(tickets):
        return F("created_day")
    return TruncDay("created_at", output_field=DateField())


def _per_period(rows: Iterable[tuple[Any, ...]], step: str) -> dict[dt.date, list[int]]:
    """(day, count, count…) rows added up per period, by the period's first day."""
    found: dict[dt.date, list[int]] = {}
    for day, *counts in rows:
        total = found.setdefault(period_start(_as_date(day), step), [0] * len(counts))
        for i, n in enumerate(counts):
            total[i] += n
    return found


class FirstDayOf(Func):
    """The first day of a date's month or ISO week (PostgreSQL). date_trunc takes a
    timestamp with time zone, so PostgreSQL casts each date into one first: for the 308,125
    copies of the operator's year that cast cost a third of the breakdown's query; date
    arithmetic does not convert anything. The date is read twice: a column, not a
    computation."""

    output_field = DateField()
    FIELDS = {MONTH: "day", WEEK: "isodow"}

    def __init__(self, column: str, step: str) -> None:
        super().__init__(F(column))
        self.step = step

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"({sql} - (date_part('{self.FIELDS[self.step]}', {sql})::int - 1))", [*params, *params]

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return compiler.compile(
            TruncMonth(self.source_expressions[0])
            if self.step == MONTH
            else TruncWeek(self.source_expressions[0])
        )


def _period(tickets: QuerySet[Any], step: str) -> Any:
    """The first day of the period of declaration."""
    if reads_copies(tickets):
        return F("created_day") if step == DAY else FirstDayOf("created_day", step)
    return {DAY: TruncDay, WEEK: TruncWeek, MONTH: TruncMonth}[step]("created_at", output_field=DateField())


def _as_date(value: Any) -> dt.date:
    # Some backends hand back a datetime for a truncation to a DateField, and SQLite its
    # text when read without the ORM's converters.
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return value


# ---------------------------------------------------------------- volumes and dimensions

BY_CATEGORY, BY_SITE_KIND, BY_MEMBER, BY_TEAM, BY_SITE = "category", "site_kind", "member", "team", "site"
# The column of the tickets (and of their copies) each dimension is read from.
DIMENSION_COLUMNS = {
    BY_CATEGORY: "category_id",
    BY_SITE_KIND: "site_id",
    BY_MEMBER: "member_id",
    BY_TEAM: "team_id",
    BY_SITE: "site_id",
}
# The dimensions reached through a registry table, and the value each of its rows stands
# for. A ticket counts for its category's parent when it has one: the list's category filter
# takes a category and those directly under it, so the tickets behind a bar are exactly the
# list of that category (servicedesk.selectors.filter_tickets).
ROLLED_UP: dict[str, tuple[type[Model], str]] = {
    BY_CATEGORY: (Category, "COALESCE(d.parent_id, d.id)"),
    BY_SITE_KIND: (Site, "d.kind_id"),
}
# The dimensions whose values are a few dozen at most (the operator's catalogue and teams).
FEW_VALUES = {BY_CATEGORY, BY_TEAM}


def dimension_names(dimension: str, keys: Iterable[int | None]) -> dict[int | None, str]:
    """Names of a dimension's values, in one query (the keys came through the door)."""
    ids = [k for k in keys if k is not None]
    model: Any = {
        BY_CATEGORY: Category,
        BY_SITE_KIND: SiteKind,
        BY_MEMBER: Member,
        BY_TEAM: Team,
        BY_SITE: Site,
    }[dimension]
    return dict(model.objects.filter(pk__in=ids).values_list("pk", "name"))


def volumes(tickets: QuerySet[Any], start: dt.date, end: dt.date, step: str) -> list[tuple[dt.date, int]]:
    """Tickets declared per period, every period of [start, end] listed (zeros included)."""
    rows = tickets.annotate(day=_day(tickets)).order_by().values_list("day").annotate(n=Count("pk"))
    counts = _per_period(rows, step)
    return [(p, counts.get(p, [0])[0]) for p in periods(start, end, step)]


@dataclass
class Breakdown:
    dimension: str
    totals: list[tuple[int | None, str, int]]  # (key, name, count), most first
    by_period: dict[int | None, dict[dt.date, int]] = field(default_factory=dict)


def _counts_by(tickets: QuerySet[Any], dimension: str, step: str) -> list[tuple[Any, int | None, int]]:
    """(first day of the period, value of the dimension, tickets) rows, in two steps: the
    tickets grouped by their own column, then those groups by period and by the value they
    stand for, joined to the registry table the dimension is reached through (a category's
    parent, a site's kind) only then: at a million tickets, the join per ticket was a third
    of the breakdown's query (docs/benchmarks-history.md). A dimension of few values (categories,
    teams) is first grouped by the day the copies store (`_day`: a few thousand groups a
    year, and no date computed per ticket); one of many (sites, members) by period at once,
    since its groups by day would be about as many as the tickets."""
    column = DIMENSION_COLUMNS[dimension]
    by_day = step != DAY and dimension in FEW_VALUES
    grouped = (
        tickets.annotate(period=_day(tickets) if by_day else _period(tickets, step))
        .order_by()
        .values("period", column)
        .annotate(n=Count("pk"))
    )
    if not by_day and dimension not in ROLLED_UP:
        return [(row["period"], row[column], row["n"]) for row in grouped]
    connection = connections[tickets.db]
    sql, params = grouped.query.sql_with_params()
    period, period_params = (
        connection.ops.date_trunc_sql(step, 't."period"', ()) if by_day else ('t."period"', ())
    )
    if dimension in ROLLED_UP:
        model, value = ROLLED_UP[dimension]
        joined = f" LEFT JOIN {connection.ops.quote_name(model._meta.db_table)} d ON d.id = t.{column}"
    else:
        value, joined = f"t.{column}", ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {period}, {value}, SUM(t.n) FROM ({sql}) t{joined} GROUP BY 1, 2",  # noqa: S608 (names from the models)
            (*period_params, *params),
        )
        return [(period, key, int(n)) for period, key, n in cursor.fetchall()]


def breakdown(tickets: QuerySet[Any], dimension: str, start: dt.date, end: dt.date, step: str) -> Breakdown:
    """Tickets per value of `dimension`, overall and per period: one grouped query (rows:
    periods × values) and one for the names."""
    by_period: dict[int | None, dict[dt.date, int]] = {}
    for period, key, n in _counts_by(tickets, dimension, step):
        by_period.setdefault(key, {})[_as_date(period)] = n
    names = dimension_names(dimension, by_period)
    totals = [(key, names.get(key, ""), sum(counts.values())) for key, counts in by_period.items()]
    totals.sort(key=lambda t: (-t[2], t[1].lower()))
    return Breakdown(dimension, totals, by_period)


# ---------------------------------------------------------------- backlog

# Ages of open tickets in calendar days since declared (today is 0): (first, last) day.
AGE_BUCKETS: list[tuple[int, int | None]] = [(0, 1), (2, 7), (8, 30), (31, 90), (91, None)]


@dataclass
class Backlog:
    total: int
    by_state: dict[str, int]
    by_age: list[tuple[tuple[int, int | None], int]]


def backlog(tickets: QuerySet[Ticket], today: dt.date) -> Backlog:
    """Open tickets by state and by age, in one query of conditional counts."""
    aggregates: dict[str, Any] = {"total": Count("pk")}
    for state in sorted(OPEN_STATES):
        aggregates[f"state_{state}"] = Count("pk", filter=Q(state=state))
    for i, (first, last) in enumerate(AGE_BUCKETS):
        q = Q(created_at__date__lte=today - dt.timedelta(days=first))
        if last is not None:
            q &= Q(created_at__date__gte=today - dt.timedelta(days=last))
        aggregates[f"age_{i}"] = Count("pk", filter=q)
    row = tickets.filter(state__in=OPEN_STATES).aggregate(**aggregates)
    return Backlog(
        total=row["total"],
        by_state={s: row[f"state_{s}"] for s in sorted(OPEN_STATES)},
        by_age=[(bucket, row[f"age_{i}"]) for i, bucket in enumerate(AGE_BUCKETS)],
    )


# ---------------------------------------------------------------- service levels


@dataclass
class Deadlines:
    met: int
    missed: int
    running: int  # not yet due, not yet done

    @property
    def share_met(self) -> float | None:
        decided = self.met + self.missed
        return None if decided == 0 else 100.0 * self.met / decided


@dataclass
class ServiceLevels:
    take_charge: Deadlines
    resolve: Deadlines
    breaches: dict[str, int]  # SlaBreach recorded, per target


def _deadline_counts(done: str, due: str, now: dt.datetime) -> dict[str, Any]:
    has_due = Q(**{f"{due}__isnull": False})
    met = has_due & Q(**{f"{done}__isnull": False, f"{done}__lte": F(due)})
    missed = has_due & (Q(**{f"{done}__gt": F(due)}) | Q(**{f"{done}__isnull": True, f"{due}__lt": now}))
    running = has_due & Q(**{f"{done}__isnull": True, f"{due}__gte": now})
    return {
        f"{done}_met": Count("pk", filter=met),
        f"{done}_missed": Count("pk", filter=missed),
        f"{done}_running": Count("pk", filter=running),
    }


def service_levels(tickets: QuerySet[Any], now: dt.datetime) -> ServiceLevels:
    """Deadlines met, from the tickets' deadlines and when they were met (cancelled tickets
    and merged duplicates aside: nobody had to meet theirs), and the breaches recorded."""
    held = tickets.exclude(state=TicketState.CANCELLED).filter(merged_into__isnull=True)
    row = held.order_by().aggregate(
        **_deadline_counts("first_response_at", "take_charge_due", now),
        **_deadline_counts("resolved_at", "resolve_due", now),
    )
    breaches = dict(
        SlaBreach.objects.filter(ticket__in=held.values("pk"))
        .order_by()
        .values("target")
        .annotate(n=Count("pk"))
        .values_list("target", "n")
    )

    def deadlines(done: str) -> Deadlines:
        return Deadlines(row[f"{done}_met"], row[f"{done}_missed"], row[f"{done}_running"])

    return ServiceLevels(deadlines("first_response_at"), deadlines("resolved_at"), breaches)


# ---------------------------------------------------------------- reopening


def reopened_events() -> QuerySet[TicketEvent]:
    """A ticket put back in progress after being resolved (a reopening)."""
    return TicketEvent.objects.filter(
        ticket=OuterRef("pk"),
        kind=TicketEventKind.STATE,
        old_value=TicketState.RESOLVED,
        new_value=TicketState.IN_PROGRESS,
    )


def reopen_rates(
    tickets: QuerySet[Any], start: dt.date, end: dt.date, step: str
) -> list[tuple[dt.date, int, int]]:
    """Per period of declaration: (period, tickets resolved at least once, reopened).
    `tickets` are tickets, or their copies (TicketFact), which carry the reopening found."""
    copies = reads_copies(tickets)
    # A copy's resolution time is set exactly when its ticket was resolved; the copies'
    # period indexes carry it (and the reopening), not the instant (migration 0006).
    resolved = Q(resolve_seconds__isnull=False) if copies else Q(resolved_at__isnull=False)
    rows = (
        tickets.annotate(
            day=_day(tickets),
            was_reopened=F("reopened") if copies else Exists(reopened_events()),
        )
        .order_by()
        .values_list("day")
        .annotate(
            resolved=Count("pk", filter=resolved | Q(was_reopened=True)),
            reopened_n=Count("pk", filter=Q(was_reopened=True)),
        )
    )
    found = _per_period(rows, step)
    return [(p, *found.get(p, (0, 0))) for p in periods(start, end, step)]


# ---------------------------------------------------------------- satisfaction and load


@dataclass
class Satisfaction:
    counts: dict[int, int]  # rating → ratings

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def mean(self) -> float | None:
        return None if not self.total else sum(r * n for r, n in self.counts.items()) / self.total


def satisfaction(tickets: QuerySet[Ticket]) -> Satisfaction:
    rows = (
        SatisfactionRating.objects.filter(ticket__in=tickets.values("pk"))
        .order_by()
        .values("rating")
        .annotate(n=Count("pk"))
    )
    counts = dict.fromkeys(range(1, 6), 0)
    counts.update({r["rating"]: r["n"] for r in rows})
    return Satisfaction(counts)


LOAD_ROWS = 30  # the most loaded technicians; the export too (a desk has a few dozen)


def technician_load(tickets: QuerySet[Ticket]) -> list[tuple[int | None, str, int]]:
    """Open tickets per assignee, most loaded first, nobody (unassigned) included."""
    rows = (
        tickets.filter(state__in=OPEN_STATES)
        .order_by()
        .values("assignee_id", "assignee__full_name", "assignee__email")
        .annotate(n=Count("pk"))
        .order_by("-n", "assignee__full_name")[:LOAD_ROWS]
    )
    return [(r["assignee_id"], r["assignee__full_name"] or r["assignee__email"] or "", r["n"]) for r in rows]


def now() -> dt.datetime:
    return timezone.now()
