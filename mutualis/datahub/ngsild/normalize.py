"""Client payloads → the hub's internal entity form (see `mutualis.datahub.ngsild`).

Accepts the normalized representation (NGSI-LD 4.5.1) and the concise one (4.5.x):
every attribute name is checked (4.6.2) and expanded through the request's @context once,
here; every error is a BadRequestData whose detail names the attribute path and the
problem, so that a client can fix its payload without guessing.

An observedAt more than `timestamps.MAX_AHEAD` ahead of `now` (when the hub received the
payload) is refused (`AheadOfClock`): received now, a value cannot have been observed later
(4.8), and kept, it would stay the current value of an observed attribute until its time
came. Only the temporal API (`future=True`) takes such values: a temporal representation
(4.5.7) may hold a forecast, kept as history.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol

from mutualis.lib.json_input import MAX_DEPTH, too_deep

from .errors import BadRequestData
from .geo import validate_geometry
from .timestamps import AheadOfClock, ahead_of_clock, format_instant, horizon, parse_instant

# 5.2: the URI that stands for "delete this" in merge and partial update payloads.
NGSI_LD_NULL = "urn:ngsi-ld:null"

NGSI_LD_CORE = "https://uri.etsi.org/ngsi-ld/"
# 4.7: the core context declares these three as GeoProperties.
GEO_ATTRIBUTE_IRIS = frozenset(
    NGSI_LD_CORE + name for name in ("location", "observationSpace", "operationSpace")
)

# The member carrying each attribute type's value (4.5.1, 4.5.18-4.5.22).
VALUE_MEMBERS: dict[str, str] = {
    "Property": "value",
    "GeoProperty": "value",
    "Relationship": "object",
    "LanguageProperty": "languageMap",
    "VocabProperty": "vocab",
    "ListProperty": "valueList",
    "ListRelationship": "objectList",
    "JsonProperty": "json",
}
ATTRIBUTE_TYPES = frozenset(VALUE_MEMBERS)
# Concise representation: the value member alone says the type (4.5.x).
_TYPE_OF_MEMBER = {
    "value": "Property",
    "object": "Relationship",
    "languageMap": "LanguageProperty",
    "vocab": "VocabProperty",
    "valueList": "ListProperty",
    "objectList": "ListRelationship",
    "json": "JsonProperty",
}
# Members set by the broker (4.8) or only ever sent by it (4.15 "lang", 4.5.23 "entity"):
# dropped from payloads, so that a client may send back what it read.
SYSTEM_MEMBERS = frozenset({"createdAt", "modifiedAt", "deletedAt", "instanceId", "lang", "entity"})
_ENTITY_SYSTEM_MEMBERS = frozenset({"createdAt", "modifiedAt", "deletedAt"})
# Core members of an attribute instance; every other member is a sub-attribute.
CORE_MEMBERS = frozenset(
    {"type", "observedAt", "unitCode", "datasetId", "objectType", "valueType"}
    | set(_TYPE_OF_MEMBER)
    | SYSTEM_MEMBERS
)
# Entity members that are not attributes (4.5.1, 4.18).
ENTITY_MEMBERS = frozenset({"id", "type", "scope", "@context"})

GEOJSON_GEOMETRY_TYPES = frozenset(
    {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection"}
)

# 4.6.2: a term may not contain these (they would break the query language and URLs);
# control characters and whitespace are refused as well.
_FORBIDDEN_IN_NAME = re.compile(r"""[<>"'=;()\s\x00-\x1f\x7f]""")
# RFC 3986 scheme ":" something; no whitespace nor characters that are never valid in a
# URI. Strict enough to refuse plain names ("Streetlight1") and pasted text.
_URI = re.compile(r"""^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>"{}|\\^`]+$""")
# 4.18: a scope is a "/"-separated path, e.g. "/Versailles/Eclairage".
_SCOPE = re.compile(r"^(/[^/\s#+]+)+$")
# A batch stamps each of its instances with the same instant: formatted once.
_stamp = lru_cache(maxsize=64)(format_instant)


