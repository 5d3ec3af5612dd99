"""What a write did to an entity in the internal form: its stamps, the instances it wrote
(what goes to the history), its types. Shared by the one-entity and the batch verbs."""

from __future__ import annotations

from typing import Any

from ..ngsild import merge
from .links import Attrs


def stamped(entity: dict[str, Any], *, created: str, modified: str) -> dict[str, Any]:
    return {**entity, "createdAt": created, "modifiedAt": modified}


def updated_written(result: merge.MergeResult, given: Attrs) -> Attrs:
    """What an append or update wrote: the given attributes the merge actually updated."""
    return written(result.attrs, {k: given[k] for k in result.updated if k in given})


def written(result: Attrs, given: Attrs) -> Attrs:
    """The instances of `result` that `given` touched (same attribute, same datasetId):
    what goes to the history."""
    kept: Attrs = {}
    for iri, instances in given.items():
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


def union_types(current: list[str], new: list[str] | None) -> list[str]:
    if not new or new == current:
        return current
    return current + [t for t in new if t not in current]
