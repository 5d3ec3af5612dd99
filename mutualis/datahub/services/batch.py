"""The batch write verbs of the context broker (NGSI-LD 5.6.7 to 5.6.10, 5.6.20) and the
sensors' observations (MQTT and HTTP ingestion go through `record_observations` and
`upsert_entities`: there is no second write path).

A batch costs a constant number of queries whatever its size: one SELECT … FOR UPDATE of
the rows it names, one query per kind of registry link it mentions, one INSERT of the new
rows, one UPDATE of the changed ones, one history write, and what the subscriptions and
alert rules read. Entities that fail are reported and skipped; the others are written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from .. import history
from ..alerts import evaluate as alerts
from ..bulk import collector_held
from ..models import Entity, Tenant
from ..ngsild import merge
from ..ngsild.errors import AlreadyExists, NgsiLdError, ResourceNotFound
from ..ngsild.timestamps import format_instant, horizon
from ..selectors import entity_from_row
from ..subscriptions.notify import Change, entities_changed
from . import readings, rows
from .changes import stamped, union_types, updated_written, written
from .links import Attrs, Links, RegistryLinks

# A batch stamps everything it writes with one instant: formatted once, not per entity.
_stamp = lru_cache(maxsize=64)(format_instant)


@dataclass
class BatchResult:
    """The outcome of a batch operation (NGSI-LD 5.2.16 BatchOperationResult)."""

    success: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    # The ids of the entities the batch created (upsert answers 201 with them, 6.15.3.1).
    created: list[str] = field(default_factory=list)

    def add_error(self, entity_id: str, error: NgsiLdError) -> None:
        self.errors.append({"entityId": entity_id, "error": error.as_problem()})

    def as_json(self) -> dict[str, Any]:
        return {"success": self.success, "errors": self.errors}


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
    remember: bool = False,
) -> BatchResult:
    """Apply a batch (NGSI-LD 5.6.7–5.6.10): entities that fail are reported and skipped.
    `remember`: keep the rows written for the next upserts of this process (`readings`)."""
    now = now or timezone.now()
    stamp = _stamp(now)
    result = BatchResult()
    ids = list(dict.fromkeys(e["id"] for e in entities))
    succeeded: set[str] = set()
    with collector_held(), transaction.atomic():
        stored = rows.lock(tenant, ids)
        # The state as the batch goes: an id given twice is applied in order.
        current: dict[str, dict[str, Any]] = {eid: found.entity for eid, found in stored.items()}
        # Links the entities already have (a fragment of observations does not repeat its
        # entity's site) and those the batch brings.
        links = RegistryLinks(
            tenant, [*(e["attrs"] for e in entities), *(c["attrs"] for c in current.values())]
        )
        # Each row is written once, with its state after the batch's last write to it.
        final: dict[str, tuple[dict[str, Any], Links]] = {}
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
                    after = stamped(after, created=previous["createdAt"], modified=stamp)
                else:
                    if not create_missing:
                        raise ResourceNotFound(f"Entity {eid} does not exist.")
                    after = stamped(new, created=stamp, modified=stamp)
                    changed, record = set(after["attrs"]), after["attrs"]
                final[eid] = (after, links.resolve(eid, after["attrs"]))
            except NgsiLdError as error:
                result.add_error(eid, error)
                continue
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
                if eid not in stored:
                    result.created.append(eid)
        pks = {eid: found.pk for eid, found in stored.items()}
        pks.update(
            rows.insert(
                tenant,
                {eid: rows.written(*final[eid]) for eid in result.created},
                now,
            )
        )
        rows.update(
            tenant,
            {stored[eid].pk: rows.written(*values) for eid, values in final.items() if eid in stored},
            now,
            stored={found.pk: found.columns for found in stored.values()},
        )
        if remember:
            readings.remember(
                tenant,
                (
                    (eid, readings.known(after["type"], after["attrs"]))
                    for eid, (after, _links) in final.items()
                ),
            )
        history.record_many(
            [(tenant.pk, pks[eid], attrs) for eid, attrs in to_record.items() if attrs],
            recorded_at=now,
        )
        if changes:
            entities_changed(tenant, changes, now=now)
    return result


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
        after = {**current, "type": union_types(current["type"], new.get("type")), "attrs": merged.attrs}
        if "scope" in new:
            after["scope"] = new["scope"]
        return after, set(merged.updated), updated_written(merged, new["attrs"])

    return append


def _merger(
    current: dict[str, Any], new: dict[str, Any], now: datetime
) -> tuple[dict[str, Any], set[str], Attrs]:
    merged = merge.merge_entity(current["attrs"], new["attrs"], now=now)
    after = {**current, "type": union_types(current["type"], new.get("type")), "attrs": merged.attrs}
    if "scope" in new:
        after["scope"] = new["scope"]
    return after, set(merged.updated), written(merged.attrs, new["attrs"])


def upsert_entities(
    *, tenant: Tenant, entities: list[dict[str, Any]], replace: bool, now: datetime | None = None
) -> BatchResult:
    """NGSI-LD 5.6.8 Batch Entity Upsert: options=replace replaces existing entities, the
    default (options=update) appends to them, overwriting attributes given.

    With options=update on PostgreSQL, readings of entities this process wrote before are
    merged into the stored rows without reading them out (`readings`, when no subscription
    or alert rule watches), the rest of the batch going through the general path in the
    same transaction; the result lists the successes in the batch's order either way."""
    if replace or connection.vendor != "postgresql":
        return _run_batch(
            tenant=tenant,
            entities=entities,
            now=now,
            create_missing=True,
            on_existing=_replace if replace else _appender(True),
        )
    now = now or timezone.now()
    with collector_held(), transaction.atomic():
        done = readings.write(tenant=tenant, entities=entities, now=now, stamp=_stamp(now))
        rest = [entity for entity in entities if entity["id"] not in done] if done else entities
        result = (
            _run_batch(
                tenant=tenant,
                entities=rest,
                now=now,
                create_missing=True,
                on_existing=_appender(True),
                remember=True,
            )
            if rest
            else BatchResult()
        )
    if done:
        succeeded = done.union(result.success)
        result.success = [eid for eid in dict.fromkeys(e["id"] for e in entities) if eid in succeeded]
    return result