class TermContext(Protocol):
    """What normalization and rendering need from an `context.ActiveContext`."""

    def expand_term(self, term: str) -> str: ...
    def compact_iri(self, iri: str) -> str: ...
    def expand_vocab(self, value: str) -> str: ...
    def compact_vocab(self, iri: str) -> str: ...
    def response_context(self) -> list[Any] | str: ...


def is_uri(value: object) -> bool:
    return isinstance(value, str) and _URI.match(value) is not None


def validate_uri(value: object, *, field: str) -> str:
    if not isinstance(value, str):
        raise BadRequestData(f"{field} must be a URI string, not {_show(value)}.")
    if not _URI.match(value):
        raise BadRequestData(f"{field} must be a URI (scheme:rest, no spaces), not {value!r}.")
    return value


# The longest entity id, type or attribute IRI and datasetId the hub stores (their columns:
# Entity.entity_id and .type, Attribute.iri, AttributeInstance.dataset_id). Longer, PostgreSQL
# refused the row and the request failed with a 500.
MAX_IDENTIFIER = 512


def bounded(value: str, *, field: str) -> str:
    """`value` when the hub can store it as an identifier, else BadRequestData."""
    if len(value) > MAX_IDENTIFIER:
        raise BadRequestData(
            f"{field}: {value[:60]!r}… is {len(value):,} characters long; at most {MAX_IDENTIFIER} are stored."
        )
    return value


def validate_entity_id(value: object, *, field: str = "id") -> str:
    """NGSI-LD 5.2.2 / 4.3: an entity id is a URI, e.g. "urn:ngsi-ld:Streetlight:0001"."""
    return bounded(validate_uri(value, field=field), field=field)


def validate_name(name: object, *, field: str) -> str:
    """NGSI-LD 4.6.2: an attribute or type name is a JSON-LD term or an absolute IRI."""
    if not isinstance(name, str) or not name:
        raise BadRequestData(f"{field}: a name must be a non-empty string, not {_show(name)}.")
    if bad := _FORBIDDEN_IN_NAME.search(name):
        raise BadRequestData(
            f"{field}: the name {name!r} contains the forbidden character {bad.group()!r} (NGSI-LD 4.6.2)."
        )
    if name.startswith("@"):
        raise BadRequestData(f"{field}: {name!r} is a JSON-LD keyword, not an attribute name.")
    return name


def types_from_payload(value: object, ctx: TermContext) -> list[str]:
    """An entity's "type": one name or a non-empty list of names (4.16), expanded."""
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names:
        raise BadRequestData(
            f"'type' must be a type name or a non-empty list of type names, not {_show(value)}."
        )
    types: list[str] = []
    for name in names:
        iri = bounded(ctx.expand_term(validate_name(name, field="type")), field="type")
        if iri not in types:
            types.append(iri)
    return types


def scopes_from_payload(value: object) -> list[str]:
    """An entity's "scope" (4.18): one scope or a list of scopes such as "/Versailles/Eclairage"."""
    scopes = [value] if isinstance(value, str) else value
    if not isinstance(scopes, list) or not scopes:
        raise BadRequestData(f"'scope' must be a scope or a non-empty list of scopes, not {_show(value)}.")
    for scope in scopes:
        if not isinstance(scope, str) or not _SCOPE.match(scope):
            raise BadRequestData(
                f"'scope' {scope!r} is not a scope: it must start with '/' and have non-empty "
                "'/'-separated levels without spaces, '#' or '+' (NGSI-LD 4.18)."
            )
    return list(dict.fromkeys(scopes))


