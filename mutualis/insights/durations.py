"""Durations of the tickets (time to take charge, time to resolve): their count, median,
90th percentile and distribution, computed by the database (see `duration_stats`). Split
from `measures` (the dashboard's other measures), which the durations panel, the month's
figures and the reports share.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.aggregates import ArrayAgg
from django.db import connections, transaction
from django.db.models import (
    BigIntegerField,
    Count,
    Expression,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Value,
)

from .measures import reads_copies


class Seconds(Func):
    """`end - start` in seconds, as a float, on either database: fields by name, or
    expressions. (Django's own subtraction of instants is a Python function per row on
    SQLite.)"""

    output_field = FloatField()

    def __init__(self, end: str | Expression, start: str | Expression) -> None:
        super().__init__(
            F(end) if isinstance(end, str) else end, F(start) if isinstance(start, str) else start
        )

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
    temporary files (docs/benchmarks-history.md). SET LOCAL ends with the transaction."""
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
    copied = COPIED_SECONDS.get((end_field, start_field)) if reads_copies(tickets) else None
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
