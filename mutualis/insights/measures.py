"""The dashboard's measures, each computed by the database over the filtered tickets
(`filters.filtered_tickets`): counts grouped by period or dimension, conditional counts,
percentiles. No measure reads tickets one by one: each is one or two grouped queries whose
rows are bounded by the periods, the buckets or the dimension's values, not the tickets.

The measures that read every ticket of the period take either tickets or their narrow
copies (`models.TicketFact`, same field names): the dashboard passes the copies, the
reports and the tests' reference computation the tickets.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import connections, transaction
from django.db.models import (
    Aggregate,
    Count,
    DateField,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models.functions import Coalesce, TruncDay, TruncMonth, TruncWeek
from django.utils import timezone

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


TRUNC = {DAY: TruncDay, WEEK: TruncWeek, MONTH: TruncMonth}


def _copies(tickets: QuerySet[Any]) -> bool:
    """Whether `tickets` are the tickets' narrow copies (models.TicketFact)."""
    return tickets.model is not Ticket


def _period(tickets: QuerySet[Any], step: str) -> Any:
    """The first day of the period of declaration. The copies carry the day of declaration
    in the time zone of the figures: truncating a date converts no time zone."""
    if _copies(tickets):
        return F("created_day") if step == DAY else TRUNC[step]("created_day", output_field=DateField())
    return TRUNC[step]("created_at", output_field=DateField())


def _as_date(value: Any) -> dt.date:
    # Some backends hand back a datetime for a truncation to a DateField.
    return value.date() if isinstance(value, dt.datetime) else value


# ---------------------------------------------------------------- volumes and dimensions

BY_CATEGORY, BY_SITE_KIND, BY_MEMBER, BY_TEAM, BY_SITE = "category", "site_kind", "member", "team", "site"
# A ticket counts for its category's parent when it has one: the list's category filter
# takes a category and those directly under it, so the tickets behind a bar are exactly
# the list of that category (servicedesk.selectors.filter_tickets).
DIMENSION_KEYS: dict[str, Any] = {
    BY_CATEGORY: Coalesce("category__parent_id", "category_id"),
    BY_SITE_KIND: F("site__kind_id"),
    BY_MEMBER: F("member_id"),
    BY_TEAM: F("team_id"),
    BY_SITE: F("site_id"),
}


def dimension_names(dimension: str, keys: Iterable[int | None]) -> dict[int | None, str]:
    """Names of a dimension's values, in one query (the keys came through the door)."""
    from mutualis.registry.models import Member, Site, SiteKind

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
    rows = tickets.annotate(period=_period(tickets, step)).order_by().values("period").annotate(n=Count("pk"))
    counts = {_as_date(r["period"]): r["n"] for r in rows}
    return [(p, counts.get(p, 0)) for p in periods(start, end, step)]


@dataclass
class Breakdown:
    dimension: str
    totals: list[tuple[int | None, str, int]]  # (key, name, count), most first
    by_period: dict[int | None, dict[dt.date, int]] = field(default_factory=dict)


def breakdown(tickets: QuerySet[Any], dimension: str, start: dt.date, end: dt.date, step: str) -> Breakdown:
    """Tickets per value of `dimension`, overall and per period: one grouped query (rows:
    periods × values) and one for the names."""
    rows = (
        tickets.annotate(period=_period(tickets, step), key=DIMENSION_KEYS[dimension])
        .order_by()
        .values("period", "key")
        .annotate(n=Count("pk"))
    )
    by_period: dict[int | None, dict[dt.date, int]] = {}
    for row in rows:
        by_period.setdefault(row["key"], {})[_as_date(row["period"])] = row["n"]
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


# ---------------------------------------------------------------- durations and percentiles


class Seconds(Func):
    """`end - start` in seconds, as a float, on either database."""

    output_field = FloatField()

    def __init__(self, end: str, start: str) -> None:
        super().__init__(F(end), F(start))

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # julianday() counts days in a double: rounded to the millisecond, an hour is 3600.0
        # and not 3599.9999997 (which would fall in the bucket below).
        return self.as_sql(
            compiler,
            connection,
            template="ROUND((julianday(%(expressions)s)) * 86400.0, 3)",
            arg_joiner=") - julianday(",
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="EXTRACT(EPOCH FROM (%(expressions)s))::double precision",
            arg_joiner=" - ",
        )


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate: the continuous `fraction` percentile."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        if not 0 <= fraction <= 1:
            raise ValueError("A percentile's fraction is between 0 and 1.")
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


