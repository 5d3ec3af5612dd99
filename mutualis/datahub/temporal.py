"""Reading the attribute history: temporal queries and aggregation (NGSI-LD 4.5.7, 4.5.8,
4.5.19, 4.11, 5.7.3, 5.7.4, 6.3.10).

A temporal query names entities first (through `selectors`, so that tenancy is applied
once, in one place), then reads the history of their attributes: every series, one per
(entity, attribute, datasetId), of every entity of the page in ONE statement (a page of
1,000 entities is not 1,000 queries). Its conditions are on the columns of the unique
index (entity, attribute, dataset_id, observed_at) and the time range is given as literal
bounds, so that each series costs an index range scan and PostgreSQL plans only the month
partitions of the range. Aggregates are grouped by series and period in SQL; instances are
capped per series by a LATERAL LIMIT (PostgreSQL) or row_number() (SQLite).

Results stay in the internal form (expanded IRIs) until `render_*` compacts them with the
request's @context.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from operator import itemgetter
from typing import Any

from django.conf import settings
from django.db import connection

from .history import attribute_ids
from .models import AttributeInstance, Entity
from .ngsild.context import ActiveContext
from .ngsild.durations import Duration, add_months, month_index, parse_duration
from .ngsild.errors import BadRequestData
from .ngsild.timestamps import format_instant, parse_instant

DEFAULT_MAX_INSTANCES = 10_000
TIMERELS = ("before", "after", "between")
# 4.11: observedAt is the default time property; createdAt and modifiedAt of an instance
# are when the hub received it (an instance is never modified once in the history).
TIME_COLUMNS = {"observedAt": "observed_at", "createdAt": "recorded_at", "modifiedAt": "recorded_at"}
AGGR_METHODS = ("totalCount", "distinctCount", "sum", "avg", "min", "max", "stddev", "sumsq")
INSTANCE_PREFIX = "urn:ngsi-ld:attribute:instance:"
# Members of an instance that are NGSI-LD keywords (never compacted); every other key is
# an expanded sub-attribute name.
CORE_MEMBERS = frozenset(
    {
        "type",
        "value",
        "object",
        "objectList",
        "objectType",
        "languageMap",
        "vocab",
        "valueList",
        "json",
        "observedAt",
        "unitCode",
        "datasetId",
        "createdAt",
        "modifiedAt",
        "deletedAt",
        "instanceId",
        "lang",
    }
)
# 4.5.8: the member of the simplified temporal representation for each attribute type.
SIMPLIFIED_MEMBERS = {
    "Property": ("values", "value"),
    "GeoProperty": ("values", "value"),
    "Relationship": ("objects", "object"),
    "ListRelationship": ("objectLists", "objectList"),
    "LanguageProperty": ("languageMaps", "languageMap"),
    "VocabProperty": ("vocabs", "vocab"),
    "ListProperty": ("valueLists", "valueList"),
    "JsonProperty": ("jsons", "json"),
}


def max_instances() -> int:
    return int(getattr(settings, "DATAHUB_TEMPORAL_MAX_INSTANCES", DEFAULT_MAX_INSTANCES))


# ---------------------------------------------------------------- the request


@dataclass(frozen=True)
class TemporalQuery:
    """What to read of each entity's history (4.11 temporal query, 6.3.x parameters)."""

    timerel: str | None = None
    time_at: datetime | None = None
    end_time_at: datetime | None = None
    timeproperty: str = "observedAt"
    last_n: int | None = None
    attrs: frozenset[str] | None = None  # expanded IRIs; None = every attribute
    representation: str = "normalized"  # "normalized" | "temporalValues" | "aggregatedValues"
    aggr_methods: tuple[str, ...] = ()
    aggr_period: Duration | None = None  # None: the whole time range is one period

    @property
    def column(self) -> str:
        return TIME_COLUMNS[self.timeproperty]

    @property
    def lower(self) -> datetime | None:
        """Inclusive lower bound of the time range."""
        return self.time_at if self.timerel in ("after", "between") else None

    @property
    def upper(self) -> datetime | None:
        """Exclusive upper bound of the time range."""
        if self.timerel == "before":
            return self.time_at
        if self.timerel == "between":
            return self.end_time_at
        return None


