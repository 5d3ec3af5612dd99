"""How a write changes an entity's attributes: the semantics of the NGSI-LD update verbs.

Pure functions on internal `attrs` dicts ({expanded IRI: [instance, …]}, see
`mutualis.datahub.ngsild`): they return new dicts and never mutate their inputs, so the
service layer can compare before and after (notifications, history) and roll back by
simply not saving. Instances are matched by datasetId (4.5.5): a write touches only the
instance with the same datasetId, the default instance being the one without.

Copy-on-write: a result shares with `current` the lists and instances of the attributes
the write did not touch (copying every instance of every entity of a batch was most of
the cost of ingestion). Only a touched attribute's list is copied, and only the instances
written are new. So neither side may be changed in place afterwards: entities in the
internal form are values, never edited where they are.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from .errors import BadRequestData, ResourceNotFound
from .normalize import CORE_MEMBERS, NGSI_LD_NULL, VALUE_MEMBERS
from .timestamps import format_instant

Instance = dict[str, Any]
Attrs = dict[str, list[Instance]]
# Every entity of a batch is written at the same instant: formatted once.
_stamp = lru_cache(maxsize=64)(format_instant)


@dataclass
class MergeResult:
    attrs: Attrs
    # Expanded IRIs of the attributes written (added, replaced, merged or deleted).
    updated: list[str] = field(default_factory=list)
    # 5.2.18 NotUpdatedDetails: {"attributeName": expanded IRI, "reason": text}; the
    # caller compacts the names when answering.
    not_updated: list[dict[str, str]] = field(default_factory=list)
    # Expanded IRIs of the attributes (or instances) removed through NGSI-LD Null.
    deleted: list[str] = field(default_factory=list)

    def _touch(self, iri: str) -> None:
        if iri not in self.updated:
            self.updated.append(iri)

    def _refuse(self, iri: str, reason: str) -> None:
        self.not_updated.append({"attributeName": iri, "reason": reason})


def is_null(instance: Instance) -> bool:
    """5.2: an instance whose value is NGSI-LD Null asks for its deletion."""
    if instance.get("value") == NGSI_LD_NULL or instance.get("object") == NGSI_LD_NULL:
        return True
    if instance.get("vocab") == NGSI_LD_NULL or instance.get("languageMap") == {"@none": NGSI_LD_NULL}:
        return True
    return instance.get("valueList") == [NGSI_LD_NULL] or instance.get("objectList") in (
        [NGSI_LD_NULL],
        [{"object": NGSI_LD_NULL}],
    )


def append_attributes(current: Attrs, new: Attrs, *, overwrite: bool, now: datetime) -> MergeResult:
    """NGSI-LD 5.6.3 Append Entity Attributes: add the new attributes (and datasetIds);
    existing ones are replaced, or, with the noOverwrite option, left and reported."""
    result = MergeResult(attrs=dict(current))
    stamp = _stamp(now)
    for iri, instances in new.items():
        held_list = result.attrs.get(iri)
        if (
            overwrite
            and len(instances) == 1
            and held_list is not None
            and len(held_list) == 1
            and held_list[0].get("datasetId") == instances[0].get("datasetId")
        ):
            # The usual write (a new reading of an attribute with one instance): replaced
            # without the general bookkeeping.
            result.attrs[iri] = [_replaced(held_list[0], instances[0], stamp)]
            result._touch(iri)
            continue
        for instance in instances:
            dataset_id = instance.get("datasetId")
            index = _find(result.attrs.get(iri, ()), dataset_id)
            if index is None:
                _own(result.attrs, current, iri).append(_created(instance, stamp))
                result._touch(iri)
            elif overwrite:
                held = _own(result.attrs, current, iri)
                held[index] = _replaced(held[index], instance, stamp)
                result._touch(iri)
            else:
                result._refuse(iri, f"{_which(dataset_id)} already exists and noOverwrite was asked.")
    return result


def update_attributes(current: Attrs, new: Attrs, *, now: datetime) -> MergeResult:
    """NGSI-LD 5.6.2 Update Entity Attributes: replace only the attributes (and the
    datasetIds) the entity already has; the others are reported in notUpdated."""
    result = MergeResult(attrs=dict(current))
    stamp = _stamp(now)
    for iri, instances in new.items():
        if iri not in result.attrs:
            result._refuse(iri, "The entity has no such attribute.")
            continue
        for instance in instances:
            dataset_id = instance.get("datasetId")
            index = _find(result.attrs[iri], dataset_id)
            if index is None:
                result._refuse(iri, f"The attribute has no {_which(dataset_id)}.")
            elif is_null(instance):
                _remove(result, current, iri, index)
            else:
                held = _own(result.attrs, current, iri)
                held[index] = _replaced(held[index], instance, stamp)
                result._touch(iri)
    return result


def merge_entity(current: Attrs, new: Attrs, *, now: datetime) -> MergeResult:
    """NGSI-LD 5.6.17 Merge Entity: JSON merge-patch semantics on attributes.

    New attributes are added; existing instances (same datasetId) get the members given
    and keep the others (observedAt, unitCode, sub-attributes not mentioned); NGSI-LD Null
    deletes an attribute instance or a sub-attribute."""
    result = MergeResult(attrs=dict(current))
    stamp = _stamp(now)
    for iri, instances in new.items():
        for instance in instances:
            dataset_id = instance.get("datasetId")
            index = _find(result.attrs.get(iri, ()), dataset_id)
            if is_null(instance):
                # Deleting what is not there leaves the entity as asked: nothing to report.
                if index is not None:
                    _remove(result, current, iri, index)
                continue
            if index is None:
                _check_complete(iri, instance)
                _own(result.attrs, current, iri).append(_created(_without_nulls(instance), stamp))
            else:
                held = _own(result.attrs, current, iri)
                held[index] = _stamped(_merged(iri, held[index], instance), held[index], stamp)
            result._touch(iri)
    return result


def partial_update_attribute(
    current: Attrs, attr_iri: str, fragment: list[Instance], *, now: datetime
) -> Attrs:
    """NGSI-LD 5.6.4 Partial Attribute Update: merge the fragment into the existing
    instance with the same datasetId (keeping its createdAt); NGSI-LD Null as the value
    deletes that instance, as a sub-attribute's value deletes the sub-attribute."""
    if attr_iri not in current:
        raise ResourceNotFound(f"The entity has no attribute {attr_iri}.")
    result = MergeResult(attrs=dict(current))
    stamp = _stamp(now)
    for instance in fragment:
        dataset_id = instance.get("datasetId")
        index = _find(result.attrs.get(attr_iri, ()), dataset_id)
        if index is None:
            raise ResourceNotFound(f"The attribute {attr_iri} has no {_which(dataset_id)}.")
        if is_null(instance):
            _remove(result, current, attr_iri, index)
        else:
            held = _own(result.attrs, current, attr_iri)
            held[index] = _stamped(_merged(attr_iri, held[index], instance), held[index], stamp)
    return result.attrs


