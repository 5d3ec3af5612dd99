"""Batch upsert of sensor readings without reading the rows out (NGSI-LD 5.6.8 with
options=update, i.e. the 5.6.3 append with overwrite, on entities that exist).

The general path (`batch._run_batch`) reads every row of the batch (SELECT … FOR UPDATE),
merges in Python and writes each entity's whole JSON back: on the bench's 1,000 sensors ×
4 attributes, the SELECT took ~20-25 ms, decoding the rows and merging ~20-35 ms of Python
(docs/benchmarks.md, "Third session"). But what an upsert of readings does to a row is
simple: each given attribute replaces the stored one, keeping the stored instance's
createdAt (4.8), which
one UPDATE does in place with `attributes = attributes || patch`, provided the patch
carries the right createdAt. Those rarely change (an attribute keeps its createdAt until it
is deleted), so each process remembers them for the entities it wrote (`Known`); those it
does not know yet (a worker just started, an entity another process wrote) are looked up in
one light SELECT of their types and createdAt (`_look_up`), not read out whole by the general
path. The UPDATE writes a row only if the stored row still has, for every attribute given,
one default instance (no datasetId, 4.5.5) with that createdAt, or no such attribute when
none was known: what was remembered or looked up is a guess the row confirms under its
lock. What the stored row does not confirm is left to the general path, in the same
transaction, as is every entity this path does not cover:

- the batch names each entity once (an id given twice is applied in order by the general
  path), gives no scope and no type the entity does not have (`union_types` would add it);
- every attribute given is one instance without datasetId, and none is a GeoProperty of
  the core context nor a registry link (`links.SITE_IRI`, `ASSET_IRI`), which change the
  row's other columns (this path writes `attributes` and `modified_at` only); the stored
  entity has no registry link either (the general path checks links on every write);
- nobody watches: the tenant has no active subscription, and no alert rule of the operator
  watches the entity's types. Both need the whole entity before and after, and get the
  changes of a batch in one call (one notification per subscription and batch).

Since the instance written is the one the general path would write (the given instance
with the stored createdAt and the write's modifiedAt), the history records the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction

from .. import history
from ..alerts.evaluate import watched_by
from ..models import Entity, Tenant
from ..ngsild import fastjson
from ..ngsild.normalize import GEO_ATTRIBUTE_IRIS
from ..subscriptions.services import active_subscriptions
from .links import ASSET_IRI, SITE_IRI, Attrs

# Attributes whose value changes the row's columns besides `attributes`.
_RESERVED_IRIS = GEO_ATTRIBUTE_IRIS | {SITE_IRI, ASSET_IRI}
_LINK_IRIS = [SITE_IRI, ASSET_IRI]
# Entities remembered per process (a few hundred bytes each); beyond, the oldest half is
# forgotten and read again through the general path.
KNOWN_MAX = 100_000


@dataclass(frozen=True, slots=True)
class Known:
    """What this process last wrote of an entity: its types, and the createdAt of each
    attribute that had one default instance (4.8)."""

    types: list[str]
    created: dict[str, str]


# {(tenant pk, entity id): Known}. Plain dict operations (safe for threaded workers too);
# a stale entry costs only a detour through the general path, as the UPDATE checks it.
_known: dict[tuple[int, str], Known] = {}

# Each row is written only if it is as the patch assumes (see the module's docstring);
# `created` maps each attribute given to the createdAt assumed, or null for "absent".
_UPDATE = """
UPDATE {table} AS e SET attributes = e.attributes || v.patch, modified_at = %s
FROM jsonb_to_recordset(%s::jsonb) AS v(id text, types jsonb, patch jsonb, created jsonb)
WHERE e.tenant_id = %s
  AND e.entity_id = v.id
  AND e.types @> v.types
  AND NOT e.types ?| %s::text[]
  AND e.site_id IS NULL
  AND e.asset_id IS NULL
  AND NOT e.attributes ?| %s::text[]
  AND NOT EXISTS (
      SELECT 1 FROM jsonb_each_text(v.created) AS c
      WHERE CASE
          WHEN c.value IS NULL THEN e.attributes ? c.key
          ELSE jsonb_array_length(e.attributes -> c.key) IS DISTINCT FROM 1
              OR (e.attributes -> c.key -> 0) ? 'datasetId'
              OR (e.attributes -> c.key -> 0 ->> 'createdAt') IS DISTINCT FROM c.value
      END
  )
