"""The write verbs of the context broker (NGSI-LD 5.6): one place each, keyword-only,
transactional. The API views, the batch operations, MQTT ingestion and the demo all call
these; none repeats their logic.

Each verb, in one transaction: writes the `Entity` rows (internal form, see
`mutualis.datahub.ngsild`), appends every attribute instance it wrote to the history
(`history.record_instances` / `record_many`: every attribute change is kept), and hands the
changes to the subscriptions (`entities_changed`), which queue their notifications as jobs
so that none is lost if the transaction commits and the process dies.

Registry link. An entity whose Relationship
  https://mutualis.example/ns/site   points at urn:mutualis:Site:<site pk>, or
  https://mutualis.example/ns/asset  points at urn:mutualis:Asset:<inventory tag>
is tied to that site / asset of the registry (`Entity.site`, `Entity.asset`), so that a
sensor is also a piece of equipment. Those IRIs are not terms of any @context: clients
send them in full (or map their own terms to them). The site or asset must belong to the
tenant's member (to the operator, for the shared space); anything else is BadRequestData.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from django.db import connection, transaction
from django.utils import timezone

from mutualis.registry.models import Asset, Site

from . import history
from .models import Entity, Tenant
from .ngsild import merge
from .ngsild.errors import AlreadyExists, BadRequestData, NgsiLdError, ResourceNotFound
from .ngsild.geo import LOCATION_IRI, geometry_bbox
from .ngsild.timestamps import format_instant
from .selectors import entity_from_row
from .subscriptions.notify import Change, entities_changed

SITE_IRI = "https://mutualis.example/ns/site"
ASSET_IRI = "https://mutualis.example/ns/asset"
SITE_URN = "urn:mutualis:Site:"
ASSET_URN = "urn:mutualis:Asset:"

Attrs = dict[str, list[dict[str, Any]]]
R = TypeVar("R")
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


@dataclass
class BatchResult:
    """The outcome of a batch operation (NGSI-LD 5.2.16 BatchOperationResult)."""

    success: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def add_error(self, entity_id: str, error: NgsiLdError) -> None:
        self.errors.append({"entityId": entity_id, "error": error.as_problem()})

    def as_json(self) -> dict[str, Any]:
        return {"success": self.success, "errors": self.errors}


# ---------------------------------------------------------------- registry links


def _relationship_target(attrs: Attrs, iri: str) -> str | None:
    instances = attrs.get(iri) or []
    if not instances:
        return None
    instance = next((i for i in instances if "datasetId" not in i), instances[0])
    target = instance.get("object")
    if isinstance(target, list) and len(target) == 1:
        target = target[0]
    if instance.get("type") != "Relationship" or not isinstance(target, str):
        raise BadRequestData(f"Attribute {iri} must be a Relationship with one object URI.")
    return target


class RegistryLinks:
    """Resolves the registry links of many entities with one query per kind, for batches."""

    def __init__(self, tenant: Tenant, attrs_list: Iterable[Attrs]):
        self.tenant = tenant
        site_pks: set[int] = set()
        tags: set[str] = set()
        for attrs in attrs_list:
            for iri, prefix in ((SITE_IRI, SITE_URN), (ASSET_IRI, ASSET_URN)):
                try:
                    target = _relationship_target(attrs, iri)
                except BadRequestData:
                    continue  # reported by resolve()
                if target and target.startswith(prefix):
                    key = target.removeprefix(prefix)
                    if prefix == SITE_URN and key.isdigit():
                        site_pks.add(int(key))
                    elif prefix == ASSET_URN:
                        tags.add(key)
        sites = Site.objects.filter(pk__in=site_pks, operator_id=tenant.operator_id)
        assets = Asset.objects.filter(inventory_tag__in=tags, operator_id=tenant.operator_id)
        if tenant.member_id is not None:
            sites = sites.filter(member_id=tenant.member_id)
            assets = assets.filter(site__member_id=tenant.member_id)
        self.sites = set(sites.values_list("pk", flat=True))
        self.assets: dict[str, int] = dict(assets.values_list("inventory_tag", "pk"))
        # An asset is the equipment of at most one entity (Entity.asset is one-to-one).
        self.asset_owner: dict[int, str] = {
            asset_pk: entity_id
            for asset_pk, entity_id in Entity.objects.filter(asset_id__in=self.assets.values()).values_list(
                "asset_id", "entity_id"
            )
            if asset_pk is not None
        }

    def resolve(self, entity_id: str, attrs: Attrs) -> tuple[int | None, int | None]:
        """(site pk, asset pk) the entity is tied to; BadRequestData naming the problem."""
        site_id = asset_id = None
        target = _relationship_target(attrs, SITE_IRI)
        if target is not None:
            key = target.removeprefix(SITE_URN)
            if not target.startswith(SITE_URN) or not key.isdigit() or int(key) not in self.sites:
                raise BadRequestData(
                    f"{SITE_IRI} points at {target!r}, which is not a site of this tenant "
                    f"(expected {SITE_URN}<site id> of a site of the tenant's member)."
                )
            site_id = int(key)
        target = _relationship_target(attrs, ASSET_IRI)
        if target is not None:
            tag = target.removeprefix(ASSET_URN)
            if not target.startswith(ASSET_URN) or tag not in self.assets:
                raise BadRequestData(
                    f"{ASSET_IRI} points at {target!r}, which is not an asset of this tenant "
                    f"(expected {ASSET_URN}<inventory tag> of an asset of the tenant's member)."
                )
            asset_id = self.assets[tag]
            owner = self.asset_owner.get(asset_id)
            if owner is not None and owner != entity_id:
                raise BadRequestData(f"Asset {tag!r} is already the equipment of entity {owner}.")
            self.asset_owner[asset_id] = entity_id
        return site_id, asset_id


# ---------------------------------------------------------------- rows


def _location_bbox(attrs: Attrs) -> tuple[float, float, float, float] | None:
    instances = attrs.get(LOCATION_IRI) or []
    if not instances:
        return None
    instance = next((i for i in instances if "datasetId" not in i), instances[0])
    value = instance.get("value")
    if instance.get("type") != "GeoProperty" or not isinstance(value, dict):
        return None
    return geometry_bbox(value)


def _fill_row(
    row: Entity, entity: dict[str, Any], links: tuple[int | None, int | None], now: datetime
) -> None:
    types = list(entity["type"])
    row.type = types[0]
    row.types = types
    row.scopes = list(entity.get("scope") or [])
    row.attributes = entity["attrs"]
    bbox = _location_bbox(entity["attrs"])
    row.geo_min_x, row.geo_min_y, row.geo_max_x, row.geo_max_y = bbox if bbox else (None, None, None, None)
    row.site_id, row.asset_id = links
    row.modified_at = now


def _stamped(entity: dict[str, Any], *, created: str, modified: str) -> dict[str, Any]:
    return {**entity, "createdAt": created, "modifiedAt": modified}


def _updated_written(result: merge.MergeResult, given: Attrs) -> Attrs:
    """What an append or update wrote: the given attributes the merge actually updated."""
    return _written(result.attrs, {k: given[k] for k in result.updated if k in given})


def _written(result: Attrs, written: Attrs) -> Attrs:
    """The instances of `result` that `written` touched (same attribute, same datasetId):
    what goes to the history."""
    kept: Attrs = {}
    for iri, instances in written.items():
        held = result.get(iri)
        if not held:
            continue
        if len(instances) == 1 and len(held) == 1:
            # The common case (one instance written, one held): no set to build.
            if held[0].get("datasetId") == instances[0].get("datasetId"):
                kept[iri] = held
            continue
        dataset_ids = {instance.get("datasetId") for instance in instances}
        now_there = [i for i in held if i.get("datasetId") in dataset_ids]
        if now_there:
            kept[iri] = now_there
    return kept


def _union_types(current: list[str], new: list[str] | None) -> list[str]:
    return current + [t for t in (new or []) if t not in current]


def _locked(tenant: Tenant, entity_id: str) -> Entity:
    row = Entity.objects.select_for_update().filter(tenant=tenant, entity_id=entity_id).first()
    if row is None:
        raise ResourceNotFound(f"Entity {entity_id} does not exist.")
    return row


def _save(
    *,
    tenant: Tenant,
    row: Entity,
    previous: dict[str, Any] | None,
    entity: dict[str, Any],
    changed: Iterable[str],
    record: Attrs,
    now: datetime,
) -> None:
    links = RegistryLinks(tenant, [entity["attrs"]]).resolve(entity["id"], entity["attrs"])
    _fill_row(row, entity, links, now)
    if row.pk is None:
        row.save(force_insert=True)
    else:
        row.save(update_fields=ROW_FIELDS)
    if record:
        history.record_instances(tenant_id=tenant.pk, entity_pk=row.pk, attrs=record, recorded_at=now)
    entities_changed(
        tenant, [Change(entity=entity, previous=previous, attributes=frozenset(changed))], now=now
    )


# ---------------------------------------------------------------- one entity


def create_entity(*, tenant: Tenant, entity: dict[str, Any], now: datetime | None = None) -> Entity:
    """NGSI-LD 5.6.1 Create Entity; AlreadyExists if the id is taken in this tenant."""
    now = now or timezone.now()
    stamp = format_instant(now)
    entity = _stamped(entity, created=stamp, modified=stamp)
    with transaction.atomic():
        if Entity.objects.filter(tenant=tenant, entity_id=entity["id"]).exists():
            raise AlreadyExists(f"Entity {entity['id']} already exists.")
        row = Entity(tenant=tenant, entity_id=entity["id"], created_at=now)
        _save(
            tenant=tenant,
            row=row,
            previous=None,
            entity=entity,
            changed=entity["attrs"],
            record=entity["attrs"],
            now=now,
        )
    return row


def replace_entity(
    *, tenant: Tenant, entity_id: str, entity: dict[str, Any], now: datetime | None = None
) -> Entity:
    """NGSI-LD 5.6.18 Replace Entity: all attributes replaced, createdAt kept."""
    now = now or timezone.now()
    if entity["id"] != entity_id:
        raise BadRequestData(f"The body's id {entity['id']} differs from the entity {entity_id} of the path.")
    with transaction.atomic():
        row = _locked(tenant, entity_id)
        previous = entity_from_row(row)
        entity = _stamped(entity, created=previous["createdAt"], modified=format_instant(now))
        _save(
            tenant=tenant,
            row=row,
            previous=previous,
            entity=entity,
            changed=set(previous["attrs"]) | set(entity["attrs"]),
            record=entity["attrs"],
            now=now,
        )
    return row


def _modify(
    *,
    tenant: Tenant,
    entity_id: str,
    now: datetime | None,
    change: Callable[[dict[str, Any], datetime], tuple[dict[str, Any], R, set[str], Attrs]],
) -> R:
    """Lock the entity, apply `change(current, now)` → (entity, result, changed, record), save."""
    now = now or timezone.now()
    with transaction.atomic():
        row = _locked(tenant, entity_id)
        previous = entity_from_row(row)
        entity, result, changed, record = change(previous, now)
        entity = _stamped(entity, created=previous["createdAt"], modified=format_instant(now))
        _save(
            tenant=tenant, row=row, previous=previous, entity=entity, changed=changed, record=record, now=now
        )
    return result


def append_attributes(
    *,
    tenant: Tenant,
    entity_id: str,
    attrs: Attrs,
    overwrite: bool = True,
    types: list[str] | None = None,
    now: datetime | None = None,
) -> merge.MergeResult:
    """NGSI-LD 5.6.3 Append Entity Attributes (option noOverwrite → overwrite=False)."""

    def change(
        current: dict[str, Any], at: datetime
    ) -> tuple[dict[str, Any], merge.MergeResult, set[str], Attrs]:
        result = merge.append_attributes(current["attrs"], attrs, overwrite=overwrite, now=at)
        entity = {**current, "type": _union_types(current["type"], types), "attrs": result.attrs}
        return entity, result, set(result.updated), _updated_written(result, attrs)

    return _modify(tenant=tenant, entity_id=entity_id, now=now, change=change)


def update_attributes(
    *, tenant: Tenant, entity_id: str, attrs: Attrs, now: datetime | None = None
) -> merge.MergeResult:
    """NGSI-LD 5.6.2 Update Entity Attributes: only attributes (and datasetIds) that exist."""

    def change(
        current: dict[str, Any], at: datetime
    ) -> tuple[dict[str, Any], merge.MergeResult, set[str], Attrs]:
        result = merge.update_attributes(current["attrs"], attrs, now=at)
        entity = {**current, "attrs": result.attrs}
        return entity, result, set(result.updated), _updated_written(result, attrs)

    return _modify(tenant=tenant, entity_id=entity_id, now=now, change=change)


def merge_entity(
    *,
    tenant: Tenant,
    entity_id: str,
    attrs: Attrs,
    types: list[str] | None = None,
    scopes: list[str] | None = None,
    now: datetime | None = None,
) -> merge.MergeResult:
    """NGSI-LD 5.6.17 Merge Entity (JSON merge patch; "urn:ngsi-ld:null" deletes)."""

    def change(
        current: dict[str, Any], at: datetime
    ) -> tuple[dict[str, Any], merge.MergeResult, set[str], Attrs]:
        result = merge.merge_entity(current["attrs"], attrs, now=at)
        entity = {**current, "type": _union_types(current["type"], types), "attrs": result.attrs}
        if scopes is not None:
            entity["scope"] = scopes
        return entity, result, set(result.updated), _written(result.attrs, attrs)

    return _modify(tenant=tenant, entity_id=entity_id, now=now, change=change)


def partial_update_attribute(
    *,
    tenant: Tenant,
    entity_id: str,
    attr_iri: str,
    fragment: list[dict[str, Any]],
    now: datetime | None = None,
) -> None:
    """NGSI-LD 5.6.4 Partial Attribute Update (ResourceNotFound if the attribute is absent)."""

    def change(current: dict[str, Any], at: datetime) -> tuple[dict[str, Any], None, set[str], Attrs]:
        attrs = merge.partial_update_attribute(current["attrs"], attr_iri, fragment, now=at)
        entity = {**current, "attrs": attrs}
        return entity, None, {attr_iri}, _written(attrs, {attr_iri: fragment})

    _modify(tenant=tenant, entity_id=entity_id, now=now, change=change)


def replace_attribute(
    *,
    tenant: Tenant,
    entity_id: str,
    attr_iri: str,
    instances: list[dict[str, Any]],
    now: datetime | None = None,
) -> None:
    """NGSI-LD 5.6.19 Replace Attribute: the instance(s) of the same datasetId are replaced;
    ResourceNotFound when the entity has no such attribute instance."""

    def change(current: dict[str, Any], at: datetime) -> tuple[dict[str, Any], None, set[str], Attrs]:
        existing = current["attrs"].get(attr_iri)
        wanted = {i.get("datasetId") for i in instances}
        if not existing or not wanted <= {i.get("datasetId") for i in existing}:
            raise ResourceNotFound(
                f"Entity {entity_id} has no attribute {attr_iri} (with that datasetId) to replace."
            )
        kept = [i for i in existing if i.get("datasetId") not in wanted]
        attrs = {**current["attrs"], attr_iri: kept + instances}
        return {**current, "attrs": attrs}, None, {attr_iri}, {attr_iri: instances}

    _modify(tenant=tenant, entity_id=entity_id, now=now, change=change)


def delete_attribute(
    *,
    tenant: Tenant,
    entity_id: str,
    attr_iri: str,
    dataset_id: str | None = None,
    delete_all: bool = False,
    now: datetime | None = None,
) -> None:
    """NGSI-LD 5.6.5 Delete Entity Attribute. Its history is kept: the temporal API still
    answers what the attribute was."""

    def change(current: dict[str, Any], at: datetime) -> tuple[dict[str, Any], None, set[str], Attrs]:
        attrs = merge.delete_attribute(
            current["attrs"], attr_iri, dataset_id=dataset_id, delete_all=delete_all
        )
        return {**current, "attrs": attrs}, None, {attr_iri}, {}

    _modify(tenant=tenant, entity_id=entity_id, now=now, change=change)


def delete_entity(*, tenant: Tenant, entity_id: str, now: datetime | None = None) -> None:
    """NGSI-LD 5.6.6 Delete Entity, with its history: rows of an entity that no longer
    exists could never be reached again (history hangs on the entity's row)."""
    now = now or timezone.now()
    with transaction.atomic():
        row = _locked(tenant, entity_id)
        previous = entity_from_row(row)
        history.delete_history(entity_pks=[row.pk])
        row.delete()
        entities_changed(
            tenant, [Change(entity=None, previous=previous, attributes=frozenset(previous["attrs"]))], now=now
        )


# ---------------------------------------------------------------- batches


@contextmanager
def _no_gc_pauses() -> Iterator[None]:
    """Hold the cyclic garbage collector while a batch runs.

    A batch allocates tens of thousands of small dicts that all stay alive until it ends,
    so the collector kept running and walking every object of the process (Django's
    included) for nothing: measured, a third of a batch's CPU time. What a batch builds has
    no reference cycles and is freed by reference counting; anything else waits for the
    collector's next run, after the batch. Only the caller that found the collector on
    turns it back on, so nested or concurrent batches leave it as they found it.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# What a batch verb does with an entity that exists: (current, new, now) →
# (entity after, changed attribute IRIs, instances to record).
OnExisting = Callable[[dict[str, Any], dict[str, Any], datetime], tuple[dict[str, Any], set[str], Attrs]]


def _run_batch(
    *,
    tenant: Tenant,
    entities: list[dict[str, Any]],
    now: datetime | None,
    create_missing: bool,
    on_existing: OnExisting | None,
) -> BatchResult:
    """One batch in a constant number of queries: one SELECT of the existing rows, one per
    kind of registry link, one bulk INSERT, one bulk UPDATE, one history INSERT. Entities
    that fail are reported and skipped; the others are written (NGSI-LD 5.6.7–5.6.10)."""
    now = now or timezone.now()
    stamp = format_instant(now)
    result = BatchResult()
    ids = list(dict.fromkeys(e["id"] for e in entities))
    succeeded: set[str] = set()
    with _no_gc_pauses(), transaction.atomic():
        rows = {
            row.entity_id: row
            for row in Entity.objects.select_for_update().filter(tenant=tenant, entity_id__in=ids)
        }
        # The state as the batch goes: an id given twice is applied in order.
        current: dict[str, dict[str, Any]] = {eid: entity_from_row(row) for eid, row in rows.items()}
        # Links the entities already have (a fragment of observations does not repeat its
        # entity's site) and those the batch brings.
        links = RegistryLinks(
            tenant, [*(e["attrs"] for e in entities), *(c["attrs"] for c in current.values())]
        )
        new_rows: dict[str, Entity] = {}
        changed_rows: dict[str, Entity] = {}
        to_record: dict[str, Attrs] = {}
        changes: list[Change] = []
        for new in entities:
            eid = new["id"]
            previous = current.get(eid)
            try:
                if previous is not None:
                    if on_existing is None:
                        raise AlreadyExists(f"Entity {eid} already exists.")
                    after, changed, record = on_existing(previous, new, now)
                    after = _stamped(after, created=previous["createdAt"], modified=stamp)
                else:
                    if not create_missing:
                        raise ResourceNotFound(f"Entity {eid} does not exist.")
                    after = _stamped(new, created=stamp, modified=stamp)
                    changed, record = set(after["attrs"]), after["attrs"]
                row_links = links.resolve(eid, after["attrs"])
            except NgsiLdError as error:
                result.add_error(eid, error)
                continue
            row = rows.get(eid) or new_rows.get(eid)
            if row is None:
                row = new_rows[eid] = Entity(tenant=tenant, entity_id=eid, created_at=now)
            elif eid in rows:
                changed_rows[eid] = row
            _fill_row(row, after, row_links, now)
            current[eid] = after
            # An id given twice: both writes go to the history (two observations of
            # the same attribute at different times must both be kept).
            recorded = to_record.get(eid)
            if recorded is None:
                # The usual case, each id once: the record as it is (never changed in place).
                to_record[eid] = record
            else:
                recorded = to_record[eid] = dict(recorded)
                for iri, instances in record.items():
                    recorded[iri] = [*recorded.get(iri, ()), *instances]
            changes.append(Change(entity=after, previous=previous, attributes=frozenset(changed)))
            if eid not in succeeded:
                succeeded.add(eid)
                result.success.append(eid)
        if new_rows:
            Entity.objects.bulk_create(new_rows.values())
        if changed_rows:
            _update_rows(list(changed_rows.values()))
        all_rows = {**rows, **new_rows}
        history.record_many(
            [(tenant.pk, all_rows[eid].pk, attrs) for eid, attrs in to_record.items() if attrs],
            recorded_at=now,
        )
        if changes:
            entities_changed(tenant, changes, now=now)
    return result


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
    "site": "bigint",
    "asset": "bigint",
    "modified_at": "timestamptz",
}


def _update_rows(rows: list[Entity]) -> None:
    """Write the changed rows of a batch in one statement.

    Django's bulk_update builds one CASE WHEN per column and row: for a thousand entities
    that is eleven thousand expressions to compile, seconds of CPU. On PostgreSQL the rows
    travel as one JSON parameter, unpacked by jsonb_to_recordset and joined in one UPDATE.
    """
    if connection.vendor != "postgresql":
        Entity.objects.bulk_update(rows, ROW_FIELDS, batch_size=500)
        return
    meta = Entity._meta
    quote = connection.ops.quote_name
    # The foreign keys' columns carry "_id"; the other fields' columns are their names.
    columns = {name: f"{name}_id" if name in ("site", "asset") else name for name in ROW_FIELDS}
    assignments = ", ".join(f"{quote(column)} = v.{quote(column)}" for column in columns.values())
    record = ", ".join(["id bigint", *(f"{quote(columns[name])} {_ROW_TYPES[name]}" for name in ROW_FIELDS)])
    payload = [
        {
            "id": row.pk,
            "type": row.type,
            "types": row.types,
            "scopes": row.scopes,
            "attributes": row.attributes,
            "geo_min_x": row.geo_min_x,
            "geo_min_y": row.geo_min_y,
            "geo_max_x": row.geo_max_x,
            "geo_max_y": row.geo_max_y,
            "site_id": row.site_id,
            "asset_id": row.asset_id,
            "modified_at": row.modified_at.isoformat(),
        }
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(meta.db_table)} AS e SET {assignments}"  # noqa: S608 (names are the model's own)
            f" FROM jsonb_to_recordset(%s::jsonb) AS v({record}) WHERE e.id = v.id",
            [json.dumps(payload)],
        )


def create_entities(
    *, tenant: Tenant, entities: list[dict[str, Any]], now: datetime | None = None
) -> BatchResult:
    """NGSI-LD 5.6.7 Batch Entity Creation."""
    return _run_batch(tenant=tenant, entities=entities, now=now, create_missing=True, on_existing=None)


def _replace(
    current: dict[str, Any], new: dict[str, Any], now: datetime
) -> tuple[dict[str, Any], set[str], Attrs]:
    return {**new}, set(current["attrs"]) | set(new["attrs"]), new["attrs"]


def _appender(overwrite: bool) -> OnExisting:
    def append(
        current: dict[str, Any], new: dict[str, Any], now: datetime
    ) -> tuple[dict[str, Any], set[str], Attrs]:
        merged = merge.append_attributes(current["attrs"], new["attrs"], overwrite=overwrite, now=now)
        after = {**current, "type": _union_types(current["type"], new.get("type")), "attrs": merged.attrs}
        if "scope" in new:
            after["scope"] = new["scope"]
        return after, set(merged.updated), _updated_written(merged, new["attrs"])

    return append


def _merger(
    current: dict[str, Any], new: dict[str, Any], now: datetime
) -> tuple[dict[str, Any], set[str], Attrs]:
    merged = merge.merge_entity(current["attrs"], new["attrs"], now=now)
    after = {**current, "type": _union_types(current["type"], new.get("type")), "attrs": merged.attrs}
    if "scope" in new:
        after["scope"] = new["scope"]
    return after, set(merged.updated), _written(merged.attrs, new["attrs"])


def upsert_entities(
    *, tenant: Tenant, entities: list[dict[str, Any]], replace: bool, now: datetime | None = None
) -> BatchResult:
    """NGSI-LD 5.6.8 Batch Entity Upsert: options=replace replaces existing entities, the
    default (options=update) appends to them, overwriting attributes given."""
    return _run_batch(
        tenant=tenant,
        entities=entities,
        now=now,
        create_missing=True,
        on_existing=_replace if replace else _appender(True),
    )


def _observe(
    current: dict[str, Any], new: dict[str, Any], now: datetime
) -> tuple[dict[str, Any], set[str], Attrs]:
    """Observations from sensors: every instance goes to the history; the current state of
    an attribute (per datasetId) takes the new instance only if it was observed later than
    the one it holds, so that a late or redelivered reading never rolls the state back."""
    # Copy-on-write (see merge): untouched attributes stay shared with `current`.
    attrs = dict(current["attrs"])
    changed: set[str] = set()
    stamp = format_instant(now)
    for iri, instances in new["attrs"].items():
        held = {i.get("datasetId"): i for i in attrs.get(iri, ())}
        for instance in instances:
            key = instance.get("datasetId")
            old = held.get(key)
            if old is not None and (old.get("observedAt") or "") > (instance.get("observedAt") or ""):
                continue
            held[key] = {
                **instance,
                "modifiedAt": stamp,
                "createdAt": old.get("createdAt", stamp) if old else stamp,
            }
            changed.add(iri)
        attrs[iri] = list(held.values())
    return {**current, "attrs": attrs}, changed, new["attrs"]


def record_observations(
    *, tenant: Tenant, entities: list[dict[str, Any]], now: datetime | None = None
) -> BatchResult:
    """Sensor observations (MQTT and HTTP ingestion) for existing entities: the history
    keeps every one, the current state the latest observed (see `_observe`). The same
    entity may appear several times (several readings in one batch)."""
    return _run_batch(tenant=tenant, entities=entities, now=now, create_missing=False, on_existing=_observe)


def update_entities(
    *, tenant: Tenant, entities: list[dict[str, Any]], overwrite: bool = True, now: datetime | None = None
) -> BatchResult:
    """NGSI-LD 5.6.9 Batch Entity Update (options=noOverwrite → overwrite=False)."""
    return _run_batch(
        tenant=tenant, entities=entities, now=now, create_missing=False, on_existing=_appender(overwrite)
    )


def merge_entities(
    *, tenant: Tenant, entities: list[dict[str, Any]], now: datetime | None = None
) -> BatchResult:
    """NGSI-LD 5.6.20 Batch Entity Merge."""
    return _run_batch(tenant=tenant, entities=entities, now=now, create_missing=False, on_existing=_merger)


def delete_entities(*, tenant: Tenant, ids: list[str], now: datetime | None = None) -> BatchResult:
    """NGSI-LD 5.6.10 Batch Entity Delete, with the entities' history (see delete_entity)."""
    now = now or timezone.now()
    result = BatchResult()
    with transaction.atomic():
        rows = {
            row.entity_id: row
            for row in Entity.objects.select_for_update().filter(tenant=tenant, entity_id__in=set(ids))
        }
        for eid in ids:
            if eid in rows and eid not in result.success:
                result.success.append(eid)
            elif eid not in rows:
                result.add_error(eid, ResourceNotFound(f"Entity {eid} does not exist."))
        if rows:
            history.delete_history(entity_pks=[row.pk for row in rows.values()])
            Entity.objects.filter(pk__in=[row.pk for row in rows.values()]).delete()
            changes = [
                Change(entity=None, previous=entity_from_row(row), attributes=frozenset(row.attributes))
                for row in rows.values()
            ]
            entities_changed(tenant, changes, now=now)
    return result
