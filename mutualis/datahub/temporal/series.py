"""The series a temporal query reads (one per entity, attribute and datasetId), the
entities they belong to, and the SQL conditions that select their rows on the columns of
the history's primary key (its series index)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import connection

from ..models import Entity
from .request import TemporalQuery

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
    exist lets each series use the primary key's full prefix.
    """
    keys = []
    for iri, instances in attributes.items():
        if query.attrs is not None and iri not in query.attrs:
            continue
        for instance in instances:
            keys.append((iri, str(instance.get("type", "Property")), str(instance.get("datasetId") or "")))
    return keys


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
    every condition is on a column of the primary key (entity, attribute, dataset_id,
    observed_at), so each series is still an index range scan."""
    conditions = [
        _member("entity_id", sorted({ref[0] for ref in refs}), params),
        _member("attribute_id", sorted({ref[1] for ref in refs}), params),
        _member("dataset_id", sorted({ref[2] for ref in refs}), params),
        *_range_sql(query, params),
    ]
    return " AND ".join(conditions)


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    # SQLite hands back the stored text (UTC, without offset).
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)
