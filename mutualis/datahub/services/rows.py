"""Entity rows read and written in set form: one SELECT … FOR UPDATE of every row a batch
names, one INSERT of the new ones, one UPDATE of the changed ones.

A batch of a thousand entities used to go through a thousand Django model instances each
way; measured (docs/benchmarks-history.md), building and filling them was a tenth of a batch's time.
Here rows travel as plain values: on PostgreSQL with raw SQL (ids as one array parameter,
changed rows as one JSON document unpacked by jsonb_to_recordset), elsewhere through the
ORM's values_list and bulk_update, with the same results.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection

from ..models import Entity, Tenant
from ..ngsild import fastjson
from ..selectors import entity_from_row
from .links import BBox, Links, location_bbox

# The columns a write may change (created_at never changes after creation).
ROW_FIELDS = [
    "type",
    "types",
    "scopes",
    "attributes",
    "geo_min_x",
    "geo_min_y",
    "geo_max_x",
    "geo_max_y",
    "site",
    "asset",
    "modified_at",
]
# Column types of the rows a batch rewrites, for jsonb_to_recordset.
_ROW_TYPES = {
    "type": "varchar",
    "types": "jsonb",
    "scopes": "jsonb",
    "attributes": "jsonb",
    "geo_min_x": "float8",
    "geo_min_y": "float8",
    "geo_max_x": "float8",
    "geo_max_y": "float8",
    "site_id": "bigint",
    "asset_id": "bigint",
}
# PostgreSQL formats the two instants as `format_instant` does (UTC, milliseconds cut, not
# rounded, "Z"): no datetime to build and format again per row.
_INSTANT_SQL = "to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
_SELECTED = ", ".join(
    [
        "id, entity_id, type, types, scopes, attributes",
        _INSTANT_SQL.format(column="created_at"),
        _INSTANT_SQL.format(column="modified_at"),
        "geo_min_x, geo_min_y, geo_max_x, geo_max_y, site_id, asset_id",
    ]
)
# The columns of a row besides its attributes, as `update` would write them: (type, types,
# scopes, bounding box, links). Most writes (observations) leave them as they are.
Columns = tuple[str, list[str], list[str], BBox, Links]


@dataclass(slots=True)
class Stored:
    """A row a batch found: its key and the entity it holds, in the internal form."""

    pk: int
    entity: dict[str, Any]
    # The row's other columns as stored (PostgreSQL only; None: not known).
    columns: Columns | None = None


def lock(tenant: Tenant, entity_ids: list[str]) -> dict[str, Stored]:
    """The tenant's rows among `entity_ids`, locked for the transaction (FOR UPDATE)."""
    if not entity_ids:
        return {}
    if connection.vendor != "postgresql":
        rows = Entity.objects.select_for_update().filter(tenant=tenant, entity_id__in=entity_ids)
        return {row.entity_id: Stored(row.pk, entity_from_row(row)) for row in rows}
    table = connection.ops.quote_name(Entity._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_SELECTED} FROM {table} WHERE tenant_id = %s AND entity_id = ANY(%s) FOR UPDATE",  # noqa: S608 (the model's own names)
            [tenant.pk, entity_ids],
        )
        found = cursor.fetchall()
    loads = fastjson.loads
    stored: dict[str, Stored] = {}
    # jsonb comes back as text (Django's psycopg setup); the entity is built as
    # selectors.entity_from_row builds it from a model instance.
    for row in found:
        pk, entity_id, first_type, types, scopes, attributes, created_at, modified_at = row[:8]
        type_list = loads(types) if types else []
        entity: dict[str, Any] = {"id": entity_id, "type": type_list or [first_type]}
        scope_list = loads(scopes) if scopes else []
        if scope_list:
            entity["scope"] = scope_list
        entity["createdAt"] = created_at
        entity["modifiedAt"] = modified_at
        entity["attrs"] = loads(attributes) if attributes else {}
        columns: Columns = (first_type, type_list, scope_list, row[8:12], row[12:14])
        stored[entity_id] = Stored(pk, entity, columns)
    return stored


