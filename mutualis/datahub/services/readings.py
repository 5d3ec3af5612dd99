"""Batch upsert of sensor readings without reading the rows out (NGSI-LD 5.6.8 with
options=update, i.e. the 5.6.3 append with overwrite, on entities that exist).

The general path (`batch._run_batch`) reads every row of the batch (SELECT … FOR UPDATE),
merges in Python and writes each entity's whole JSON back: on the bench's 1,000 sensors ×
4 attributes, the SELECT took ~20-25 ms, decoding the rows and merging ~20-35 ms of Python
(docs/benchmarks-history.md, "Third session"). But what an upsert of readings does to a row is
simple: each given attribute replaces the stored one, keeping the stored instance's
createdAt (4.8), which
one UPDATE does in place with `attributes = attributes || patch`, provided the patch
carries the right createdAt. Those rarely change (an attribute keeps its createdAt until it
is deleted), so each process remembers them for the entities it wrote (`Known`), and the
UPDATE writes a row only if the stored row still has, for every attribute given, one
default instance (no datasetId, 4.5.5) with that createdAt, or no such attribute when none
was known. What the stored row does not confirm is left to the general path, in the same
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
from ..alerts.evaluate import watched_types
from ..models import Entity, Tenant
from ..ngsild import fastjson
from ..ngsild.normalize import GEO_ATTRIBUTE_IRIS
from ..subscriptions.services import has_active_subscriptions
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


def _covered(new: dict[str, Any], found: Known | None) -> bool:
    if found is None or "scope" in new or not new["attrs"]:
        return False
    if not all(t in found.types for t in new["type"]):
        return False
    for iri, instances in new["attrs"].items():
        if len(instances) != 1 or iri in _RESERVED_IRIS or "datasetId" in instances[0]:
            return False
    return True


def write(*, tenant: Tenant, entities: list[dict[str, Any]], now: datetime, stamp: str) -> set[str]:
    """Write what this path covers and record its history; returns the ids written. Call
    inside the batch's transaction, on PostgreSQL; `stamp` is `now` as the hub writes it."""
    if not _known or len({entity["id"] for entity in entities}) != len(entities):
        return set()
    tenant_pk = tenant.pk
    covered = [
        (new, found)
        for new in entities
        if _covered(new, found := _known.get((tenant_pk, new["id"])))
        and found is not None  # (for the type checker: _covered says so)
    ]
    if not covered or has_active_subscriptions(tenant):
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
    watched = watched_types(tenant.operator_id)
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
    remember(tenant, ((eid, _after(*written[eid])) for eid in pks))
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
