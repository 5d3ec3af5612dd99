"""The internal entity form → what the API answers (NGSI-LD 4.5, 4.8, 4.15, 4.21).

The only place, with normalization, that looks at a @context: attribute and
sub-attribute names, entity types, objectType and VocabProperty values are compacted
through the client's context.
"""

from __future__ import annotations

from typing import Any

from .errors import BadRequestData
from .normalize import CORE_MEMBERS, TermContext, looks_like_geometry

FORMATS = ("normalized", "concise", "keyValues")
# "simplified" is the 4.5.4 name of keyValues; both are accepted as format options.
_FORMAT_ALIASES = {"simplified": "keyValues"}
# Projectable names that are entity members, not attributes (4.21).
_ENTITY_NAMES = frozenset({"id", "type", "scope"})
_SYS_ATTRS = ("createdAt", "modifiedAt")
_META_ORDER = ("observedAt", "unitCode", "datasetId", "objectType", "valueType")


def check_format(fmt: str) -> str:
    fmt = _FORMAT_ALIASES.get(fmt, fmt)
    if fmt not in FORMATS:
        raise BadRequestData(f"Unknown representation {fmt!r}: use normalized, concise or keyValues.")
    return fmt


def check_pick_omit(pick: set[str] | None, omit: set[str] | None) -> None:
    """NGSI-LD 4.21: pick and omit are mutually exclusive projections."""
    if pick is not None and omit is not None:
        raise BadRequestData("'pick' and 'omit' cannot be used together (NGSI-LD 4.21).")
    for names in (pick, omit):
        if names is not None and not names:
            raise BadRequestData("'pick' and 'omit' need at least one name (NGSI-LD 4.21).")


def render_entity(
    entity: dict[str, Any],
    ctx: TermContext,
    *,
    fmt: str = "normalized",
    attrs: set[str] | None = None,
    pick: set[str] | None = None,
    omit: set[str] | None = None,
    sys_attrs: bool = False,
    lang: str | None = None,
    with_context: bool = False,
) -> dict[str, Any]:
    """One entity as answered: `attrs` are expanded IRIs to keep (None: all); `pick` and
    `omit` are names as the client wrote them, including "id", "type" and "scope"."""
    fmt = check_format(fmt)
    check_pick_omit(pick, omit)
    keep = _Projection(ctx, pick, omit)
    out: dict[str, Any] = {}
    if keep("id", None):
        out["id"] = entity["id"]
    if keep("type", None):
        out["type"] = _one_or_list([ctx.compact_iri(iri) for iri in entity["type"]])
    if entity.get("scope") and keep("scope", None):
        out["scope"] = _one_or_list(entity["scope"])
    if sys_attrs:
        # 4.8: the entity's system attributes, in every representation.
        for member in _SYS_ATTRS:
            if member in entity:
                out[member] = entity[member]
    for iri, instances in entity.get("attrs", {}).items():
        if not instances or (attrs is not None and iri not in attrs):
            continue
        name = ctx.compact_iri(iri)
        if not keep(name, iri):
            continue
        out[name] = render_attribute(instances, ctx, fmt=fmt, sys_attrs=sys_attrs, lang=lang)
    if with_context:
        out["@context"] = ctx.response_context()
    return out


def render_attribute(
    instances: list[dict[str, Any]],
    ctx: TermContext,
    *,
    fmt: str = "normalized",
    sys_attrs: bool = False,
    lang: str | None = None,
) -> Any:
    """One attribute: its instance, or the list of its instances for a multi-attribute (4.5.5)."""
    fmt = check_format(fmt)
    multi = len(instances) > 1
    rendered = [
        _instance(instance, ctx, fmt=fmt, sys_attrs=sys_attrs, lang=lang, bare=not multi)
        for instance in instances
    ]
    return rendered if multi else rendered[0]


def render_feature(
    entity: dict[str, Any],
    ctx: TermContext,
    *,
    geometry_property: str = "location",
    fmt: str = "normalized",
    attrs: set[str] | None = None,
    pick: set[str] | None = None,
    omit: set[str] | None = None,
    sys_attrs: bool = False,
    lang: str | None = None,
) -> dict[str, Any]:
    """NGSI-LD 4.5.16: one entity as a GeoJSON Feature; its properties are the entity in
    the asked representation, its geometry the chosen GeoProperty's value (or null)."""
    properties = render_entity(
        entity, ctx, fmt=fmt, attrs=attrs, pick=pick, omit=omit, sys_attrs=sys_attrs, lang=lang
    )
    properties.pop("id", None)
    return {
        "id": entity["id"],
        "type": "Feature",
        "geometry": _geometry(entity, ctx.expand_term(geometry_property)),
        "properties": properties,
    }


def render_geojson(
    entities: list[dict[str, Any]],
    ctx: TermContext,
    *,
    geometry_property: str = "location",
    fmt: str = "normalized",
    attrs: set[str] | None = None,
    pick: set[str] | None = None,
    omit: set[str] | None = None,
    sys_attrs: bool = False,
    lang: str | None = None,
    with_context: bool = False,
) -> dict[str, Any]:
    """NGSI-LD 4.5.16: a list of entities as a GeoJSON FeatureCollection.
    `geometry_property` is a term of the client's context or an IRI (default "location")."""
    collection: dict[str, Any] = {
        "type": "FeatureCollection",
        "features": [
            render_feature(
                entity,
                ctx,
                geometry_property=geometry_property,
                fmt=fmt,
                attrs=attrs,
                pick=pick,
                omit=omit,
                sys_attrs=sys_attrs,
                lang=lang,
            )
            for entity in entities
        ],
    }
    if with_context:
        collection["@context"] = ctx.response_context()
    return collection