# The fine histogram for percentiles without percentile_cont: buckets growing by 2 %, so a
# percentile read from it is within 2 % of the exact value, and ten years of seconds take
# at most 1,000 buckets (ln(3.2e8) / ln(1.02)): the query returns at most that many rows
# whatever the number of tickets.
BUCKET_RATIO = 1.02


class LogBucket(Func):
    """The index of a duration's bucket: floor(ln(max(seconds, 1)) / ln(BUCKET_RATIO))."""

    output_field = IntegerField()
    template = "FLOOR(LN(%(greatest)s(%(expressions)s, 1.0)) / " + repr(math.log(BUCKET_RATIO)) + ")"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, greatest="MAX")

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, greatest="GREATEST")


def bucket_bounds(index: int) -> tuple[float, float]:
    low = 0.0 if index <= 0 else BUCKET_RATIO**index
    return low, BUCKET_RATIO ** (index + 1)


def percentile_from_histogram(counts: dict[int, int], fraction: float) -> float | None:
    """The `fraction` percentile of the values counted per bucket, as percentile_cont
    computes it (linear interpolation between the values at ranks floor and ceil of
    fraction × (n − 1)), each value placed evenly within its bucket: off by less than the
    width of the buckets those values fall in."""
    total = sum(counts.values())
    if total == 0:
        return None
    ordered = sorted(counts.items())

    def value_at(rank: int) -> float:
        seen = 0
        for index, count in ordered:
            if seen + count > rank:
                low, high = bucket_bounds(index)
                return low + (rank - seen + 0.5) / count * (high - low)
            seen += count
        return bucket_bounds(ordered[-1][0])[1]

    rank = fraction * (total - 1)
    below = math.floor(rank)
    low_value = value_at(below)
    if rank == below:
        return low_value
    return low_value + (rank - below) * (value_at(below + 1) - low_value)


# The durations the copies (models.TicketFact) carry, computed when copied: (end, start) →
# column.
COPIED_SECONDS = {
    ("first_response_at", "created_at"): "take_charge_seconds",
    ("resolved_at", "created_at"): "resolve_seconds",
}
SORT_WORK_MEM = "64MB"

# The histogram shown: edges in hours.
DURATION_EDGES_HOURS = (1, 4, 8, 24, 48, 168, 720)
PERCENTILE_CONT, HISTOGRAM = "percentile_cont", "histogram"


@dataclass
class DurationStats:
    count: int
    median: float | None  # seconds
    p90: float | None  # seconds
    # ((from hours, to hours or None), count) in DURATION_EDGES_HOURS' buckets
    histogram: list[tuple[tuple[float, float | None], int]]
    method: str


def percentile_method(tickets: QuerySet[Any]) -> str:
    return PERCENTILE_CONT if connections[tickets.db].vendor == "postgresql" else HISTOGRAM


EDGES = [0.0, *(h * 3600.0 for h in DURATION_EDGES_HOURS), None]


def _bucket_filter(name: str, i: int) -> Q:
    """`name` in the i-th bucket of the histogram shown (EDGES)."""
    low, high = EDGES[i], EDGES[i + 1]
    q = Q(**{f"{name}__gte": low}) if i else Q()
    if high is not None:
        q &= Q(**{f"{name}__lt": high})
    return q


def _histogram(row: dict[str, Any], prefix: str) -> list[tuple[tuple[float, float | None], int]]:
    return [
        ((EDGES[i] / 3600.0, None if EDGES[i + 1] is None else EDGES[i + 1] / 3600.0), row[f"{prefix}{i}"])  # type: ignore[operator]
        for i in range(len(EDGES) - 1)
    ]


@contextmanager
def _large_sort(using: str) -> Iterator[None]:
    """Room for percentile_cont's sort (PostgreSQL). The sort holds every duration of the
    period: 300,000 for the operator's year at a million tickets, about 15 MB, which the
    default 4 MB of work_mem sent to temporary files (docs/benchmarks.md). SET LOCAL ends
    with the transaction."""
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{SORT_WORK_MEM}'")
        yield


