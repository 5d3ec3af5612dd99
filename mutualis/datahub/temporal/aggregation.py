"""Aggregated temporal values (NGSI-LD 4.5.19): every requested method of every series,
grouped by series and period in SQL (`date_bin` on PostgreSQL)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from operator import itemgetter
from typing import Any

from django.db import connection

from ..models import AttributeInstance
from ..ngsild.durations import add_months, month_index
from ..ngsild.timestamps import format_instant
from .request import TemporalQuery
from .series import Series, SeriesRef, _as_datetime, _chunks, _where


def _bucket_sql(query: TemporalQuery, params: list[Any]) -> tuple[str, str]:
    """The SQL of the bucket of each row and how to read it back ("start" | "index" | "none").

    PostgreSQL: `date_bin` for fixed durations (aligned on timeAt, or the Unix epoch).
    SQLite: whole seconds since the origin divided by the step. Calendar months on both:
    the month number (year × 12 + month) divided by the number of months per period.
    """
    column = query.column
    period = query.aggr_period
    if period is None:
        return "0", "none"
    postgres = connection.vendor == "postgresql"
    if period.is_calendar:
        origin = month_index(query.lower) if query.lower is not None else 0
        if postgres:
            months = (
                f"(CAST(extract(year FROM {column} AT TIME ZONE 'UTC') AS integer) * 12"
                f" + CAST(extract(month FROM {column} AT TIME ZONE 'UTC') AS integer) - 1)"
            )
            params.extend([origin, period.months])
            return f"floor(({months} - %s) / CAST(%s AS double precision))", "index"
        months = f"(CAST(strftime('%%Y', {column}) AS integer) * 12 + CAST(strftime('%%m', {column}) AS integer) - 1)"
        params.extend([origin, period.months])
        return f"(({months} - %s) / %s)", "index"
    origin_time = query.lower or datetime(1970, 1, 1, tzinfo=UTC)
    if postgres:
        params.extend([timedelta(seconds=period.seconds), origin_time])
        return f"date_bin(%s, {column}, %s)", "start"
    params.extend([int(origin_time.timestamp()), max(1, round(period.seconds))])
    return f"((CAST(strftime('%%s', {column}) AS integer) - %s) / %s)", "index"


def _bucket_bounds(
    kind: str, bucket: Any, extent: tuple[datetime, datetime] | None, query: TemporalQuery
) -> tuple[datetime, datetime]:
    period = query.aggr_period
    if kind == "none" or period is None:
        assert extent is not None  # noqa: S101 (read with every single-period aggregation)
        return query.lower or extent[0], query.upper or extent[1]
    if kind == "start":
        start = _as_datetime(bucket).astimezone(UTC)
        return start, start + period.as_timedelta()
    index = int(bucket)
    if period.is_calendar:
        origin = month_index(query.lower) if query.lower is not None else 0
        months = origin + index * period.months
        start = datetime(months // 12, months % 12 + 1, 1, tzinfo=UTC)
        end = add_months(start, period.months)
        # The first period starts with the query's range, not before it.
        return (max(start, query.lower) if query.lower else start), end
    origin_time = query.lower or datetime(1970, 1, 1, tzinfo=UTC)
    step = timedelta(seconds=max(1, round(period.seconds)))
    start = origin_time + step * index
    return start, start + step


# The values distinctCount compares: an instance's value, not the whole instance (their
# observedAt always differs).
DISTINCT_MEMBERS = ("value", "object", "objectList", "languageMap", "vocab", "valueList", "json")
PLAIN_AGGREGATES = {
    "totalCount": "count(*)",
    "sum": "sum(number)",
    "avg": "avg(number)",
    "min": "min(number)",
    "max": "max(number)",
    "sumsq": "sum(number * number)",
}


def _aggregate_columns(
    methods: tuple[str, ...],
) -> tuple[list[str], dict[str, Callable[[Sequence[Any]], Any]]]:
    """The SQL aggregates the requested methods need, and how each method reads its result
    from them. Only what was asked is computed: distinctCount, in particular, sorts every
    group's values."""
    postgres = connection.vendor == "postgresql"
    columns: list[str] = []

    def position(sql: str) -> int:
        if sql not in columns:
            columns.append(sql)
        return columns.index(sql)

    readers: dict[str, Callable[[Sequence[Any]], Any]] = {}
    for method in methods:
        if method in PLAIN_AGGREGATES:
            readers[method] = itemgetter(position(PLAIN_AGGREGATES[method]))
        elif method == "distinctCount":
            if postgres:
                extracted = ", ".join(f"CAST(value -> '{member}' AS text)" for member in DISTINCT_MEMBERS)
                sql = f"count(DISTINCT coalesce(CAST(number AS text), {extracted}, CAST(value AS text)))"
            else:
                extracted = ", ".join(f"json_extract(value, '$.{member}')" for member in DISTINCT_MEMBERS)
                sql = f"count(DISTINCT coalesce(number, {extracted}, value))"
            readers[method] = itemgetter(position(sql))
        elif postgres:  # stddev
            readers[method] = itemgetter(position("stddev_samp(number)"))
        else:
            # SQLite has no stddev: the sample standard deviation from the sum of squares.
            parts = (position("sum(number)"), position("sum(number * number)"), position("count(number)"))
            readers[method] = partial(_sample_stddev, parts)
    return columns, readers