def entity_from_payload(payload: object, ctx: TermContext, *, now: datetime) -> dict[str, Any]:
    """A whole entity (create, replace, batch upsert) in the internal form."""
    if not isinstance(payload, dict):
        raise BadRequestData(f"An entity must be a JSON object, not {_show(payload)}.")
    if "id" not in payload:
        raise BadRequestData("The entity has no 'id' (a URI such as urn:ngsi-ld:Type:1).")
    if "type" not in payload:
        raise BadRequestData(f"The entity {payload['id']!r} has no 'type'.")
    stamp = _stamp(now)
    entity: dict[str, Any] = {
        "id": validate_entity_id(payload["id"]),
        "type": types_from_payload(payload["type"], ctx),
    }
    if "scope" in payload:
        entity["scope"] = scopes_from_payload(payload["scope"])
    entity["createdAt"] = stamp
    entity["modifiedAt"] = stamp
    entity["attrs"] = _attributes(payload, ctx, now=now, partial=False)
    return entity


def attributes_from_payload(
    payload: object, ctx: TermContext, *, now: datetime, partial: bool = False
) -> dict[str, list[dict[str, Any]]]:
    """The attributes of an entity fragment (append 5.6.3, update 5.6.2, merge 5.6.17).

    Entity members ("id", "type", "scope", "@context") are left to the caller. With
    `partial` (merge and partial update: 5.6.17, 5.6.4) an instance may come without its
    value member (only its observedAt or a sub-attribute changes) and NGSI-LD Null
    ("urn:ngsi-ld:null") is accepted as a deletion marker (5.2)."""
    if not isinstance(payload, dict):
        raise BadRequestData(f"The attributes must be a JSON object, not {_show(payload)}.")
    return _attributes(payload, ctx, now=now, partial=partial)


def attribute_from_payload(
    attr_iri: str,
    value: object,
    ctx: TermContext,
    *,
    now: datetime,
    partial: bool = False,
    future: bool = False,
) -> list[dict[str, Any]]:
    """One attribute (the body of PATCH /entities/{id}/attrs/{attrId}, 5.6.4): its instances.
    `future`: an observedAt may lie ahead of `now` (instances of a temporal representation,
    4.5.7, kept as history: see the module's docstring)."""
    bounded(attr_iri, field="attrId")
    return _attribute(
        ctx.compact_iri(attr_iri), attr_iri, value, ctx, now=now, partial=partial, future=future
    )


def looks_like_geometry(value: object) -> bool:
    """A GeoJSON geometry object (RFC 7946 3.1), as concise GeoProperties are given."""
    return (
        isinstance(value, dict)
        and isinstance(value.get("type"), str)  # a list or an object is no geometry's type
        and value.get("type") in GEOJSON_GEOMETRY_TYPES
        and ("coordinates" in value or "geometries" in value)
    )


def is_instance_list(value: object) -> bool:
    """A multi-attribute (4.5.5): a list of attribute instances, not a list-valued Property."""
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(item, dict) and not CORE_MEMBERS.isdisjoint(item) for item in value)
    )


# The members of the commonest attribute by far, a sensor's reading:
# {"type": "Property", "value": 12.5, "observedAt": "…", "unitCode": "GQ"}.
_PLAIN_MEMBERS = frozenset({"type", "value", "observedAt", "unitCode"})
# Names already found valid (4.6.2), so that a batch of a thousand entities with the same
# four attributes checks each name once; bounded, as names come from clients.
_VALID_NAMES: set[str] = set()
_VALID_NAMES_MAX = 10_000


@lru_cache(maxsize=1024)
def _canonical_instant(text: str) -> str | None:
    """`text` as the hub writes instants, or None when it is not a valid DateTime (the
    general path then says why). A batch's readings share a handful of instants."""
    try:
        return format_instant(parse_instant(text, field="observedAt"))
    except BadRequestData:
        return None


def _plain_property(raw: dict[str, Any], iri: str, stamp: str, latest: str) -> dict[str, Any] | None:
    """The instance of a plain Property (a number or text with observedAt and unitCode),
    built without the general checks it cannot fail; None for anything else, which takes
    the general path (`_instance`), errors included. `latest`: the latest observedAt
    allowed, as the hub writes instants (`timestamps.horizon`)."""
    if raw.get("type") != "Property" or not raw.keys() <= _PLAIN_MEMBERS or iri in GEO_ATTRIBUTE_IRIS:
        return None
    value = raw.get("value")
    kind = type(value)
    if not (kind is float or kind is int or (kind is str and value != NGSI_LD_NULL)):
        return None
    instance: dict[str, Any] = {"type": "Property", "value": value}
    for member, given in raw.items():
        if member == "observedAt":
            observed = _canonical_instant(given) if type(given) is str else None
            if observed is None or observed > latest:
                return None
            instance["observedAt"] = observed
        elif member == "unitCode":
            if type(given) is not str or not given:
                return None
            instance["unitCode"] = given
    instance["createdAt"] = stamp
    instance["modifiedAt"] = stamp
    return instance


