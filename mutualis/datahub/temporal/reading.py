"""Reading series: every series of every entity of a page in one statement (4.5.7, 6.3.10
for the instance cap), or their aggregates (`aggregation`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from hashlib import blake2b
from typing import Any

from django.db import connection

from ..history import attribute_ids
from ..models import AttributeInstance
from ..ngsild.timestamps import format_instant
from .aggregation import _aggregate
from .request import TemporalQuery, max_instances
from .series import (
    Series,
    SeriesRef,
    Target,
    TemporalEntity,
    TemporalResult,
    _as_datetime,
    _chunks,
    _range_sql,
    _where,
    series_keys,
)

INSTANCE_PREFIX = "urn:ngsi-ld:attribute:instance:"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def instance_id(entity_pk: int, attribute_id: int, dataset_id: str, observed_at: datetime) -> str:
    """The instanceId of a history row (4.5.7): a URI made of the row's key (entity,
    attribute, datasetId, instant), so the same instance keeps the same id in every
    answer. A datasetId, itself a URI of any length, is represented by a digest of it."""
    moment = (observed_at - _EPOCH) // _MICROSECOND
    suffix = f"-{blake2b(dataset_id.encode(), digest_size=8).hexdigest()}" if dataset_id else ""
    return f"{INSTANCE_PREFIX}{entity_pk}-{attribute_id}-{moment}{suffix}"


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


def _instance(
    *,
    ref: SeriesRef,
    observed_at: datetime,
    has_observed_at: bool,
    number: float | None,
    unit_code: str,
    value: Any,
) -> dict[str, Any]:
    """A history row of the series `ref` back in the internal form, with its instanceId (4.5.7)."""
    entity_pk, attribute_id, dataset_id = ref
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
    instance["instanceId"] = instance_id(entity_pk, attribute_id, dataset_id, observed_at)
    return instance


INSTANCE_COLUMNS = "{column} AS moment, observed_at, has_observed_at, number, unit_code, value"


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
        "SELECT entity_id, attribute_id, dataset_id, moment, observed_at, has_observed_at, number,"  # noqa: S608 (column names are this module's own)
        " unit_code, value FROM"
        f" (SELECT entity_id, attribute_id, dataset_id, {query.column} AS moment, observed_at,"
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
        found.sort(key=lambda row: (_as_datetime(row[0]), _as_datetime(row[1])))
        series.truncated = len(found) > wanted and (query.last_n is None or query.last_n > wanted)
        found = found[-wanted:] if query.last_n is not None else found[:wanted]
        for moment, observed_at, has_observed_at, number, unit_code, value in found:
            series.times.append(_as_datetime(moment))
            series.instances.append(
                _instance(
                    ref=ref,
                    observed_at=_as_datetime(observed_at),
                    has_observed_at=bool(has_observed_at),
                    number=number,
                    unit_code=unit_code,
                    value=value,
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