def delete_attribute(current: Attrs, attr_iri: str, *, dataset_id: str | None, delete_all: bool) -> Attrs:
    """NGSI-LD 5.6.5 Delete Entity Attribute: the default instance, the one with
    `dataset_id`, or with `delete_all` every instance."""
    if attr_iri not in current:
        raise ResourceNotFound(f"The entity has no attribute {attr_iri}.")
    attrs = dict(current)
    if delete_all:
        del attrs[attr_iri]
        return attrs
    index = _find(attrs[attr_iri], dataset_id)
    if index is None:
        raise ResourceNotFound(f"The attribute {attr_iri} has no {_which(dataset_id)}.")
    kept = [instance for position, instance in enumerate(attrs[attr_iri]) if position != index]
    if kept:
        attrs[attr_iri] = kept
    else:
        del attrs[attr_iri]
    return attrs


def _own(attrs: Attrs, current: Attrs, iri: str) -> list[Instance]:
    """The list of `iri` in `attrs`, ready to change: copied first while it is still the
    one of `current` (copy-on-write), created when the attribute is new."""
    instances = attrs.get(iri)
    if instances is None or instances is current.get(iri):
        instances = attrs[iri] = list(instances or ())
    return instances


def _find(instances: Sequence[Instance], dataset_id: str | None) -> int | None:
    for index, instance in enumerate(instances):
        if instance.get("datasetId") == dataset_id:
            return index
    return None


