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

from django.contrib.postgres.aggregates import ArrayAgg
from django.db import connections, transaction
from django.db.models import (
    BigIntegerField,
    Count,
    DateField,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Value,
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


def _copies(tickets: QuerySet[Any]) -> bool:
    """Whether `tickets` are the tickets' narrow copies (models.TicketFact)."""
    return tickets.model is not Ticket


def _day(tickets: QuerySet[Any]) -> Any:
    """The day of declaration. The copies carry it, in the time zone of the figures.

    The measures group by this day and add the days up into periods afterwards (at most one
    row per day and value): truncating each ticket's day to its month or week in the query
    cost PostgreSQL as much as reading the rows (date_trunc casts every date to a timestamp
    with time zone: 68 ms grouped by day, 120 ms by month, for the operator's 308,125
    copies of a year at a million tickets; docs/benchmarks.md)."""
    if _copies(tickets):
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
    if _copies(tickets):
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
    of the breakdown's query (docs/benchmarks.md). A dimension of few values (categories,
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


# The fine histogram for percentiles without sorted arrays (SQLite): buckets growing by 2 %, so a
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
# EXACT: percentile_cont's definition, read from the sorted durations (PostgreSQL);
# HISTOGRAM: interpolated in a fine histogram, within BUCKET_RATIO of it (elsewhere).
EXACT, HISTOGRAM = "exact", "histogram"
FRACTIONS = {"median": 0.5, "p90": 0.9}
MICROSECONDS = 1_000_000


@dataclass
class DurationStats:
    count: int
    median: float | None  # seconds
    p90: float | None  # seconds
    # ((from hours, to hours or None), count) in DURATION_EDGES_HOURS' buckets
    histogram: list[tuple[tuple[float, float | None], int]]
    method: str


def percentile_method(tickets: QuerySet[Any]) -> str:
    return EXACT if connections[tickets.db].vendor == "postgresql" else HISTOGRAM


EDGES = [0.0, *(h * 3600.0 for h in DURATION_EDGES_HOURS), None]
INNER_EDGES: list[float] = EDGES[1:-1]  # type: ignore[assignment]


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
    """Room for the sort of the period's durations (PostgreSQL): 300,000 for the operator's
    year at a million tickets, about 15 MB, which the default 4 MB of work_mem sent to
    temporary files (docs/benchmarks.md). SET LOCAL ends with the transaction."""
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{SORT_WORK_MEM}'")
        yield


class NegatedMicroseconds(Func):
    """A duration in seconds as −microseconds, a bigint: the durations' sort key (see
    `_exact_stats`). Exact both ways: a duration in seconds is a whole number of
    microseconds (PostgreSQL's timestamps), stored as the nearest double, which × 10⁶
    rounds back to that number and ÷ 10⁶ gives back the same double. PostgreSQL sorts
    bigints by a specialised routine, doubles by a generic one: 140 instead of 180 ms for
    the operator's year at a million tickets. No parameter in it: the array's ORDER BY
    must be the very expression aggregated, so that PostgreSQL sorts the values alone (with
    `* %s` the two expressions differed and it sorted (key, value) pairs, twice as slow)."""

    template = "(-(%(expressions)s * 1000000)::bigint)"
    output_field = BigIntegerField()


def interpolate(fraction: float, count: int, first: float, second: float) -> float:
    """percentile_cont's interpolation, with its float operations in its order (PostgreSQL's
    percentile_cont_final_common and float8_lerp): between the values at 0-based ranks
    floor and ceil of fraction × (count − 1)."""
    rank = fraction * (count - 1)
    if math.floor(rank) == math.ceil(rank):
        return first
    return first + (second - first) * (rank - math.floor(rank))


def _exact_stats(tickets: QuerySet[Any], durations: dict[str, tuple[Any, Q]]) -> dict[str, DurationStats]:
    """PostgreSQL: {name: (duration expression, where it is set)} → the stats of each, in
    one query, each duration sorted once.

    The inner query sorts each duration into an array, negated so that it ascends as
    width_bucket's thresholds must (the durations in descending order). The outer one reads
    from each array its length; the counts below each edge of the histogram, as the length
    less width_bucket(−edge), the count of values ≥ edge found by a binary search; and the
    values at the two ranks percentile_cont interpolates between, by subscript. Exactly
    percentile_cont's result, without a comparison per row and edge: at a million tickets,
    the operator's year (300,000 durations of each kind) took 218 ms as percentile_cont
    with 14 filtered counts, 149 ms so (docs/insights-method.md)."""
    names = list(durations)
    arrays = {
        f"d{i}": ArrayAgg(
            NegatedMicroseconds(expression), filter=where, order_by=NegatedMicroseconds(expression).asc()
        )
        for i, (expression, where) in enumerate(durations.values())
    }
    # A constant to group by: one row of arrays (none when no ticket is in the period).
    inner = tickets.order_by().annotate(_all=Value(1)).values("_all").annotate(**arrays).values(*arrays)
    inner_sql, inner_params = inner.query.sql_with_params()
    selected: list[str] = []
    params: list[Any] = []
    for alias in arrays:
        n = f"cardinality(s.{alias})"
        selected.append(n)
        for edge in INNER_EDGES:
            selected.append(f"{n} - width_bucket(%s::bigint, s.{alias})")
            params.append(-round(edge * MICROSECONDS))
        for fraction in FRACTIONS.values():
            for rounding in ("floor", "ceil"):
                # 1-based subscript of the 0-based ascending rank, in the descending array
                selected.append(f"-s.{alias}[{n} - {rounding}(%s::float8 * ({n} - 1))::int]")
                params.append(fraction)
    with _large_sort(tickets.db), connections[tickets.db].cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(selected)} FROM ({inner_sql}) AS s", [*params, *inner_params])  # noqa: S608 (compiled by the ORM, values as parameters; the select list's come first)
        row = cursor.fetchone()
    per_alias = 1 + len(INNER_EDGES) + 2 * len(FRACTIONS)
    stats = {}
    for i, name in enumerate(names):
        values: list[Any] = list(row[i * per_alias : (i + 1) * per_alias]) if row else [None] * per_alias
        count = values[0] or 0  # no row, or a NULL array: no ticket with this duration
        below = [0, *((v or 0) for v in values[1 : 1 + len(INNER_EDGES)]), count]
        ranks = values[1 + len(INNER_EDGES) :]
        found: dict[str, float | None] = {}
        for j, (key, fraction) in enumerate(FRACTIONS.items()):
            if count:
                first, second = (ranks[2 * j + k] / MICROSECONDS for k in (0, 1))
                found[key] = interpolate(fraction, count, first, second)
            else:
                found[key] = None
        counts = {f"h{k}": below[k + 1] - below[k] for k in range(len(EDGES) - 1)}
        stats[name] = DurationStats(
            count=count,
            median=found["median"],
            p90=found["p90"],
            histogram=_histogram(counts, "h"),
            method=EXACT,
        )
    return stats