def _param(params: Mapping[str, Any], *names: str) -> str | None:
    for name in names:
        value = params.get(name)
        if value not in (None, ""):
            return str(value)
    return None


def parse_temporal_query(
    params: Mapping[str, Any], ctx: ActiveContext, *, attrs: set[str] | None = None
) -> TemporalQuery:
    """The temporal parameters of a request (6.18.3.2, 6.19.3.1): BadRequestData names the
    parameter and the problem. `attrs`: already expanded (else read from `params`)."""
    timerel = _param(params, "timerel")
    # 1.8 names them timeAt / endTimeAt; earlier versions (and some clients) time / endTime.
    time_text = _param(params, "timeAt", "time")
    end_text = _param(params, "endTimeAt", "endTime")
    time_at = end_time_at = None
    if timerel is not None and timerel not in TIMERELS:
        raise BadRequestData(f"timerel must be one of before, after, between, not {timerel!r}.")
    if timerel is not None and time_text is None:
        raise BadRequestData(f"timerel={timerel} needs timeAt (the reference DateTime).")
    if timerel is None and (time_text is not None or end_text is not None):
        raise BadRequestData("timeAt and endTimeAt need timerel (before, after or between).")
    if time_text is not None:
        time_at = parse_instant(time_text, field="timeAt")
    if timerel == "between":
        if end_text is None:
            raise BadRequestData("timerel=between needs endTimeAt (the end of the interval).")
        end_time_at = parse_instant(end_text, field="endTimeAt")
        if time_at is not None and end_time_at <= time_at:
            raise BadRequestData(f"endTimeAt ({end_text}) must be later than timeAt ({time_text}).")
    elif end_text is not None:
        raise BadRequestData(f"endTimeAt is only meaningful with timerel=between, not timerel={timerel}.")

    timeproperty = _param(params, "timeproperty") or "observedAt"
    if timeproperty not in TIME_COLUMNS:
        raise BadRequestData(
            f"timeproperty must be observedAt, createdAt or modifiedAt, not {timeproperty!r}."
        )

    last_n_text = _param(params, "lastN")
    last_n = None
    if last_n_text is not None:
        try:
            last_n = int(last_n_text)
        except ValueError:
            raise BadRequestData(f"lastN must be a positive integer, not {last_n_text!r}.") from None
        if last_n < 1:
            raise BadRequestData(f"lastN must be a positive integer, not {last_n_text!r}.")

    if attrs is None:
        names = [name.strip() for name in (_param(params, "attrs") or "").split(",") if name.strip()]
        attrs = {ctx.expand_term(name) for name in names}

    representation = "normalized"
    options = [option.strip() for option in (_param(params, "options") or "").split(",") if option.strip()]
    for option in [*options, *([_param(params, "format")] if _param(params, "format") else [])]:
        if option in ("temporalValues", "simplified", "keyValues"):
            # 4.5.8: the simplified temporal representation.
            representation = "temporalValues"
        elif option == "aggregatedValues":
            representation = "aggregatedValues"
        elif option not in ("normalized", "sysAttrs"):
            raise BadRequestData(
                f"Unknown option {option!r}; expected temporalValues, aggregatedValues, normalized or sysAttrs."
            )

    methods: tuple[str, ...] = ()
    period = None
    if representation == "aggregatedValues":
        methods_text = _param(params, "aggrMethods")
        if methods_text is None:
            raise BadRequestData(
                "options=aggregatedValues needs aggrMethods (some of " + ", ".join(AGGR_METHODS) + ")."
            )
        methods = tuple(dict.fromkeys(m.strip() for m in methods_text.split(",") if m.strip()))
        unknown = [m for m in methods if m not in AGGR_METHODS]
        if unknown or not methods:
            raise BadRequestData(
                f"Unknown aggregation method(s) {', '.join(unknown) or methods_text!r}; "
                f"expected some of {', '.join(AGGR_METHODS)}."
            )
        period_text = _param(params, "aggrPeriodDuration")
        if period_text is not None:
            # 6.3.x: P0D, the default, means one period over the whole time range.
            period = parse_duration(period_text, field="aggrPeriodDuration", allow_zero=True)
            if period.is_zero:
                period = None
    elif _param(params, "aggrMethods") or _param(params, "aggrPeriodDuration"):
        raise BadRequestData("aggrMethods and aggrPeriodDuration need options=aggregatedValues.")

    return TemporalQuery(
        timerel=timerel,
        time_at=time_at,
        end_time_at=end_time_at,
        timeproperty=timeproperty,
        last_n=last_n,
        attrs=frozenset(attrs) if attrs else None,
        representation=representation,
        aggr_methods=methods,
        aggr_period=period,
    )