def _attributes(
    payload: dict[str, Any], ctx: TermContext, *, now: datetime, partial: bool
) -> dict[str, list[dict[str, Any]]]:
    attrs: dict[str, list[dict[str, Any]]] = {}
    names: dict[str, str] = {}
    stamp = _stamp(now)
    latest = horizon(now)
    for name, raw in payload.items():
        if name in ENTITY_MEMBERS:
            continue
        if name in _ENTITY_SYSTEM_MEMBERS and not isinstance(raw, dict | list):
            # 4.8: createdAt/modifiedAt are the broker's; a client sending back what it
            # read (sysAttrs) is not an error, they are just ignored.
            continue
        if name in CORE_MEMBERS:
            raise BadRequestData(
                f"Attribute {name!r}: this name is reserved by NGSI-LD (a member of attributes or a system attribute)."
            )
        if name not in _VALID_NAMES:
            validate_name(name, field=f"Attribute {name!r}")
            if len(_VALID_NAMES) < _VALID_NAMES_MAX:
                _VALID_NAMES.add(name)
        iri = ctx.expand_term(name)
        if len(iri) > MAX_IDENTIFIER:
            bounded(iri, field=f"Attribute {name[:60]!r}")
        if iri in names:
            raise BadRequestData(f"Attributes {names[iri]!r} and {name!r} are the same attribute ({iri}).")
        names[iri] = name
        plain = _plain_property(raw, iri, stamp, latest) if type(raw) is dict else None
        attrs[iri] = (
            [plain] if plain is not None else _attribute(name, iri, raw, ctx, now=now, partial=partial)
        )
    return attrs


def _attribute(
    name: str,
    iri: str,
    raw: object,
    ctx: TermContext,
    *,
    now: datetime,
    partial: bool,
    future: bool = False,
) -> list[dict[str, Any]]:
    if isinstance(raw, list) and is_instance_list(raw):
        instances = [
            _instance(f"{name}[{index}]", iri, item, ctx, now=now, partial=partial, top=True, future=future)
            for index, item in enumerate(raw)
        ]
    else:
        instances = [_instance(name, iri, raw, ctx, now=now, partial=partial, top=True, future=future)]
    # 4.5.5: one instance per datasetId, and one default instance at most.
    seen: set[str | None] = set()
    for instance in instances:
        dataset_id = instance.get("datasetId")
        if dataset_id in seen:
            which = f"with datasetId {dataset_id!r}" if dataset_id else "without datasetId (default instance)"
            raise BadRequestData(f"Attribute {name!r} has more than one instance {which}.")
        seen.add(dataset_id)
    return instances