RETURNING e.entity_id, e.id
"""


def known(types: list[str], attrs: Attrs) -> Known | None:
    """What to remember of an entity written with these types and attributes; None for
    one with registry links, which this path never writes."""
    if SITE_IRI in attrs or ASSET_IRI in attrs:
        return None
    created: dict[str, str] = {}
    for iri, instances in attrs.items():
        if len(instances) == 1 and "datasetId" not in instances[0]:
            stamp = instances[0].get("createdAt")
            if type(stamp) is str:
                created[iri] = stamp
    return Known(types, created)


def remember(tenant: Tenant, written: Iterable[tuple[str, Known | None]]) -> None:
    """Remember these entities (id, `known(…)`) once the transaction commits: what a
    rolled-back write did is never assumed."""
    entries = {(tenant.pk, entity_id): found for entity_id, found in written if found is not None}
    if entries:
        transaction.on_commit(lambda: _keep(entries))


def _keep(entries: dict[tuple[int, str], Known]) -> None:
    if len(_known) + len(entries) > KNOWN_MAX:
        # Forget the oldest half (dicts keep insertion order): cheap, and rare.
        for key in list(_known)[: len(_known) // 2 + len(entries)]:
            _known.pop(key, None)  # (another thread may have dropped it meanwhile)
    _known.update(entries)


def forget() -> None:
    """Drop every remembered entity (tests that flush the database)."""
    _known.clear()


def _shaped(new: dict[str, Any]) -> bool:
    """Whether this path can write what the batch gives of an entity (the module's list)."""
    if "scope" in new or not new["attrs"]:
        return False
    for iri, instances in new["attrs"].items():
        if len(instances) != 1 or iri in _RESERVED_IRIS or "datasetId" in instances[0]:
            return False
    return True


# The types and the createdAt of each attribute held as one default instance (what `known`
# makes of an entity), of the rows the shortcut could write: without registry links.
_LOOK_UP = """
SELECT e.entity_id, e.types, (
    SELECT jsonb_object_agg(a.key, a.value -> 0 ->> 'createdAt')
    FROM jsonb_each(e.attributes) AS a
    WHERE jsonb_typeof(a.value) = 'array'
      AND jsonb_array_length(a.value) = 1
      AND NOT (a.value -> 0) ? 'datasetId'
      AND jsonb_typeof(a.value -> 0 -> 'createdAt') = 'string'
)
FROM {table} AS e
WHERE e.tenant_id = %s
  AND e.entity_id = ANY(%s)
  AND e.site_id IS NULL
  AND e.asset_id IS NULL
  AND NOT e.attributes ?| %s::text[]
"""


def _look_up(tenant_pk: int, ids: list[str]) -> dict[str, Known]:
    """What `known` would say of the stored rows of these entities (absent ones, and those
    with registry links, are left out): one indexed SELECT, no row lock, since the UPDATE
    checks every guess under its own. Measured on the bench's 1,000 sensors: a first batch
    of a worker 300 ms by the general path, about 100 ms this way."""
    table = connection.ops.quote_name(Entity._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(_LOOK_UP.format(table=table), [tenant_pk, ids, _LINK_IRIS])
        found = cursor.fetchall()
    loads = fastjson.loads  # (Django reads jsonb as text)
    return {
        entity_id: Known(loads(types), loads(created) if created else {})
        for entity_id, types, created in found
    }


def write(*, tenant: Tenant, entities: list[dict[str, Any]], now: datetime, stamp: str) -> set[str]:
    """Write what this path covers and record its history; returns the ids written. Call
    inside the batch's transaction, on PostgreSQL; `stamp` is `now` as the hub writes it."""
    if len({entity["id"] for entity in entities}) != len(entities):
        return set()
    shaped = [new for new in entities if _shaped(new)]
    if not shaped or active_subscriptions(tenant, now=now).exists():
        return set()
    tenant_pk = tenant.pk
    unknown = [new["id"] for new in shaped if (tenant_pk, new["id"]) not in _known]
    looked_up = _look_up(tenant_pk, unknown) if unknown else {}
    covered: list[tuple[dict[str, Any], Known]] = []
    for new in shaped:
        found = _known.get((tenant_pk, new["id"])) or looked_up.get(new["id"])
        # A type the entity does not have would be added (`union_types`): general path.
        if found is not None and all(t in found.types for t in new["type"]):
            covered.append((new, found))
    if not covered:
        return set()
    payload = []
    written: dict[str, tuple[Attrs, Known]] = {}
    # Stored createdAt put into the given instances, to put back where a row refuses (below).
    held_put: list[tuple[str, dict[str, Any]]] = []
    for new, found in covered:
        attrs = new["attrs"]
        known_created = found.created
        created: dict[str, str | None] = {}
        for iri, (instance,) in attrs.items():
            # merge._replaced / _created: the given instance, the stored createdAt (or
            # this write's, for a new attribute), this write's modifiedAt. Normalizing
            # stamped the instance with this write's instant already (`normalize`), so it
            # is the patch itself, with the stored createdAt put in: no copy of each.
            held = created[iri] = known_created.get(iri)
            if held is not None:
                instance["createdAt"] = held
                held_put.append((new["id"], instance))
            else:
                instance["createdAt"] = stamp
            instance["modifiedAt"] = stamp
        payload.append({"id": new["id"], "types": new["type"], "patch": attrs, "created": created})
        written[new["id"]] = (attrs, found)
    table = connection.ops.quote_name(Entity._meta.db_table)
    watched = sorted(watched_by(tenant.operator_id))
    with connection.cursor() as cursor:
        cursor.execute(
            _UPDATE.format(table=table), [now, fastjson.dumps(payload), tenant_pk, watched, _LINK_IRIS]
        )
        pks: dict[str, int] = dict(cursor.fetchall())
    if len(pks) < len(written):
        # The entities whose row refused go through the general path, with their instances
        # as they were given.
        for entity_id, instance in held_put:
            if entity_id not in pks:
                instance["createdAt"] = stamp
    if not pks:
        return set()
    history.record_many(
        [(tenant_pk, pk, written[eid][0]) for eid, pk in pks.items()], recorded_at=now, unique=True
    )
    # Entities looked up are remembered as written; the others only if they gained an
    # attribute (`_after`).
    remember(
        tenant,
        ((eid, _after(*written[eid]) or (written[eid][1] if eid in looked_up else None)) for eid in pks),
    )
    return set(pks)


def _after(patch: Attrs, found: Known) -> Known | None:
    """What is known of an entity once `patch` is written (new attributes have a
    createdAt), or None when that is what was known already: most writes of readings."""
    known_created = found.created
    if known_created.keys() >= patch.keys():
        return None
    created = dict(known_created)
    for iri, (instance,) in patch.items():
        created[iri] = instance["createdAt"]
    return Known(found.types, created)