def _sample_stddev(parts: tuple[int, int, int], values: Sequence[Any]) -> float | None:
    total, squares, numbers = (values[i] for i in parts)
    if not numbers or numbers < 2:
        return None
    variance = (squares - total * total / numbers) / (numbers - 1)
    return math.sqrt(max(variance, 0.0))


def _aggregate(refs: list[SeriesRef], query: TemporalQuery) -> dict[SeriesRef, Series]:
    """Every requested aggregation of every series of `refs`, grouped by series and period
    in one SQL statement (per chunk of entities on SQLite)."""
    columns, readers = _aggregate_columns(query.aggr_methods)
    wanted = set(refs)
    found: dict[SeriesRef, Series] = {}
    for chunk in _chunks(refs):
        params: list[Any] = []
        bucket, kind = _bucket_sql(query, params)
        # A single period over an open range ends at the first and last instances.
        extent = f", min({query.column}), max({query.column})" if kind == "none" else ""
        where = _where(chunk, query, params)
        # No ORDER BY: it would lead PostgreSQL to walk the index in key order, one heap
        # fetch per row, instead of hashing the groups; the groups are few, sorted below.
        sql = (
            f"SELECT entity_id, attribute_id, dataset_id, {bucket} AS bucket, {', '.join(columns)}{extent}"  # noqa: S608 (column names are this module's own)
            f" FROM {AttributeInstance._meta.db_table} WHERE {where}"
            " GROUP BY entity_id, attribute_id, dataset_id, bucket"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            results = cursor.fetchall()
        results.sort(key=itemgetter(0, 1, 2, 3))
        # Every series of a page shares the same periods, and a period ends where the next
        # one starts: each bucket, and each instant, is formatted once.
        periods: dict[Any, tuple[str, str]] = {}
        texts: dict[datetime, str] = {}
        for result in results:
            ref = (result[0], result[1], result[2])
            if ref not in wanted:
                continue
            series = found.get(ref)
            if series is None:
                series = found[ref] = Series(attribute="", attribute_type="", dataset_id=ref[2])
                series.aggregates = {method: [] for method in query.aggr_methods}
            values = result[4 : 4 + len(columns)]
            period = periods.get(result[3]) if not extent else None
            if period is None:
                bounds = (_as_datetime(result[-2]), _as_datetime(result[-1])) if extent else None
                start, end = _bucket_bounds(kind, result[3], bounds, query)
                for moment in (start, end):
                    if moment not in texts:
                        texts[moment] = format_instant(moment)
                period = periods[result[3]] = (texts[start], texts[end])
            for method, read in readers.items():
                series.aggregates[method].append([read(values), *period])
    return found