class _Projection:
    """4.21 pick/omit: names as the client gave them, matched compact or expanded."""

    def __init__(self, ctx: TermContext, pick: set[str] | None, omit: set[str] | None):
        self.names = pick if pick is not None else omit
        self.picking = pick is not None
        self.iris = (
            {ctx.expand_term(name) for name in self.names if name not in _ENTITY_NAMES}
            if self.names
            else set()
        )

    def __call__(self, name: str, iri: str | None) -> bool:
        if self.names is None:
            return True
        named = name in self.names or (iri is not None and iri in self.iris)
        return named if self.picking else not named


def _instance(
    instance: dict[str, Any], ctx: TermContext, *, fmt: str, sys_attrs: bool, lang: str | None, bare: bool
) -> Any:
    kind = instance.get("type", "Property")
    if fmt == "keyValues":
        return _simplified(instance, kind, ctx, lang)
    out: dict[str, Any] = {"type": kind}
    if kind == "LanguageProperty" and lang is not None:
        # 4.15: with a lang option, a LanguageProperty is answered as a Property holding
        # the string of the best matching language, and that language.
        tag, text = pick_language(instance["languageMap"], lang)
        out = {"type": "Property", "value": text, "lang": tag}
    elif kind == "VocabProperty":
        out["vocab"] = _map(instance["vocab"], ctx.compact_vocab)
    else:
        for member in ("value", "object", "languageMap", "valueList", "objectList", "json"):
            if member in instance:
                out[member] = instance[member]
    for member in _META_ORDER:
        if member in instance:
            out[member] = (
                _map(instance[member], ctx.compact_iri) if member == "objectType" else instance[member]
            )
    for member, sub in instance.items():
        if member not in CORE_MEMBERS:
            out[ctx.compact_iri(member)] = _instance(
                sub, ctx, fmt=fmt, sys_attrs=sys_attrs, lang=lang, bare=True
            )
    if sys_attrs:
        for member in _SYS_ATTRS:
            if member in instance:
                out[member] = instance[member]
    if fmt == "concise":
        return _concise(out, bare=bare)
    return out


def _concise(out: dict[str, Any], *, bare: bool) -> Any:
    """The concise representation (4.5.x): "type" goes wherever the members say it
    already, and a lone value stands for the whole Property (or GeoProperty).

    `bare` is false inside multi-attributes: their items stay objects, so that a list
    of instances cannot be mistaken for a list-valued Property."""
    kind = out["type"]
    value = out.get("value")
    if kind == "Property" and looks_like_geometry(value):
        # A Property whose value happens to be a GeoJSON geometry would read as a GeoProperty.
        return out
    if kind == "GeoProperty" and not looks_like_geometry(value):
        return out
    del out["type"]
    if bare and list(out) == ["value"] and (kind == "GeoProperty" or not isinstance(value, dict | list)):
        return value
    return out


def _simplified(instance: dict[str, Any], kind: str, ctx: TermContext, lang: str | None) -> Any:
    """The simplified (keyValues) representation (4.5.4): the bare value of each attribute.
    The types whose value could not be told from a Property's keep their member name."""
    if kind == "Relationship":
        return instance["object"]
    if kind == "LanguageProperty":
        if lang is not None:
            return pick_language(instance["languageMap"], lang)[1]
        return {"languageMap": instance["languageMap"]}
    if kind == "VocabProperty":
        return {"vocab": _map(instance["vocab"], ctx.compact_vocab)}
    if kind == "ListProperty":
        return {"valueList": instance["valueList"]}
    if kind == "ListRelationship":
        return {"objectList": [item["object"] for item in instance["objectList"]]}
    if kind == "JsonProperty":
        return {"json": instance["json"]}
    return instance.get("value")


def pick_language(language_map: dict[str, Any], lang: str) -> tuple[str, Any]:
    """NGSI-LD 4.15: the entry of a languageMap that best matches a `lang` option, which
    may list several tags with q weights ("fr,en;q=0.8") or "*" (any).

    A tag matches itself and its sub-tags ("en" matches "en-GB"); without any match the
    "@none" entry is answered if there is one, else the first one, so that a client
    always gets a string."""
    wanted: list[tuple[float, int, str]] = []
    for position, part in enumerate(lang.split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                raise BadRequestData(f"lang: {part.strip()!r} has an invalid q weight.") from None
        if tag:
            wanted.append((-weight, position, tag.lower()))
    keys = {key.lower(): key for key in language_map}
    for _weight, _position, tag in sorted(wanted):
        if tag == "*":
            key = next((key for key in language_map if key != "@none"), next(iter(language_map)))
            return key, language_map[key]
        if tag in keys:
            return keys[tag], language_map[keys[tag]]
        for lowered, key in keys.items():
            if lowered.startswith(tag + "-"):
                return key, language_map[key]
    key = "@none" if "@none" in language_map else next(iter(language_map))
    return key, language_map[key]


def _geometry(entity: dict[str, Any], iri: str) -> dict[str, Any] | None:
    instances = entity["attrs"].get(iri) or []
    # The default instance first: a multi-attribute location answers with its main geometry.
    for instance in sorted(instances, key=lambda item: "datasetId" in item):
        if instance.get("type") == "GeoProperty":
            value: dict[str, Any] = instance["value"]
            return value
    return None


def _one_or_list(values: list[Any]) -> Any:
    return values[0] if len(values) == 1 else values


def _map(value: Any, function: Any) -> Any:
    if isinstance(value, list):
        return [function(item) for item in value]
    return function(value)