def _instance(
    path: str,
    iri: str,
    raw: object,
    ctx: TermContext,
    *,
    now: datetime,
    partial: bool,
    top: bool,
    future: bool,
) -> dict[str, Any]:
    if raw is None:
        raise BadRequestData(
            f"Attribute {path!r}: null is not a value in NGSI-LD (5.2); to delete, use "
            f"{NGSI_LD_NULL!r} in a merge or a partial update."
        )
    if looks_like_geometry(raw):
        members: dict[str, Any] = {"type": "GeoProperty", "value": raw}
    elif isinstance(raw, dict) and not CORE_MEMBERS.isdisjoint(raw):
        members = raw
    elif isinstance(raw, list) and is_instance_list(raw):
        raise BadRequestData(
            f"Attribute {path!r}: a sub-attribute has one instance, not a list of instances."
        )
    else:
        # Concise (4.5.x): anything else is the value of a Property.
        members = {"value": raw}

    kind = members.get("type")
    given = [member for member in _TYPE_OF_MEMBER if member in members]
    if len(given) > 1:
        raise BadRequestData(
            f"Attribute {path!r} has both {given[0]!r} and {given[1]!r}; an attribute has one of them."
        )
    if kind is not None:
        if not isinstance(kind, str) or kind not in ATTRIBUTE_TYPES:
            raise BadRequestData(
                f"Attribute {path!r}: 'type' is {_show(kind)}, not one of {', '.join(sorted(ATTRIBUTE_TYPES))}. "
                "An object value with its own 'type' must be given as {'value': …}."
            )
        expected = VALUE_MEMBERS[kind]
        if given and given[0] != expected:
            raise BadRequestData(f"Attribute {path!r}: a {kind} carries {expected!r}, not {given[0]!r}.")
        if not given and not partial:
            raise BadRequestData(f"Attribute {path!r}: a {kind} needs {expected!r}.")
    elif given:
        kind = _TYPE_OF_MEMBER[given[0]]
        if kind == "Property" and (iri in GEO_ATTRIBUTE_IRIS or looks_like_geometry(members["value"])):
            kind = "GeoProperty"
    elif not partial:
        raise BadRequestData(
            f"Attribute {path!r} has no value: give 'value' (Property), 'object' (Relationship), "
            "'languageMap', 'vocab', 'valueList', 'objectList' or 'json'."
        )
    value_member = given[0] if given else None
    is_null = value_member is not None and _is_null_value(value_member, members[value_member])
    if is_null and not partial:
        raise BadRequestData(
            f"Attribute {path!r}: {NGSI_LD_NULL!r} (NGSI-LD Null) is only allowed in a merge or a partial update."
        )
    if kind is not None and kind != "GeoProperty" and iri in GEO_ATTRIBUTE_IRIS and not is_null:
        raise BadRequestData(
            f"Attribute {path!r} is a GeoProperty by the NGSI-LD core context; a {kind} was sent."
        )

    instance: dict[str, Any] = {}
    if kind is not None and not (is_null and "type" not in members):
        instance["type"] = kind
    if value_member is not None:
        value = members[value_member]
        if isinstance(value, dict | list) and too_deep(value):
            # Stored, it could no longer be merged or copied (each walks it recursively).
            raise BadRequestData(f"Attribute {path!r}: the value nests more than {MAX_DEPTH} levels deep.")
        instance[value_member] = value if is_null else _member_value(path, kind, value_member, value, ctx)
    for member, raw_value in members.items():
        if member in ("type", value_member) or member in SYSTEM_MEMBERS:
            continue
        if member == "observedAt":
            observed = parse_instant(raw_value, field=f"Attribute {path!r}: observedAt")
            ahead = None if future else ahead_of_clock(observed, now)
            if ahead is not None:
                raise AheadOfClock(
                    f"Attribute {path!r}: {ahead}. A value is not observed after the hub receives "
                    "it: set the sender's clock (NTP), or send a forecast through the temporal API "
                    "(POST /ngsi-ld/v1/temporal/entities), which keeps it as history."
                )
            instance[member] = format_instant(observed)
        elif member == "unitCode":
            if not isinstance(raw_value, str) or not raw_value:
                raise BadRequestData(
                    f"Attribute {path!r}: unitCode must be a UN/CEFACT code string, not {_show(raw_value)}."
                )
            instance[member] = raw_value
        elif member == "datasetId":
            instance[member] = bounded(
                validate_uri(raw_value, field=f"Attribute {path!r}: datasetId"),
                field=f"Attribute {path!r}: datasetId",
            )
        elif member == "objectType":
            if kind not in ("Relationship", "ListRelationship", None):
                raise BadRequestData(
                    f"Attribute {path!r}: objectType belongs to relationships, not to a {kind}."
                )
            instance[member] = _expand_names(raw_value, ctx, field=f"Attribute {path!r}: objectType")
        elif member == "valueType":
            if not isinstance(raw_value, str):
                raise BadRequestData(
                    f"Attribute {path!r}: valueType must be a string, not {_show(raw_value)}."
                )
            instance[member] = raw_value
        else:
            sub_path = f"{path}.{member}"
            if member in ENTITY_MEMBERS:
                raise BadRequestData(f"Attribute {sub_path!r}: {member!r} cannot be a sub-attribute name.")
            sub_iri = ctx.expand_term(validate_name(member, field=f"Attribute {sub_path!r}"))
            if sub_iri in instance:
                raise BadRequestData(f"Attribute {sub_path!r} is given twice (as {sub_iri}).")
            instance[sub_iri] = _instance(
                sub_path, sub_iri, raw_value, ctx, now=now, partial=partial, top=False, future=future
            )
    if top:
        # 4.8: system attributes come from the broker's clock only.
        stamp = _stamp(now)
        instance["createdAt"] = stamp
        instance["modifiedAt"] = stamp
    return instance


