"""Temporal answers (4.5.7 normalized, 4.5.8 simplified, 4.5.19 aggregated) in the terms of
the client's @context, and the Content-Range of a partial answer (6.3.10)."""

from __future__ import annotations

from typing import Any

from ..ngsild.context import ActiveContext
from ..ngsild.timestamps import format_instant
from .request import TemporalQuery
from .series import TemporalEntity, TemporalResult

# Members of an instance that are NGSI-LD keywords (never compacted); every other key is
# an expanded sub-attribute name.
CORE_MEMBERS = frozenset(
    {
        "type",
        "value",
        "object",
        "objectList",
        "objectType",
        "languageMap",
        "vocab",
        "valueList",
        "json",
        "observedAt",
        "unitCode",
        "datasetId",
        "createdAt",
        "modifiedAt",
        "deletedAt",
        "instanceId",
        "lang",
    }
)
# 4.5.8: the member of the simplified temporal representation for each attribute type.
SIMPLIFIED_MEMBERS = {
    "Property": ("values", "value"),
    "GeoProperty": ("values", "value"),
    "Relationship": ("objects", "object"),
    "ListRelationship": ("objectLists", "objectList"),
    "LanguageProperty": ("languageMaps", "languageMap"),
    "VocabProperty": ("vocabs", "vocab"),
    "ListProperty": ("valueLists", "valueList"),
    "JsonProperty": ("jsons", "json"),
}


def compact_instance(instance: dict[str, Any], ctx: ActiveContext) -> dict[str, Any]:
    """An instance in the terms of the client's @context (sub-attributes and vocab values)."""
    compacted: dict[str, Any] = {}
    for key, value in instance.items():
        if key in CORE_MEMBERS:
            if key == "vocab":
                vocabs = value if isinstance(value, list) else [value]
                compact = [ctx.compact_vocab(v) if isinstance(v, str) else v for v in vocabs]
                compacted[key] = compact if isinstance(value, list) else compact[0]
            else:
                compacted[key] = value
        elif isinstance(value, dict):
            compacted[ctx.compact_iri(key)] = compact_instance(value, ctx)
        elif isinstance(value, list):
            compacted[ctx.compact_iri(key)] = [
                compact_instance(item, ctx) if isinstance(item, dict) else item for item in value
            ]
        else:
            compacted[ctx.compact_iri(key)] = value
    return compacted


def render_temporal_entity(
    entity: TemporalEntity, ctx: ActiveContext, query: TemporalQuery
) -> dict[str, Any]:
    """One entity in the temporal representation the query asks for (4.5.7, 4.5.8, 4.5.19)."""
    types = [ctx.compact_iri(t) for t in entity.types]
    answer: dict[str, Any] = {"id": entity.entity_id, "type": types[0] if len(types) == 1 else types}
    for series in entity.series:
        name = ctx.compact_iri(series.attribute)
        if query.representation == "normalized":
            if not series.instances:
                continue
            answer.setdefault(name, []).extend(compact_instance(i, ctx) for i in series.instances)
            continue
        item: dict[str, Any] = {"type": series.attribute_type}
        if query.representation == "temporalValues":
            if not series.instances:
                continue
            member, source = SIMPLIFIED_MEMBERS.get(series.attribute_type, ("values", "value"))
            pairs = []
            for instance, moment in zip(series.instances, series.times, strict=True):
                value = instance.get(source)
                if source == "vocab" and isinstance(value, str):
                    value = ctx.compact_vocab(value)
                pairs.append([value, format_instant(moment)])
            item[member] = pairs
        else:
            item.update(series.aggregates)
        if series.dataset_id:
            item["datasetId"] = series.dataset_id
        answer.setdefault(name, []).append(item)
    # One series per attribute is the common case: an object, not a list of one (4.5.8).
    if query.representation != "normalized":
        for key, value in list(answer.items()):
            if isinstance(value, list) and len(value) == 1 and key not in ("id", "type"):
                answer[key] = value[0]
    return answer


def content_range(result: TemporalResult, query: TemporalQuery) -> str | None:
    """6.3.10: `Content-Range: date-time <start>-<end>/<lastN or *>` of a partial answer."""
    if not result.truncated:
        return None
    start = format_instant(result.range_start) if result.range_start else "*"
    end = format_instant(result.range_end) if result.range_end else "*"
    size = str(query.last_n) if query.last_n is not None else "*"
    return f"date-time {start}-{end}/{size}"