def _duration(tickets: QuerySet[Any], end_field: str, start_field: str) -> tuple[Any, Q]:
    """The duration from `start_field` to `end_field` as an expression, and where it is set:
    the copies' column when they carry it (computed when copied, by the same expression)."""
    copied = COPIED_SECONDS.get((end_field, start_field)) if _copies(tickets) else None
    if copied:
        return F(copied), Q(**{f"{copied}__isnull": False})
    return Seconds(end_field, start_field), Q(**{f"{end_field}__isnull": False})


def duration_stats(
    tickets: QuerySet[Any], end_field: str, start_field: str = "created_at", *, method: str | None = None
) -> DurationStats:
    """From `start_field` to `end_field` (elapsed time, clock stops included) for the
    tickets where both are set: count, median, 90th percentile and the histogram. On
    PostgreSQL exact (`_exact_stats`); elsewhere (SQLite) a second query reads a fine
    histogram (BUCKET_RATIO) the percentiles are interpolated from."""
    method = method or percentile_method(tickets)
    secs, where = _duration(tickets, end_field, start_field)
    if method == EXACT:
        return _exact_stats(tickets, {"secs": (secs, where)})["secs"]
    done = tickets.filter(where).annotate(secs=secs)
    aggregates: dict[str, Any] = {"n": Count("pk")}
    for i in range(len(EDGES) - 1):
        q = _bucket_filter("secs", i)
        aggregates[f"h{i}"] = Count("pk", filter=q) if q else Count("pk")
    row = done.order_by().aggregate(**aggregates)
    fine = done.annotate(bucket=LogBucket("secs")).order_by().values("bucket").annotate(n=Count("pk"))
    counts = {int(r["bucket"]): r["n"] for r in fine}
    return DurationStats(
        count=row["n"],
        median=percentile_from_histogram(counts, FRACTIONS["median"]),
        p90=percentile_from_histogram(counts, FRACTIONS["p90"]),
        histogram=_histogram(row, "h"),
        method=method,
    )


def take_charge_and_resolution(tickets: QuerySet[Any]) -> tuple[DurationStats, DurationStats]:
    """`duration_stats` of the time to take charge and of the time to resolve; on
    PostgreSQL both in one query (one read of the period instead of two)."""
    if percentile_method(tickets) != EXACT:
        return duration_stats(tickets, "first_response_at"), duration_stats(tickets, "resolved_at")
    durations = {end: _duration(tickets, end, "created_at") for end in ("first_response_at", "resolved_at")}
    stats = _exact_stats(tickets, durations)
    return stats["first_response_at"], stats["resolved_at"]


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
    copies = _copies(tickets)
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