def _member_value(path: str, kind: str | None, member: str, value: Any, ctx: TermContext) -> Any:
    """Checks (and for vocab, expands) the value member of one instance."""
    where = f"Attribute {path!r}"
    if member == "value":
        if value is None:
            raise BadRequestData(f"{where}: 'value' must not be null.")
        if kind == "GeoProperty":
            validate_geometry(value, field=f"{where}: value")
        return value
    if member == "object":
        objects = value if isinstance(value, list) else [value]
        if not objects:
            raise BadRequestData(f"{where}: 'object' must be a URI or a non-empty list of URIs.")
        for target in objects:
            validate_uri(target, field=f"{where}: object")
        return value
    if member == "languageMap":
        if not isinstance(value, dict) or not value:
            raise BadRequestData(
                f"{where}: 'languageMap' must be a non-empty object of language tag → string."
            )
        for tag, text in value.items():
            texts = text if isinstance(text, list) else [text]
            if not all(isinstance(item, str) for item in texts):
                raise BadRequestData(f"{where}: languageMap[{tag!r}] must be a string or a list of strings.")
        return value
    if member == "vocab":
        names = value if isinstance(value, list) else [value]
        if not names or not all(isinstance(name, str) and name for name in names):
            raise BadRequestData(f"{where}: 'vocab' must be a term or a non-empty list of terms.")
        expanded = [ctx.expand_vocab(name) for name in names]
        return expanded if isinstance(value, list) else expanded[0]
    if member == "valueList":
        if not isinstance(value, list):
            raise BadRequestData(f"{where}: 'valueList' must be a JSON array, not {_show(value)}.")
        return value
    if member == "objectList":
        if not isinstance(value, list):
            raise BadRequestData(f"{where}: 'objectList' must be a JSON array, not {_show(value)}.")
        items = []
        for item in value:
            # Normalized items are {"object": URI}; concise ones are bare URIs (4.5.22).
            target = item.get("object") if isinstance(item, dict) else item
            items.append({"object": validate_uri(target, field=f"{where}: objectList item")})
        return items
    if value is None:  # "json" (JsonProperty, 4.5.24): any JSON but null
        raise BadRequestData(f"{where}: 'json' must not be null.")
    return value


def _is_null_value(member: str, value: Any) -> bool:
    if member == "languageMap":
        return value == {"@none": NGSI_LD_NULL}
    if member in ("valueList", "objectList"):
        return value in ([NGSI_LD_NULL], [{"object": NGSI_LD_NULL}])
    return bool(value == NGSI_LD_NULL)


def _expand_names(value: object, ctx: TermContext, *, field: str) -> str | list[str]:
    names = value if isinstance(value, list) else [value]
    if not names:
        raise BadRequestData(f"{field} must be a type name or a non-empty list of type names.")
    expanded = [ctx.expand_term(validate_name(name, field=field)) for name in names]
    return expanded if isinstance(value, list) else expanded[0]


def _show(value: object) -> str:
    """A value as put in an error detail: short, so that a huge payload does not echo back."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
