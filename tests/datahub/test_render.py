"""Internal form → answers: NGSI-LD 4.5.1 normalized, 4.5.x concise, 4.5.4 keyValues, 4.8
sysAttrs, 4.15 lang, 4.21 pick/omit, 4.5.16 GeoJSON, and round trips through normalize."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from mutualis.datahub.ngsild.context import CORE_CONTEXT_URL, active_context, core_context
from mutualis.datahub.ngsild.errors import BadRequestData
from mutualis.datahub.ngsild.normalize import entity_from_payload
from mutualis.datahub.ngsild.render import (
    check_pick_omit,
    pick_language,
    render_attribute,
    render_entity,
    render_geojson,
)

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
STAMP = "2026-11-23T10:00:00.000Z"
EX = "https://example.org/"
USER_CONTEXT = {
    "ex": EX,
    "Lamp": "ex:Lamp",
    "temperature": "ex:temperature",
    "site": "ex:site",
    "state": "ex:state",
    "on": "ex:on",
}
POINT = {"type": "Point", "coordinates": [2.13, 48.8]}
NORMALIZED = {
    "id": "urn:ngsi-ld:Lamp:1",
    "type": "Lamp",
    "scope": "/Versailles",
    "location": {"type": "GeoProperty", "value": POINT},
    "temperature": [
        {
            "type": "Property",
            "value": 20.5,
            "unitCode": "CEL",
            "observedAt": "2026-11-23T09:00:00.000Z",
            "ex:accuracy": {"type": "Property", "value": 0.5},
        },
        {"type": "Property", "value": 21, "datasetId": "urn:ngsi-ld:Dataset:raw"},
    ],
    "site": {"type": "Relationship", "object": "urn:ngsi-ld:Site:1", "objectType": "ex:Site"},
    "name": {"type": "LanguageProperty", "languageMap": {"fr": "Lampadaire", "en": "Streetlight"}},
    "state": {"type": "VocabProperty", "vocab": "on"},
    "levels": {"type": "ListProperty", "valueList": [1, 2]},
    "route": {"type": "ListRelationship", "objectList": [{"object": "urn:a:1"}]},
    "config": {"type": "Property", "value": {"mode": "eco"}},
    "shape": {"type": "Property", "value": POINT},
}


def ctx() -> Any:
    return active_context(USER_CONTEXT)


def entity() -> dict[str, Any]:
    return entity_from_payload(NORMALIZED, ctx(), now=NOW)


def test_normalized_round_trip() -> None:
    # 4.5.1: what a client sent in normalized form comes back identical (names compacted
    # through the same context, multi-attributes as lists, single instances as objects).
    assert render_entity(entity(), ctx()) == NORMALIZED


def test_concise_rendering() -> None:
    # 4.5.x: types go wherever the members already say them.
    concise = render_entity(entity(), ctx(), fmt="concise")
    assert concise == {
        "id": "urn:ngsi-ld:Lamp:1",
        "type": "Lamp",
        "scope": "/Versailles",
        "location": POINT,
        "temperature": [
            {"value": 20.5, "unitCode": "CEL", "observedAt": "2026-11-23T09:00:00.000Z", "ex:accuracy": 0.5},
            {"value": 21, "datasetId": "urn:ngsi-ld:Dataset:raw"},
        ],
        "site": {"object": "urn:ngsi-ld:Site:1", "objectType": "ex:Site"},
        "name": {"languageMap": {"fr": "Lampadaire", "en": "Streetlight"}},
        "state": {"vocab": "on"},
        "levels": {"valueList": [1, 2]},
        "route": {"objectList": [{"object": "urn:a:1"}]},
        # An object value stays wrapped, and a Property holding a geometry keeps its type.
        "config": {"value": {"mode": "eco"}},
        "shape": {"type": "Property", "value": POINT},
    }


def test_concise_round_trip_is_lossless() -> None:
    # 4.5.x: the concise representation parses back to the same internal form.
    concise = render_entity(entity(), ctx(), fmt="concise")
    assert entity_from_payload(concise, ctx(), now=NOW) == entity()


def test_key_values_rendering() -> None:
    # 4.5.4: attribute → value; a multi-attribute → the list of its values.
    assert render_entity(entity(), ctx(), fmt="keyValues") == {
        "id": "urn:ngsi-ld:Lamp:1",
        "type": "Lamp",
        "scope": "/Versailles",
        "location": POINT,
        "temperature": [20.5, 21],
        "site": "urn:ngsi-ld:Site:1",
        "name": {"languageMap": {"fr": "Lampadaire", "en": "Streetlight"}},
        "state": {"vocab": "on"},
        "levels": {"valueList": [1, 2]},
        "route": {"objectList": ["urn:a:1"]},
        "config": {"mode": "eco"},
        "shape": POINT,
    }
    assert render_entity(entity(), ctx(), fmt="simplified") == render_entity(entity(), ctx(), fmt="keyValues")


def test_core_context_answers_with_expanded_names() -> None:
    # Compaction is through the client's context: the core context alone gives back full IRIs
    # for terms only the user context defined, and default-context terms compact back.
    answer = render_entity(
        entity(), core_context(), attrs={EX + "temperature", "https://uri.etsi.org/ngsi-ld/location"}
    )
    assert set(answer) == {"id", "type", "scope", "location", EX + "temperature"}
    assert answer["type"] == EX + "Lamp"
    assert "ex:accuracy" not in answer[EX + "temperature"][0]
    assert answer[EX + "temperature"][0][EX + "accuracy"] == {"type": "Property", "value": 0.5}
    assert render_entity(entity(), core_context(), attrs=set())["id"] == "urn:ngsi-ld:Lamp:1"


def test_sys_attrs_on_entity_and_instances() -> None:
    # 4.8
    answer = render_entity(entity(), ctx(), sys_attrs=True, attrs={EX + "site"})
    assert answer["createdAt"] == STAMP
    assert answer["modifiedAt"] == STAMP
    assert answer["site"]["createdAt"] == STAMP
    assert "createdAt" not in render_entity(entity(), ctx())["site"]
    concise = render_entity(entity(), ctx(), fmt="concise", sys_attrs=True)
    assert concise["location"] == {"value": POINT, "createdAt": STAMP, "modifiedAt": STAMP}


@pytest.mark.parametrize(
    ("lang", "fmt", "expected"),
    [
        ("en", "normalized", {"type": "Property", "value": "Streetlight", "lang": "en"}),
        ("de,fr;q=0.5", "normalized", {"type": "Property", "value": "Lampadaire", "lang": "fr"}),
        ("fr", "concise", {"value": "Lampadaire", "lang": "fr"}),
        ("fr", "keyValues", "Lampadaire"),
    ],
)
def test_lang_renders_language_properties_as_properties(lang: str, fmt: str, expected: Any) -> None:
    # 4.15
    assert render_entity(entity(), ctx(), fmt=fmt, lang=lang)["name"] == expected


@pytest.mark.parametrize(
    ("language_map", "lang", "expected"),
    [
        ({"fr": "a", "en": "b"}, "en-GB,fr;q=0.1", ("fr", "a")),
        ({"fr": "a", "en-GB": "b"}, "en", ("en-GB", "b")),
        ({"fr": "a", "@none": "n"}, "de", ("@none", "n")),
        ({"fr": "a", "en": "b"}, "de", ("fr", "a")),
        ({"@none": "n", "en": "b"}, "*", ("en", "b")),
        ({"fr": "a", "EN": "b"}, "en", ("EN", "b")),
    ],
)
def test_pick_language(language_map: dict[str, str], lang: str, expected: tuple[str, str]) -> None:
    # 4.15: best match by q weight, sub-tags, "*", then "@none", then any.
    assert pick_language(language_map, lang) == expected


def test_lang_with_a_bad_weight_is_refused() -> None:
    with pytest.raises(BadRequestData, match="'fr;q=high' has an invalid q weight"):
        pick_language({"fr": "a"}, "fr;q=high")


@pytest.mark.parametrize(
    ("pick", "omit", "expected_keys"),
    [
        ({"temperature", "id"}, None, {"id", "temperature"}),
        ({"type", EX + "site"}, None, {"type", "site"}),
        (
            None,
            {"id", "type", "scope", "temperature", "name", "state", "levels", "route", "config", "shape"},
            {"location", "site"},
        ),
    ],
)
def test_pick_and_omit(pick: set[str] | None, omit: set[str] | None, expected_keys: set[str]) -> None:
    # 4.21: projection over id, type and attribute names (compact or expanded).
    assert set(render_entity(entity(), ctx(), pick=pick, omit=omit)) == expected_keys


@pytest.mark.parametrize(
    ("pick", "omit", "message"),
    [
        ({"a"}, {"b"}, "'pick' and 'omit' cannot be used together"),
        (set(), None, "need at least one name"),
    ],
)
def test_pick_omit_check(pick: set[str] | None, omit: set[str] | None, message: str) -> None:
    with pytest.raises(BadRequestData, match=message):
        check_pick_omit(pick, omit)


def test_attrs_keeps_id_and_type() -> None:
    answer = render_entity(entity(), ctx(), attrs={EX + "site"})
    assert set(answer) == {"id", "type", "scope", "site"}


def test_with_context() -> None:
    # 6.3.6: application/ld+json answers carry their @context.
    assert render_entity(entity(), ctx(), with_context=True)["@context"] == [USER_CONTEXT, CORE_CONTEXT_URL]
    assert render_entity(entity(), core_context(), with_context=True)["@context"] == CORE_CONTEXT_URL


def test_unknown_format_is_refused() -> None:
    with pytest.raises(BadRequestData, match="Unknown representation 'pretty'"):
        render_entity(entity(), ctx(), fmt="pretty")


def test_render_attribute_single_and_multi() -> None:
    attrs = entity()["attrs"]
    assert render_attribute(attrs[EX + "site"], ctx(), fmt="keyValues") == "urn:ngsi-ld:Site:1"
    assert len(render_attribute(attrs[EX + "temperature"], ctx())) == 2


def test_geojson_feature_collection() -> None:
    # 4.5.16: Features whose geometry is the chosen GeoProperty, properties the entity.
    other = entity_from_payload({"id": "urn:ngsi-ld:Lamp:2", "type": "Lamp"}, ctx(), now=NOW)
    collection = render_geojson(
        [entity(), other],
        ctx(),
        fmt="keyValues",
        attrs={EX + "site", "https://uri.etsi.org/ngsi-ld/location"},
        with_context=True,
    )
    assert collection == {
        "type": "FeatureCollection",
        "features": [
            {
                "id": "urn:ngsi-ld:Lamp:1",
                "type": "Feature",
                "geometry": POINT,
                "properties": {
                    "type": "Lamp",
                    "scope": "/Versailles",
                    "location": POINT,
                    "site": "urn:ngsi-ld:Site:1",
                },
            },
            {"id": "urn:ngsi-ld:Lamp:2", "type": "Feature", "geometry": None, "properties": {"type": "Lamp"}},
        ],
        "@context": [USER_CONTEXT, CORE_CONTEXT_URL],
    }


def test_geojson_geometry_property_and_non_geo_attribute() -> None:
    # 4.5.16: geometryProperty names another GeoProperty; a Property holding GeoJSON is no geometry.
    lamp = entity_from_payload(
        {**NORMALIZED, "area": {"type": "GeoProperty", "value": POINT}}, ctx(), now=NOW
    )
    assert render_geojson([lamp], ctx(), geometry_property="area")["features"][0]["geometry"] == POINT
    assert render_geojson([lamp], ctx(), geometry_property="shape")["features"][0]["geometry"] is None