def _which(dataset_id: str | None) -> str:
    return f"instance with datasetId {dataset_id}" if dataset_id else "default instance (without datasetId)"


def _remove(result: MergeResult, current: Attrs, iri: str, index: int) -> None:
    del _own(result.attrs, current, iri)[index]
    if not result.attrs[iri]:
        del result.attrs[iri]
    result._touch(iri)
    if iri not in result.deleted:
        result.deleted.append(iri)


# Members of these types are immutable: an instance made only of them is copied shallowly.
_ATOMIC = frozenset({str, int, float, bool, type(None)})


def _copied(instance: Instance) -> Instance:
    """A copy of an instance the caller still holds: deep only for its nested members
    (sub-attributes, structured values), since a plain Property's members are immutable."""
    atomic = _ATOMIC
    for value in instance.values():
        if type(value) not in atomic:
            return {
                member: value if type(value) in atomic else copy.deepcopy(value)
                for member, value in instance.items()
            }
    # The usual instance (a reading): a flat copy, in C (measured: 0.8 → 0.4 µs an instance).
    return instance.copy()


def _created(instance: Instance, stamp: str) -> Instance:
    return {**_copied(instance), "createdAt": stamp, "modifiedAt": stamp}


def _replaced(old: Instance, instance: Instance, stamp: str) -> Instance:
    # 4.8: overwriting an attribute keeps the moment it was first created.
    return _stamped(_copied(instance), old, stamp)


def _stamped(instance: Instance, old: Instance, stamp: str) -> Instance:
    """Stamp a new instance (never one `current` holds) as the write of `old`."""
    instance["createdAt"] = old.get("createdAt", stamp)
    instance["modifiedAt"] = stamp
    return instance


def _check_complete(iri: str, instance: Instance) -> None:
    """A merge may add an attribute, but only a whole one (type and value)."""
    kind = instance.get("type")
    if kind not in VALUE_MEMBERS or VALUE_MEMBERS[kind] not in instance:
        raise BadRequestData(
            f"Attribute {iri}: the entity does not have it, so the merge must give its whole value "
            "('value', 'object', …), not only some of its members."
        )


def _merged(path: str, old: Instance, new: Instance) -> Instance:
    """RFC 7396 merge-patch of one instance, NGSI-LD style (5.6.17): value members are
    replaced as a whole (a Property's JSON value is not merged key by key), sub-attributes
    are merged recursively and NGSI-LD Null removes them."""
    merged = copy.deepcopy(old)
    new_type = new.get("type")
    if new_type is not None and new_type != old.get("type") and VALUE_MEMBERS.get(new_type) not in new:
        raise BadRequestData(
            f"Attribute {path}: changing its type from {old.get('type')} to {new_type} needs "
            f"its new {VALUE_MEMBERS.get(new_type, 'value')!r}."
        )
    if any(member in new for member in VALUE_MEMBERS.values()):
        # The old value member may be another one (a Property becoming a Relationship).
        for member in set(VALUE_MEMBERS.values()):
            merged.pop(member, None)
    for member, value in new.items():
        if member in ("createdAt", "modifiedAt"):
            continue
        if member in CORE_MEMBERS:
            merged[member] = copy.deepcopy(value)
        elif is_null(value):
            merged.pop(member, None)
        elif isinstance(merged.get(member), dict):
            merged[member] = _merged(f"{path} {member}", merged[member], value)
        else:
            merged[member] = _without_nulls(value)
    return merged


def _without_nulls(instance: Instance) -> Instance:
    """A new (sub-)attribute with nothing to merge into: its Null sub-attributes mean nothing."""
    return {
        member: (value if member in CORE_MEMBERS else _without_nulls(value))
        for member, value in copy.deepcopy(instance).items()
        if member in CORE_MEMBERS or not is_null(value)
    }