def _observe(
    current: dict[str, Any], new: dict[str, Any], now: datetime
) -> tuple[dict[str, Any], set[str], Attrs]:
    """Observations from sensors: every instance goes to the history; the current state of
    an attribute (per datasetId) takes the new instance only if it was observed later than
    the one it holds, so that a late or redelivered reading never rolls the state back.

    Unless the one it holds was observed more than `timestamps.MAX_AHEAD` ahead of `now`
    (a value written before the hub refused them, or a forecast the temporal API made
    current): later than any true reading, it would keep them all out of the state until
    its time came."""
    # Copy-on-write (see merge): untouched attributes stay shared with `current`.
    attrs = dict(current["attrs"])
    changed: set[str] = set()
    stamp = _stamp(now)
    # Instants as the hub writes them (fixed width, UTC): compared as text, in order.
    latest = horizon(now)
    for iri, instances in new["attrs"].items():
        held_list = attrs.get(iri)
        if len(instances) == 1 and held_list is not None and len(held_list) == 1:
            # The usual reading: one value for the attribute's one instance.
            instance, old = instances[0], held_list[0]
            if old.get("datasetId") == instance.get("datasetId"):
                held_at = old.get("observedAt") or ""
                if held_at <= (instance.get("observedAt") or "") or held_at > latest:
                    attrs[iri] = [{**instance, "modifiedAt": stamp, "createdAt": old.get("createdAt", stamp)}]
                    changed.add(iri)
                continue
        held = {i.get("datasetId"): i for i in held_list or ()}
        for instance in instances:
            key = instance.get("datasetId")
            previous = held.get(key)
            if previous is not None and latest >= (previous.get("observedAt") or "") > (
                instance.get("observedAt") or ""
            ):
                continue
            held[key] = {
                **instance,
                "modifiedAt": stamp,
                "createdAt": previous.get("createdAt", stamp) if previous else stamp,
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
        found = {
            row.entity_id: row
            for row in Entity.objects.select_for_update().filter(tenant=tenant, entity_id__in=set(ids))
        }
        for eid in ids:
            if eid in found and eid not in result.success:
                result.success.append(eid)
            elif eid not in found:
                result.add_error(eid, ResourceNotFound(f"Entity {eid} does not exist."))
        if found:
            alerts.on_deleting(list(found.values()), now=now)  # before their alert states go (cascade)
            history.delete_history(entity_pks=[row.pk for row in found.values()])
            Entity.objects.filter(pk__in=[row.pk for row in found.values()]).delete()
            changes = [
                Change(entity=None, previous=entity_from_row(row), attributes=frozenset(row.attributes))
                for row in found.values()
            ]
            entities_changed(tenant, changes, now=now)
    return result
