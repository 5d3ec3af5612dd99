"""Client payloads → internal form (NGSI-LD 4.5.1 normalized, 4.5.x concise, 4.6.2 names,
4.8 system attributes, 5.2 NGSI-LD Null). Pure: no database."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from mutualis.datahub.ngsild.context import active_context, core_context
from mutualis.datahub.ngsild.errors import BadRequestData
from mutualis.datahub.ngsild.normalize import (
    attribute_from_payload,
    attributes_from_payload,
    entity_from_payload,
    is_instance_list,
    types_from_payload,
    validate_entity_id,
)

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
STAMP = "2026-11-23T10:00:00.000Z"
CORE = "https://uri.etsi.org/ngsi-ld/"
DEFAULT = "https://uri.etsi.org/ngsi-ld/default-context/"
EX = "https://example.org/"
USER_CONTEXT = {
    "ex": EX,
    "Lamp": "ex:Lamp",
    "temperature": "ex:temperature",
    "accuracy": "ex:accuracy",
    "site": "ex:site",
    "status": {"@id": "ex:status", "@type": "@vocab"},
    "on": "ex:on",
}
POINT = {"type": "Point", "coordinates": [2.13, 48.8]}


def user_ctx() -> Any:
    return active_context(USER_CONTEXT)


def stamped(instance: dict[str, Any]) -> dict[str, Any]:
    return {**instance, "createdAt": STAMP, "modifiedAt": STAMP}


def test_normalized_entity_with_core_context() -> None:
    # NGSI-LD 4.5.1: the normalized representation, every term through the core context.
    payload = {
        "id": "urn:ngsi-ld:Streetlight:0001",
        "type": "Streetlight",
        "scope": "/Versailles/Eclairage",
        "createdAt": "2020-01-01T00:00:00Z",  # 4.8: system attribute, ignored
        "location": {"type": "GeoProperty", "value": POINT},
        "luminosity": {
            "type": "Property",
            "value": 21.5,
            "unitCode": "CEL",
            "observedAt": "2026-11-23T11:00:00+01:00",
            "accuracy": {"type": "Property", "value": 0.5, "createdAt": "ignored"},
        },
        "site": {"type": "Relationship", "object": "urn:ngsi-ld:Site:42", "objectType": "Site"},
    }
    entity = entity_from_payload(payload, core_context(), now=NOW)
    assert entity == {
        "id": "urn:ngsi-ld:Streetlight:0001",
        "type": [DEFAULT + "Streetlight"],
        "scope": ["/Versailles/Eclairage"],
        "createdAt": STAMP,
        "modifiedAt": STAMP,
        "attrs": {
            CORE + "location": [stamped({"type": "GeoProperty", "value": POINT})],
            DEFAULT + "luminosity": [
                stamped(
                    {
                        "type": "Property",
                        "value": 21.5,
                        "unitCode": "CEL",
                        # 4.6.3: DateTimes are kept in UTC, millisecond precision.
                        "observedAt": "2026-11-23T10:00:00.000Z",
                        DEFAULT + "accuracy": {"type": "Property", "value": 0.5},
                    }
                )
            ],
            DEFAULT + "site": [
                stamped(
                    {"type": "Relationship", "object": "urn:ngsi-ld:Site:42", "objectType": DEFAULT + "Site"}
                )
            ],
        },
    }


CONCISE_CASES = [
    # (clause, concise attribute, internal instance without system attributes)
    ("4.5.x bare value", 21.5, {"type": "Property", "value": 21.5}),
    ("4.5.x bare string URI is still a Property", "urn:x:1", {"type": "Property", "value": "urn:x:1"}),
    ("4.5.x bare list", [1, 2], {"type": "Property", "value": [1, 2]}),
    ("4.5.x object value", {"a": 1}, {"type": "Property", "value": {"a": 1}}),
    ("4.5.x value member", {"value": {"a": 1}}, {"type": "Property", "value": {"a": 1}}),
    (
        "4.5.x sub-attribute",
        {"value": 20, "accuracy": 0.5},
        {"type": "Property", "value": 20, EX + "accuracy": {"type": "Property", "value": 0.5}},
    ),
    (
        "4.5.x object",
        {"object": "urn:ngsi-ld:Site:1"},
        {"type": "Relationship", "object": "urn:ngsi-ld:Site:1"},
    ),
    (
        "4.5.x object list",
        {"object": ["urn:a:1", "urn:a:2"]},
        {"type": "Relationship", "object": ["urn:a:1", "urn:a:2"]},
    ),
    (
        "4.5.18 languageMap",
        {"languageMap": {"fr": "Lampadaire", "en": "Streetlight"}},
        {"type": "LanguageProperty", "languageMap": {"fr": "Lampadaire", "en": "Streetlight"}},
    ),
    ("4.5.20 vocab expanded", {"vocab": "on"}, {"type": "VocabProperty", "vocab": EX + "on"}),
    ("4.5.21 valueList", {"valueList": [3, 1, 2]}, {"type": "ListProperty", "valueList": [3, 1, 2]}),
    (
        "4.5.22 objectList of bare URIs",
        {"objectList": ["urn:a:1", {"object": "urn:a:2"}]},
        {"type": "ListRelationship", "objectList": [{"object": "urn:a:1"}, {"object": "urn:a:2"}]},
    ),
    ("4.5.x GeoJSON value under any term", {"value": POINT}, {"type": "GeoProperty", "value": POINT}),
    ("4.5.x bare GeoJSON", POINT, {"type": "GeoProperty", "value": POINT}),
]


@pytest.mark.parametrize(("clause", "concise", "expected"), CONCISE_CASES, ids=[c[0] for c in CONCISE_CASES])
def test_concise_attribute(clause: str, concise: object, expected: dict[str, Any]) -> None:
    attrs = attributes_from_payload({"temperature": concise}, user_ctx(), now=NOW)
    assert attrs == {EX + "temperature": [stamped(expected)]}


def test_location_is_a_geoproperty_by_the_core_context() -> None:
    # 4.7: location is a GeoProperty; concise {"value": …} under it needs no type.
    attrs = attributes_from_payload({"location": {"value": POINT}}, core_context(), now=NOW)
    assert attrs[CORE + "location"][0]["type"] == "GeoProperty"


def test_multi_attribute_keeps_one_instance_per_dataset_id() -> None:
    # 4.5.5: a list of instances, told apart by datasetId.
    payload = {
        "temperature": [
            {"value": 20.1},
            {"type": "Property", "value": 20.4, "datasetId": "urn:ngsi-ld:Dataset:raw"},
        ]
    }
    attrs = attributes_from_payload(payload, user_ctx(), now=NOW)
    assert attrs[EX + "temperature"] == [
        stamped({"type": "Property", "value": 20.1}),
        stamped({"type": "Property", "value": 20.4, "datasetId": "urn:ngsi-ld:Dataset:raw"}),
    ]


def test_user_context_types_and_duplicates() -> None:
    # 4.16: several types, expanded; repeated ones count once.
    assert types_from_payload(["Lamp", "ex:Lamp", "Other"], user_ctx()) == [EX + "Lamp", DEFAULT + "Other"]


def test_partial_fragments_accept_members_without_value_and_null() -> None:
    # 5.6.4 / 5.6.17: a fragment may change only observedAt; NGSI-LD Null marks deletions (5.2).
    attrs = attributes_from_payload(
        {
            "temperature": {"observedAt": "2026-11-23T10:00:00Z", "accuracy": "urn:ngsi-ld:null"},
            "site": "urn:ngsi-ld:null",
            "location": "urn:ngsi-ld:null",
        },
        user_ctx(),
        now=NOW,
        partial=True,
    )
    assert attrs[EX + "temperature"] == [
        stamped({"observedAt": STAMP, EX + "accuracy": {"value": "urn:ngsi-ld:null"}})
    ]
    assert attrs[EX + "site"] == [stamped({"value": "urn:ngsi-ld:null"})]
    assert attrs[CORE + "location"] == [stamped({"value": "urn:ngsi-ld:null"})]


def test_attribute_from_payload_for_one_attribute() -> None:
    instances = attribute_from_payload(
        EX + "temperature", {"value": 3, "unitCode": "CEL"}, user_ctx(), now=NOW
    )
    assert instances == [stamped({"type": "Property", "value": 3, "unitCode": "CEL"})]


def test_is_instance_list_tells_multi_attributes_from_list_values() -> None:
    assert is_instance_list([{"value": 1}, {"value": 2, "datasetId": "urn:d:1"}])
    assert not is_instance_list([{"a": 1}])
    assert not is_instance_list([])
    assert not is_instance_list([1, 2])


@pytest.mark.parametrize("value", ["urn:ngsi-ld:Lamp:1", "https://example.org/lamps/1", "urn:ngsi-ld:Lamp:é"])
def test_entity_ids_are_uris(value: str) -> None:
    # 5.2.2 / 4.3
    assert validate_entity_id(value) == value


ENTITY = {"id": "urn:ngsi-ld:Lamp:1", "type": "Lamp"}
BAD_ENTITIES: list[tuple[str, object, str]] = [
    # (clause, payload, what the detail must say)
    ("5.2.2", ["not", "an", "object"], "An entity must be a JSON object"),
    ("5.2.2", {"type": "Lamp"}, "The entity has no 'id'"),
    ("5.2.2", {"id": "Lamp1", "type": "Lamp"}, "id must be a URI (scheme:rest, no spaces), not 'Lamp1'"),
    ("5.2.2", {"id": "urn:ngsi-ld:Lamp 1", "type": "Lamp"}, "id must be a URI"),
    ("5.2.2", {"id": 12, "type": "Lamp"}, "id must be a URI string, not 12"),
    ("5.2.2", {"id": "urn:x:1"}, "The entity 'urn:x:1' has no 'type'"),
    ("4.16", {**ENTITY, "type": 42}, "'type' must be a type name or a non-empty list of type names, not 42"),
    ("4.16", {**ENTITY, "type": []}, "'type' must be a type name or a non-empty list"),
    ("4.6.2", {**ENTITY, "type": "Lamp<1>"}, "type: the name 'Lamp<1>' contains the forbidden character '<'"),
    (
        "4.6.2",
        {**ENTITY, "bad name": 1},
        "Attribute 'bad name': the name 'bad name' contains the forbidden character ' '",
    ),
    ("4.6.2", {**ENTITY, "a=b": 1}, "contains the forbidden character '='"),
    ("4.6.2", {**ENTITY, "@id": 1}, "'@id' is a JSON-LD keyword"),
    (
        "4.8",
        {**ENTITY, "createdAt": {"type": "Property", "value": 1}},
        "Attribute 'createdAt': this name is reserved",
    ),
    ("4.5.1", {**ENTITY, "observedAt": {"value": 1}}, "Attribute 'observedAt': this name is reserved"),
    ("4.18", {**ENTITY, "scope": "Versailles"}, "'scope' 'Versailles' is not a scope"),
    ("4.5.1", {**ENTITY, "t": {"type": "Property"}}, "Attribute 't': a Property needs 'value'"),
    (
        "4.5.1",
        {**ENTITY, "t": {"type": "Property", "object": "urn:a:1"}},
        "a Property carries 'value', not 'object'",
    ),
    (
        "4.5.1",
        {**ENTITY, "t": {"value": 1, "object": "urn:a:1"}},
        "Attribute 't' has both 'value' and 'object'",
    ),
    ("4.5.1", {**ENTITY, "t": {"type": "Thing", "value": 1}}, "Attribute 't': 'type' is 'Thing', not one of"),
    ("4.5.1", {**ENTITY, "t": {"observedAt": "2026-01-01T00:00:00Z"}}, "Attribute 't' has no value"),
    ("5.2", {**ENTITY, "t": None}, "Attribute 't': null is not a value in NGSI-LD"),
    ("5.2", {**ENTITY, "t": {"type": "Property", "value": None}}, "'value' must not be null"),
    ("5.2", {**ENTITY, "t": "urn:ngsi-ld:null"}, "is only allowed in a merge or a partial update"),
    (
        "4.5.1",
        {**ENTITY, "r": {"type": "Relationship", "object": "Site 1"}},
        "Attribute 'r': object must be a URI",
    ),
    ("4.5.1", {**ENTITY, "r": {"object": []}}, "'object' must be a URI or a non-empty list of URIs"),
    ("4.5.1", {**ENTITY, "t": {"value": 1, "objectType": "Site"}}, "objectType belongs to relationships"),
    (
        "4.7",
        {**ENTITY, "location": {"type": "Relationship", "object": "urn:a:1"}},
        "Attribute 'location' is a GeoProperty by the NGSI-LD core context; a Relationship was sent",
    ),
    (
        "4.7",
        {**ENTITY, "location": "Versailles"},
        "Attribute 'location': value must be a GeoJSON geometry object",
    ),
    (
        "4.7",
        {**ENTITY, "location": {"type": "Point", "coordinates": [200, 48]}},
        "longitude 200 is outside [-180, 180]",
    ),
    (
        "4.5.5",
        {**ENTITY, "t": [{"value": 1}, {"value": 2}]},
        "Attribute 't' has more than one instance without datasetId",
    ),
    (
        "4.5.5",
        {**ENTITY, "t": [{"value": 1, "datasetId": "urn:d:1"}, {"value": 2, "datasetId": "urn:d:1"}]},
        "more than one instance with datasetId 'urn:d:1'",
    ),
    ("4.5.5", {**ENTITY, "t": {"value": 1, "datasetId": "raw"}}, "Attribute 't': datasetId must be a URI"),
    (
        "4.5.1",
        {**ENTITY, "t": {"value": 1, "observedAt": "yesterday"}},
        "Attribute 't': observedAt is not an ISO 8601",
    ),
    (
        "4.5.1",
        {**ENTITY, "t": {"value": 1, "unitCode": 3}},
        "Attribute 't': unitCode must be a UN/CEFACT code string",
    ),
    (
        "4.5.1",
        {**ENTITY, "t": {"value": 1, "s": [{"value": 1}]}},
        "Attribute 't.s': a sub-attribute has one instance",
    ),
    (
        "4.5.1",
        {**ENTITY, "t": {"value": 1, "s": {"type": "Property"}}},
        "Attribute 't.s': a Property needs 'value'",
    ),
    ("4.5.18", {**ENTITY, "t": {"languageMap": {"fr": 3}}}, "languageMap['fr'] must be a string"),
    ("4.5.20", {**ENTITY, "t": {"vocab": 3}}, "'vocab' must be a term or a non-empty list of terms"),
    ("4.5.21", {**ENTITY, "t": {"valueList": 3}}, "'valueList' must be a JSON array, not 3"),
    ("4.5.22", {**ENTITY, "t": {"objectList": ["nope"]}}, "objectList item must be a URI"),
    (
        "4.6.2",
        {**ENTITY, "temperature": 1, "ex:temperature": 2},
        "are the same attribute (https://example.org/temperature)",
    ),
]


@pytest.mark.parametrize(
    ("clause", "payload", "message"), BAD_ENTITIES, ids=[f"{c[0]}-{c[2][:30]}" for c in BAD_ENTITIES]
)
def test_bad_input_is_refused_with_a_precise_detail(clause: str, payload: object, message: str) -> None:
    with pytest.raises(BadRequestData) as caught:
        entity_from_payload(payload, user_ctx(), now=NOW)
    assert message in caught.value.detail
    assert caught.value.as_problem()["status"] == 400


def test_fragment_must_be_an_object() -> None:
    with pytest.raises(BadRequestData, match="The attributes must be a JSON object"):
        attributes_from_payload([1], core_context(), now=NOW)