@dataclass(slots=True)
class Written:
    """The values of one row to write: the entity after the write, its links, its box."""

    entity: dict[str, Any]
    links: Links
    bbox: BBox


def written(entity: dict[str, Any], links: Links) -> Written:
    return Written(entity, links, location_bbox(entity["attrs"]))


def fill(row: Entity, values: Written, now: datetime) -> Entity:
    entity = values.entity
    types = list(entity["type"])
    row.type = types[0]
    row.types = types
    row.scopes = list(entity.get("scope") or [])
    row.attributes = entity["attrs"]
    row.geo_min_x, row.geo_min_y, row.geo_max_x, row.geo_max_y = values.bbox
    row.site_id, row.asset_id = values.links
    row.modified_at = now
    return row


def insert(tenant: Tenant, new: dict[str, Written], now: datetime) -> dict[str, int]:
    """Create the rows of `new` ({entity id: values}); their primary keys by entity id."""
    if not new:
        return {}
    rows = [
        fill(Entity(tenant=tenant, entity_id=entity_id, created_at=now), values, now)
        for entity_id, values in new.items()
    ]
    Entity.objects.bulk_create(rows)
    return {row.entity_id: row.pk for row in rows}


def _columns(values: Written) -> Columns:
    types = values.entity["type"]
    return (types[0], types, values.entity.get("scope") or [], values.bbox, values.links)


def update(
    tenant: Tenant,
    changed: dict[int, Written],
    now: datetime,
    stored: dict[int, Columns | None] | None = None,
) -> None:
    """Rewrite the rows of `changed` ({row pk: values}) in one statement (two at most).

    Django's bulk_update builds one CASE WHEN per column and row: for a thousand entities
    that is eleven thousand expressions to compile, seconds of CPU. On PostgreSQL the rows
    travel as one JSON parameter, unpacked by jsonb_to_recordset and joined in one UPDATE;
    modified_at, the same for every row, is one parameter.

    `stored` ({row pk: its columns as `lock` read them}): the rows whose type, scopes, box
    and links stay as stored get only their attributes written. Observations change
    nothing else, and unpacking nine more columns per row from the JSON was a third of the
    UPDATE (measured on the bench's 1,000 sensors, rolled back: 29 → 20 ms).
    """
    if not changed:
        return
    if connection.vendor != "postgresql":
        rows = [fill(Entity(pk=pk, tenant=tenant), values, now) for pk, values in changed.items()]
        Entity.objects.bulk_update(rows, ROW_FIELDS, batch_size=500)
        return
    known = stored or {}
    attributes_only: list[dict[str, Any]] = []
    whole: list[dict[str, Any]] = []
    for pk, values in changed.items():
        entity = values.entity
        columns = _columns(values)
        if known.get(pk) == columns:
            attributes_only.append({"id": pk, "attributes": entity["attrs"]})
            continue
        first_type, types, scopes, (min_x, min_y, max_x, max_y), (site_id, asset_id) = columns
        whole.append(
            {
                "id": pk,
                "type": first_type,
                "types": types,
                "scopes": scopes,
                "attributes": entity["attrs"],
                "geo_min_x": min_x,
                "geo_min_y": min_y,
                "geo_max_x": max_x,
                "geo_max_y": max_y,
                "site_id": site_id,
                "asset_id": asset_id,
            }
        )
    quote = connection.ops.quote_name
    table = quote(Entity._meta.db_table)
    with connection.cursor() as cursor:
        for payload, kinds in ((attributes_only, {"attributes": "jsonb"}), (whole, _ROW_TYPES)):
            if not payload:
                continue
            assignments = ", ".join(f"{quote(column)} = v.{quote(column)}" for column in kinds)
            record = ", ".join(["id bigint", *(f"{quote(column)} {kind}" for column, kind in kinds.items())])
            cursor.execute(
                f"UPDATE {table} AS e SET {assignments}, modified_at = %s"  # noqa: S608 (names are the model's own)
                f" FROM jsonb_to_recordset(%s::jsonb) AS v({record}) WHERE e.id = v.id",
                [now, fastjson.dumps(payload)],
            )