def duration_stats(
    tickets: QuerySet[Any], end_field: str, start_field: str = "created_at", *, method: str | None = None
) -> DurationStats:
    """From `start_field` to `end_field` (elapsed time, clock stops included) for the
    tickets where both are set: count, median, 90th percentile and the histogram. On
    PostgreSQL one query with percentile_cont; elsewhere (SQLite) a second query reads a
    fine histogram (BUCKET_RATIO) the percentiles are interpolated from."""
    method = method or percentile_method(tickets)
    copied = COPIED_SECONDS.get((end_field, start_field)) if _copies(tickets) else None
    if copied:  # computed when copied, by the same expression
        done = tickets.filter(**{f"{copied}__isnull": False}).annotate(secs=F(copied))
    else:
        done = tickets.filter(**{f"{end_field}__isnull": False}).annotate(
            secs=Seconds(end_field, start_field)
        )
    aggregates: dict[str, Any] = {"n": Count("pk")}
    for i in range(len(EDGES) - 1):
        q = _bucket_filter("secs", i)
        aggregates[f"h{i}"] = Count("pk", filter=q) if q else Count("pk")
    if method == PERCENTILE_CONT:
        aggregates["p50"] = PercentileCont("secs", 0.5)
        aggregates["p90"] = PercentileCont("secs", 0.9)
        with _large_sort(done.db):
            row = done.order_by().aggregate(**aggregates)
        median, p90 = row["p50"], row["p90"]
    else:
        row = done.order_by().aggregate(**aggregates)
        fine = done.annotate(bucket=LogBucket("secs")).order_by().values("bucket").annotate(n=Count("pk"))
        counts = {int(r["bucket"]): r["n"] for r in fine}
        median = percentile_from_histogram(counts, 0.5)
        p90 = percentile_from_histogram(counts, 0.9)
    return DurationStats(
        count=row["n"], median=median, p90=p90, histogram=_histogram(row, "h"), method=method
    )


def take_charge_and_resolution(tickets: QuerySet[Any]) -> tuple[DurationStats, DurationStats]:
    """`duration_stats` of the time to take charge and of the time to resolve. From the
    copies on PostgreSQL, both in one query: one read of the period instead of two, each
    duration a column (a missing one is NULL: COUNT and percentile_cont skip it)."""
    method = percentile_method(tickets)
    if not _copies(tickets) or method != PERCENTILE_CONT:
        return duration_stats(tickets, "first_response_at"), duration_stats(tickets, "resolved_at")
    columns = (
        COPIED_SECONDS[("first_response_at", "created_at")],
        COPIED_SECONDS[("resolved_at", "created_at")],
    )
    # The histogram as counts below each edge (one comparison per edge and row; a bucket is
    # the difference of two of them, the last one the rest of the count): half the
    # comparisons of counting each bucket between its two edges, on the 300,000 rows of the
    # operator's year. The two percentiles of a column share one sort (PostgreSQL shares
    # the state of ordered-set aggregates over the same input).
    aggregates: dict[str, Any] = {}
    for column in columns:
        aggregates[f"{column}_n"] = Count(column)
        for i, edge in enumerate(EDGES[1:-1]):
            aggregates[f"{column}_below{i}"] = Count(column, filter=Q(**{f"{column}__lt": edge}))
        aggregates[f"{column}_p50"] = PercentileCont(column, 0.5)
        aggregates[f"{column}_p90"] = PercentileCont(column, 0.9)
    with _large_sort(tickets.db):
        row = tickets.order_by().aggregate(**aggregates)
    take, done = (
        DurationStats(
            count=row[f"{c}_n"],
            median=row[f"{c}_p50"],
            p90=row[f"{c}_p90"],
            histogram=_histogram(_buckets_from_below(row, c), f"{c}_h"),
            method=method,
        )
        for c in columns
    )
    return take, done


def _buckets_from_below(row: dict[str, Any], column: str) -> dict[str, int]:
    """The counts per bucket of EDGES (`<column>_h<i>`) from the counts below each inner
    edge (`<column>_below<i>`) and the count (`<column>_n`)."""
    below = [0, *(row[f"{column}_below{i}"] for i in range(len(EDGES) - 2)), row[f"{column}_n"]]
    return {f"{column}_h{i}": below[i + 1] - below[i] for i in range(len(EDGES) - 1)}


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
    rows = (
        tickets.annotate(
            period=_period(tickets, step),
            was_reopened=F("reopened") if _copies(tickets) else Exists(reopened_events()),
        )
        .order_by()
        .values("period")
        .annotate(
            resolved=Count("pk", filter=Q(resolved_at__isnull=False) | Q(was_reopened=True)),
            reopened_n=Count("pk", filter=Q(was_reopened=True)),
        )
    )
    found = {_as_date(r["period"]): (r["resolved"], r["reopened_n"]) for r in rows}
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
