"""The one-entity write verbs of the context broker (NGSI-LD 5.6.1 to 5.6.6, 5.6.17 to
5.6.19). Each locks its row, applies the change in the internal form (`ngsild.merge`),
saves the row, records what it wrote in the history and hands the change to the
subscriptions and alert rules (`entities_changed`), in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

from django.db import transaction
from django.utils import timezone

from .. import history
from ..alerts import evaluate as alerts
from ..models import Entity, Tenant
from ..ngsild import merge
from ..ngsild.errors import AlreadyExists, BadRequestData, ResourceNotFound
from ..ngsild.timestamps import format_instant
from ..selectors import entity_from_row
from ..subscriptions.notify import Change, entities_changed
from . import rows
from .changes import stamped, union_types, updated_written, written
from .links import Attrs, RegistryLinks

R = TypeVar("R")
ROW_FIELDS = rows.ROW_FIELDS


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
    rows.fill(row, rows.written(entity, links), now)
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
    entity = stamped(entity, created=stamp, modified=stamp)
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
        entity = stamped(entity, created=previous["createdAt"], modified=format_instant(now))
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
        entity = stamped(entity, created=previous["createdAt"], modified=format_instant(now))
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
        entity = {**current, "type": union_types(current["type"], types), "attrs": result.attrs}
        return entity, result, set(result.updated), updated_written(result, attrs)

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
        return entity, result, set(result.updated), updated_written(result, attrs)

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
        entity = {**current, "type": union_types(current["type"], types), "attrs": result.attrs}
        if scopes is not None:
            entity["scope"] = scopes
        return entity, result, set(result.updated), written(result.attrs, attrs)

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
        return entity, None, {attr_iri}, written(attrs, {attr_iri: fragment})

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
        alerts.on_deleting([row], now=now)  # before its alert states go with it (cascade)
        history.delete_history(entity_pks=[row.pk])
        row.delete()
        entities_changed(
            tenant, [Change(entity=None, previous=previous, attributes=frozenset(previous["attrs"]))], now=now
        )