# ---------------------------------------------------------------- reading series

# A series of instances: (entity row pk, attribute id, datasetId).
SeriesRef = tuple[int, int, str]
# How many entities one SQLite statement names: SQLite binds each value of an IN list as a
# parameter, and a page of entities may hold 1,000 of them.
SQLITE_CHUNK = 500


@dataclass
class Series:
    """The instances of one attribute of one entity for one datasetId ("" = default)."""

    attribute: str  # expanded IRI
    attribute_type: str  # Property, Relationship… (of the current instance)
    dataset_id: str
    instances: list[dict[str, Any]] = field(default_factory=list)  # internal form + instanceId
    times: list[datetime] = field(default_factory=list)  # the time property of each instance
    truncated: bool = False
    # aggregatedValues: {method: [[result, startAt, endAt], …]}
    aggregates: dict[str, list[list[Any]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Target:
    """An entity whose history is read: its row's key, its id and expanded types, and its
    current attributes (internal form), which tell which series it has."""

    pk: int
    entity_id: str
    types: list[str]
    attributes: dict[str, list[dict[str, Any]]]

    @classmethod
    def of(cls, row: Entity) -> Target:
        return cls(
            pk=row.pk,
            entity_id=row.entity_id,
            types=list(row.types) or [row.type],
            attributes=row.attributes or {},
        )


@dataclass
class TemporalEntity:
    entity_id: str
    types: list[str]
    series: list[Series]


@dataclass
class TemporalResult:
    entities: list[TemporalEntity]
    # 6.3.10: when a series was cut at the instance cap, the time range actually returned.
    range_start: datetime | None = None
    range_end: datetime | None = None
    truncated: bool = False


def series_keys(
    attributes: dict[str, list[dict[str, Any]]], query: TemporalQuery
) -> list[tuple[str, str, str]]:
    """(attribute IRI, type, datasetId) of the entity's attributes the query asks for.

    Taken from the entity's current state: filtering `dataset_id` with the values known to
    exist lets each series use the unique index's full prefix.
    """
    keys = []
    for iri, instances in attributes.items():
        if query.attrs is not None and iri not in query.attrs:
            continue
        for instance in instances:
            keys.append((iri, str(instance.get("type", "Property")), str(instance.get("datasetId") or "")))
    return keys


def read_entities(targets: list[Target], query: TemporalQuery) -> TemporalResult:
    """The temporal evolution of `targets` (entities already scoped to the caller's tenant).

    The history of every series of every target is read at once, not entity by entity: a
    page of 1,000 entities costs one statement (two on SQLite), not 1,000.
    """
    keys_by_target = [(target, series_keys(target.attributes, query)) for target in targets]
    ids = attribute_ids({key[0] for _target, keys in keys_by_target for key in keys})
    # Each series once, even should a target be listed twice.
    refs = list(
        dict.fromkeys((target.pk, ids[key[0]], key[2]) for target, keys in keys_by_target for key in keys)
    )
    if query.representation == "aggregatedValues":
        found = _aggregate(refs, query)
    else:
        found = _read_instances(refs, query)
    entities = []
    for target, keys in keys_by_target:
        series = []
        for iri, attribute_type, dataset_id in keys:
            one = Series(attribute=iri, attribute_type=attribute_type, dataset_id=dataset_id)
            _fill(one, found.get((target.pk, ids[iri], dataset_id)), query)
            series.append(one)
        entities.append(TemporalEntity(entity_id=target.entity_id, types=target.types, series=series))
    return _cut_at_cap(entities, query)


def _fill(series: Series, found: Series | None, query: TemporalQuery) -> None:
    if query.representation == "aggregatedValues":
        series.aggregates = {method: [] for method in query.aggr_methods}
        if found is not None:
            series.aggregates.update(found.aggregates)
    elif found is not None:
        series.instances, series.times, series.truncated = found.instances, found.times, found.truncated


def _member(column: str, values: list[Any], params: list[Any]) -> str:
    """`column` among `values`: equality for one value (the plainest plan), an array on
    PostgreSQL (one parameter however many values), an IN list on SQLite."""
    if len(values) == 1:
        params.append(values[0])
        return f"{column} = %s"
    if connection.vendor == "postgresql":
        params.append(values)
        return f"{column} = ANY(%s)"
    params.extend(values)
    return f"{column} IN ({', '.join(['%s'] * len(values))})"


def _range_sql(query: TemporalQuery, params: list[Any], prefix: str = "") -> list[str]:
    """The time range (4.11) as literal bounds: with them PostgreSQL prunes, when planning,
    every month partition outside the range."""
    conditions = []
    if query.lower is not None:
        conditions.append(f"{prefix}{query.column} >= %s")
        params.append(connection.ops.adapt_datetimefield_value(query.lower))
    if query.upper is not None:
        conditions.append(f"{prefix}{query.column} < %s")
        params.append(connection.ops.adapt_datetimefield_value(query.upper))
    return conditions


def _chunks(refs: list[SeriesRef]) -> list[list[SeriesRef]]:
    """The series read per statement: all of them on PostgreSQL (arrays are one parameter
    each), a bounded number of entities at a time on SQLite."""
    if connection.vendor == "postgresql" or not refs:
        return [refs] if refs else []
    chunks: list[list[SeriesRef]] = []
    by_entity: dict[int, list[SeriesRef]] = {}
    for ref in refs:
        by_entity.setdefault(ref[0], []).append(ref)
    entities = list(by_entity.values())
    for start in range(0, len(entities), SQLITE_CHUNK):
        chunks.append([ref for group in entities[start : start + SQLITE_CHUNK] for ref in group])
    return chunks


def _where(refs: list[SeriesRef], query: TemporalQuery, params: list[Any]) -> str:
    """Rows of the series `refs` in the time range. Entities, attributes and datasetIds are
    each a set: their product may name a series not asked for (the caller ignores it), but
    every condition is on a column of the unique index (entity, attribute, dataset_id,
    observed_at), so each series is still an index range scan."""
    conditions = [
        _member("entity_id", sorted({ref[0] for ref in refs}), params),
        _member("attribute_id", sorted({ref[1] for ref in refs}), params),
        _member("dataset_id", sorted({ref[2] for ref in refs}), params),
        *_range_sql(query, params),
    ]
    return " AND ".join(conditions)


def _instance(
    *,
    pk: int,
    observed_at: datetime,
    has_observed_at: bool,
    number: float | None,
    unit_code: str,
    value: Any,
    dataset_id: str,
) -> dict[str, Any]:
    """A history row back in the internal form, with its instanceId (4.5.7)."""
    if isinstance(value, str):
        value = json.loads(value)  # jsonb and SQLite's JSON both come back as text
    if isinstance(value, dict):
        instance = dict(value)
    else:
        instance = {
            "type": "Property",
            "value": int(number)
            if number is not None and number.is_integer() and abs(number) < 2**53
            else number,
        }
        if has_observed_at:
            instance["observedAt"] = format_instant(observed_at)
        if unit_code:
            instance["unitCode"] = unit_code
        if dataset_id:
            instance["datasetId"] = dataset_id
    instance["instanceId"] = f"{INSTANCE_PREFIX}{pk}"
    return instance


INSTANCE_COLUMNS = "id, {column} AS moment, observed_at, has_observed_at, number, unit_code, value"


def _instances_sql(refs: list[SeriesRef], query: TemporalQuery, limit: int, params: list[Any]) -> str:
    """At most `limit` instances of each series, the earliest ones (the latest with lastN).

    PostgreSQL: a LATERAL subquery per series, each an index range scan that stops at
    `limit` rows. SQLite has no LATERAL: one scan of the ranges, numbered per series by
    row_number() (SQLite ≥ 3.25), and the numbers beyond `limit` dropped.
    Ties on the time property (every instance of one request shares its createdAt) are
    broken by observedAt, so that the order never depends on the plan.
    """
    direction = " DESC" if query.last_n is not None else ""
    order = f"{query.column}{direction}"
    if query.column != "observed_at":
        order += f", observed_at{direction}"
    columns = INSTANCE_COLUMNS.format(column=query.column)
    table = AttributeInstance._meta.db_table
    if connection.vendor == "postgresql":
        params.extend([[ref[0] for ref in refs], [ref[1] for ref in refs], [ref[2] for ref in refs]])
        conditions = " AND ".join(
            [
                "h.entity_id = k.entity_id",
                "h.attribute_id = k.attribute_id",
                "h.dataset_id = k.dataset_id",
                *_range_sql(query, params, prefix="h."),
            ]
        )
        params.append(limit)
        return (
            "SELECT k.entity_id, k.attribute_id, k.dataset_id, s.*"  # noqa: S608 (column names are this module's own)
            " FROM unnest(CAST(%s AS bigint[]), CAST(%s AS bigint[]), CAST(%s AS text[]))"
            " AS k(entity_id, attribute_id, dataset_id)"
            f" CROSS JOIN LATERAL (SELECT {columns} FROM {table} h WHERE {conditions}"
            f" ORDER BY {order} LIMIT %s) AS s"
        )
    where = _where(refs, query, params)
    params.append(limit)
    return (
        "SELECT entity_id, attribute_id, dataset_id, pk, moment, observed_at, has_observed_at, number,"  # noqa: S608 (column names are this module's own)
        " unit_code, value FROM"
        f" (SELECT entity_id, attribute_id, dataset_id, id AS pk, {query.column} AS moment, observed_at,"
        " has_observed_at, number, unit_code, value, row_number() OVER"
        f" (PARTITION BY entity_id, attribute_id, dataset_id ORDER BY {order}) AS position"
        f" FROM {table} WHERE {where}) AS numbered WHERE position <= %s"
    )


def _read_instances(refs: list[SeriesRef], query: TemporalQuery) -> dict[SeriesRef, Series]:
    """The instances of every series of `refs`: ascending in time; the lastN most recent
    ones when lastN is given; at most the broker's cap per series (6.3.10)."""
    cap = max_instances()
    wanted = min(query.last_n, cap) if query.last_n is not None else cap
    rows: dict[SeriesRef, list[tuple[Any, ...]]] = {ref: [] for ref in refs}
    for chunk in _chunks(refs):
        params: list[Any] = []
        # One more than wanted tells whether the cap cut the series.
        sql = _instances_sql(chunk, query, wanted + 1, params)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for row in cursor.fetchall():
                found = rows.get((row[0], row[1], row[2]))
                if found is not None:
                    found.append(row[3:])
    series_by_ref = {}
    for ref, found in rows.items():
        series = Series(attribute="", attribute_type="", dataset_id=ref[2])
        # Sorted here rather than in SQL: PostgreSQL then needs no sort of the whole answer,
        # and each series arrives nearly in order already.
        found.sort(key=lambda row: (_as_datetime(row[1]), _as_datetime(row[2])))
        series.truncated = len(found) > wanted and (query.last_n is None or query.last_n > wanted)
        found = found[-wanted:] if query.last_n is not None else found[:wanted]
        for pk, moment, observed_at, has_observed_at, number, unit_code, value in found:
            series.times.append(_as_datetime(moment))
            series.instances.append(
                _instance(
                    pk=pk,
                    observed_at=_as_datetime(observed_at),
                    has_observed_at=bool(has_observed_at),
                    number=number,
                    unit_code=unit_code,
                    value=value,
                    dataset_id=ref[2],
                )
            )
        series_by_ref[ref] = series
    return series_by_ref


def _cut_at_cap(entities: list[TemporalEntity], query: TemporalQuery) -> TemporalResult:
    """6.3.10: when a series reached the cap, every series stops at the same instant so
    that the client can ask for the rest from there (206 Partial Content)."""
    truncated = [s for e in entities for s in e.series if s.truncated and s.times]
    if not truncated:
        return TemporalResult(entities=entities)
    if query.last_n is not None:
        # lastN reads backwards from the most recent: the range starts where the cut is.
        cut = max(s.times[0] for s in truncated)
        for entity in entities:
            for series in entity.series:
                keep = [i for i, moment in enumerate(series.times) if moment >= cut]
                series.times = [series.times[i] for i in keep]
                series.instances = [series.instances[i] for i in keep]
        return TemporalResult(entities=entities, range_start=cut, range_end=query.upper, truncated=True)
    cut = min(s.times[-1] for s in truncated)
    for entity in entities:
        for series in entity.series:
            keep = [i for i, moment in enumerate(series.times) if moment <= cut]
            series.times = [series.times[i] for i in keep]
            series.instances = [series.instances[i] for i in keep]
    start = query.lower or min((s.times[0] for e in entities for s in e.series if s.times), default=cut)
    return TemporalResult(entities=entities, range_start=start, range_end=cut, truncated=True)


# ---------------------------------------------------------------- aggregation (4.5.19)


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


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    # SQLite hands back the stored text (UTC, without offset).
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


# ---------------------------------------------------------------- answers


def compact_instance(instance: dict[str, Any], ctx: ActiveContext) -> dict[str, Any]:
    """An instance in the terms of the client's @context (sub-attributes and vocab values)."""
    compacted: dict[str, Any] = {}
    for key, value in instance.items():
        if key in CORE_MEMBERS:
            if key == "vocab":
                vocabs = value if isinstance(value, list) else [value]
                compact = [ctx.compact_vocab(v) if isinstance(v, str) else v for v in vocabs]
                compacted[key] = compact if isinstance(value, list) else compact[0]
            else:
                compacted[key] = value
        elif isinstance(value, dict):
            compacted[ctx.compact_iri(key)] = compact_instance(value, ctx)
        elif isinstance(value, list):
            compacted[ctx.compact_iri(key)] = [
                compact_instance(item, ctx) if isinstance(item, dict) else item for item in value
            ]
        else:
            compacted[ctx.compact_iri(key)] = value
    return compacted


def render_temporal_entity(
    entity: TemporalEntity, ctx: ActiveContext, query: TemporalQuery
) -> dict[str, Any]:
    """One entity in the temporal representation the query asks for (4.5.7, 4.5.8, 4.5.19)."""
    types = [ctx.compact_iri(t) for t in entity.types]
    answer: dict[str, Any] = {"id": entity.entity_id, "type": types[0] if len(types) == 1 else types}
    for series in entity.series:
        name = ctx.compact_iri(series.attribute)
        if query.representation == "normalized":
            if not series.instances:
                continue
            answer.setdefault(name, []).extend(compact_instance(i, ctx) for i in series.instances)
            continue
        item: dict[str, Any] = {"type": series.attribute_type}
        if query.representation == "temporalValues":
            if not series.instances:
                continue
            member, source = SIMPLIFIED_MEMBERS.get(series.attribute_type, ("values", "value"))
            pairs = []
            for instance, moment in zip(series.instances, series.times, strict=True):
                value = instance.get(source)
                if source == "vocab" and isinstance(value, str):
                    value = ctx.compact_vocab(value)
                pairs.append([value, format_instant(moment)])
            item[member] = pairs
        else:
            item.update(series.aggregates)
        if series.dataset_id:
            item["datasetId"] = series.dataset_id
        answer.setdefault(name, []).append(item)
    # One series per attribute is the common case: an object, not a list of one (4.5.8).
    if query.representation != "normalized":
        for key, value in list(answer.items()):
            if isinstance(value, list) and len(value) == 1 and key not in ("id", "type"):
                answer[key] = value[0]
    return answer


def content_range(result: TemporalResult, query: TemporalQuery) -> str | None:
    """6.3.10: `Content-Range: date-time <start>-<end>/<lastN or *>` of a partial answer."""
    if not result.truncated:
        return None
    start = format_instant(result.range_start) if result.range_start else "*"
    end = format_instant(result.range_end) if result.range_end else "*"
    size = str(query.last_n) if query.last_n is not None else "*"
    return f"date-time {start}-{end}/{size}"
