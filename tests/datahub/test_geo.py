"""Geo-queries (ETSI GS CIM 009 v1.8, 4.10) and GeoJSON validation (4.7, RFC 7946).
Pure functions: no database."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest

from mutualis.datahub.ngsild.context import active_context, core_context
from mutualis.datahub.ngsild.errors import BadRequestData
from mutualis.datahub.ngsild.geo import (
    LOCATION_IRI,
    GeoQuery,
    geometry_bbox,
    geometry_distance_m,
    haversine_m,
    parse_geoquery,
    validate_geometry,
)

VERSAILLES_CHATEAU = [2.1204, 48.8049]
NOTRE_DAME = [2.3499, 48.8530]
# A box around the château and its gardens.
VERSAILLES_BOX = [[[2.10, 48.79], [2.14, 48.79], [2.14, 48.82], [2.10, 48.82], [2.10, 48.79]]]


def located(geometry: dict[str, Any], *more: dict[str, Any], iri: str = LOCATION_IRI) -> dict[str, Any]:
    instances = [{"type": "GeoProperty", "value": geometry}]
    instances += [
        {"type": "GeoProperty", "value": g, "datasetId": f"urn:ngsi-ld:Dataset:{i}"}
        for i, g in enumerate(more)
    ]
    return {"id": "urn:ngsi-ld:Streetlight:1", "attrs": {iri: instances}}


def point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def geoquery(georel: str, geometry: str, coordinates: Any, geoproperty: str | None = None) -> GeoQuery:
    query = parse_geoquery(
        georel=georel, geometry=geometry, coordinates=coordinates, geoproperty=geoproperty, ctx=core_context()
    )
    assert query is not None
    return query


def test_versailles_to_notre_dame_is_about_17_5_km() -> None:
    distance = haversine_m(*VERSAILLES_CHATEAU, *NOTRE_DAME)
    assert distance == pytest.approx(17_500, rel=0.01)


@pytest.mark.parametrize(
    ("georel", "expected"),
    [
        ("near;maxDistance==18000", True),
        ("near;maxDistance==17000", False),
        ("near;minDistance==17000", True),
        ("near;minDistance==18000", False),
        ("near;minDistance==17000;maxDistance==18000", True),
        ("near;maxDistance==17700;minDistance==17600", True),
    ],
)
def test_near_measures_metres_on_the_sphere(georel: str, expected: bool) -> None:
    # 4.10: near;maxDistance / near;minDistance, reference point Notre-Dame, entity at the château.
    query = geoquery(georel, "Point", "[2.3499,48.8530]")
    assert query.matches(located(point(*VERSAILLES_CHATEAU))) is expected


def test_distance_from_a_point_to_a_line_is_the_distance_to_its_nearest_point() -> None:
    from shapely.geometry import shape  # type: ignore[import-untyped]

    meridian = shape({"type": "LineString", "coordinates": [[2.0, 48.0], [2.0, 49.0]]})
    reference = shape(point(2.1, 48.5))
    # The nearest point of the meridian is due west, on the same parallel.
    assert geometry_distance_m(meridian, reference) == pytest.approx(
        haversine_m(2.0, 48.5, 2.1, 48.5), rel=0.005
    )
    assert (
        geometry_distance_m(
            shape({"type": "Polygon", "coordinates": VERSAILLES_BOX}), shape(point(2.12, 48.80))
        )
        == 0
    )


def test_near_tests_lines_and_polygons_by_their_nearest_point() -> None:
    road = {"type": "LineString", "coordinates": [[2.0, 48.0], [2.0, 49.0]]}
    assert geoquery("near;maxDistance==7500", "Point", [2.1, 48.5]).matches(located(road))
    assert not geoquery("near;maxDistance==7200", "Point", [2.1, 48.5]).matches(located(road))
    park = {"type": "Polygon", "coordinates": VERSAILLES_BOX}
    assert geoquery("near;maxDistance==1", "Point", [2.12, 48.80]).matches(located(park))


@pytest.mark.parametrize(
    ("georel", "geometry", "coordinates", "entity_geometry", "expected"),
    [
        # 4.10: "target geometry <georel> reference geometry".
        ("within", "Polygon", VERSAILLES_BOX, point(*VERSAILLES_CHATEAU), True),
        ("within", "Polygon", VERSAILLES_BOX, point(*NOTRE_DAME), False),
        (
            "within",
            "Polygon",
            VERSAILLES_BOX,
            {
                "type": "Polygon",
                "coordinates": [[[2.11, 48.80], [2.13, 48.80], [2.13, 48.81], [2.11, 48.80]]],
            },
            True,
        ),
        ("contains", "Point", VERSAILLES_CHATEAU, {"type": "Polygon", "coordinates": VERSAILLES_BOX}, True),
        ("contains", "Point", NOTRE_DAME, {"type": "Polygon", "coordinates": VERSAILLES_BOX}, False),
        (
            "intersects",
            "Polygon",
            VERSAILLES_BOX,
            {"type": "LineString", "coordinates": [[2.0, 48.8], [2.2, 48.8]]},
            True,
        ),
        (
            "intersects",
            "Polygon",
            VERSAILLES_BOX,
            {"type": "LineString", "coordinates": [[2.0, 48.9], [2.2, 48.9]]},
            False,
        ),
        ("intersects", "MultiPoint", [NOTRE_DAME, VERSAILLES_CHATEAU], point(*NOTRE_DAME), True),
        ("disjoint", "Polygon", VERSAILLES_BOX, point(*NOTRE_DAME), True),
        ("disjoint", "Polygon", VERSAILLES_BOX, point(*VERSAILLES_CHATEAU), False),
        ("equals", "Point", VERSAILLES_CHATEAU, point(*VERSAILLES_CHATEAU), True),
        ("equals", "Polygon", VERSAILLES_BOX, {"type": "Polygon", "coordinates": VERSAILLES_BOX}, True),
        ("equals", "Point", NOTRE_DAME, point(*VERSAILLES_CHATEAU), False),
        (
            "overlaps",
            "Polygon",
            VERSAILLES_BOX,
            {
                "type": "Polygon",
                "coordinates": [[[2.13, 48.81], [2.20, 48.81], [2.20, 48.85], [2.13, 48.85], [2.13, 48.81]]],
            },
            True,
        ),
        ("overlaps", "Polygon", VERSAILLES_BOX, {"type": "Polygon", "coordinates": VERSAILLES_BOX}, False),
        (
            "within",
            "MultiPolygon",
            [VERSAILLES_BOX, [[[2.3, 48.8], [2.4, 48.8], [2.4, 48.9], [2.3, 48.8]]]],
            {"type": "MultiPoint", "coordinates": [VERSAILLES_CHATEAU, [2.38, 48.86]]},
            True,
        ),
        (
            "intersects",
            "MultiLineString",
            [[[2.0, 48.8], [2.2, 48.8]], [[0, 0], [1, 1]]],
            {"type": "Polygon", "coordinates": VERSAILLES_BOX},
            True,
        ),
    ],
)
def test_georels(
    georel: str, geometry: str, coordinates: Any, entity_geometry: dict[str, Any], expected: bool
) -> None:
    assert geoquery(georel, geometry, coordinates).matches(located(entity_geometry)) is expected


def test_a_multi_attribute_matches_when_one_instance_does() -> None:
    entity = located(point(*NOTRE_DAME), point(*VERSAILLES_CHATEAU))
    assert geoquery("within", "Polygon", VERSAILLES_BOX).matches(entity)


def test_geoproperty_is_expanded_through_the_context() -> None:
    ctx = active_context({"coverage": "https://example.org/coverage"})
    query = parse_geoquery(
        georel="within", geometry="Polygon", coordinates=VERSAILLES_BOX, geoproperty="coverage", ctx=ctx
    )
    assert query is not None
    assert query.geoproperty == "https://example.org/coverage"
    assert query.matches(located(point(*VERSAILLES_CHATEAU), iri="https://example.org/coverage"))
    # The entity's location is not what this query looks at.
    assert not query.matches(located(point(*VERSAILLES_CHATEAU)))
    default = parse_geoquery(
        georel="within", geometry="Polygon", coordinates=VERSAILLES_BOX, geoproperty=None, ctx=ctx
    )
    assert default is not None
    assert default.geoproperty == LOCATION_IRI


def test_stored_data_that_is_no_geometry_matches_nothing() -> None:
    query = geoquery("intersects", "Polygon", VERSAILLES_BOX)
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[2.10, 48.79], [2.14, 48.82], [2.14, 48.79], [2.10, 48.82], [2.10, 48.79]]],
    }
    for entity in (
        {"attrs": {}},
        {"attrs": {LOCATION_IRI: [{"type": "GeoProperty", "value": "POINT(2 48)"}]}},
        {
            "attrs": {
                LOCATION_IRI: [{"type": "GeoProperty", "value": {"type": "Point", "coordinates": [200, 0]}}]
            }
        },
        {"attrs": {LOCATION_IRI: "not a list"}},
    ):
        assert not query.matches(entity)
    assert isinstance(query.matches(located(bowtie)), bool)


def test_no_geo_parameters_means_no_geoquery() -> None:
    assert (
        parse_geoquery(georel=None, geometry=None, coordinates=None, geoproperty=None, ctx=core_context())
        is None
    )
    assert (
        parse_geoquery(georel="", geometry="", coordinates="", geoproperty="location", ctx=core_context())
        is None
    )


def test_geoq_members_of_the_wrong_json_type_are_refused() -> None:
    # A geoQ object of a POST query or subscription (5.2.13) can hold any JSON type.
    cases: list[tuple[dict[str, Any], str]] = [
        ({"georel": 3, "geometry": "Point", "coordinates": [2, 48]}, "georel must be a string, not int."),
        (
            {"georel": "within", "geometry": ["Point"], "coordinates": [2, 48]},
            "geometry must be a string, not list.",
        ),
        ({"georel": "within", "geometry": "Point", "coordinates": {"x": 2}}, "coordinates must be an array"),
        (
            {"georel": "within", "geometry": "Point", "coordinates": [2, 48], "geoproperty": 1},
            "geoproperty must be a string",
        ),
    ]
    for params, detail in cases:
        with pytest.raises(BadRequestData) as caught:
            parse_geoquery(**{"geoproperty": None, **params}, ctx=core_context())
        assert caught.value.detail.startswith(detail)


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        (
            {"georel": "near;maxDistance==10"},
            "A geo-query needs georel, geometry and coordinates together (4.10); missing: geometry, coordinates.",
        ),
        (
            {"geometry": "Point", "coordinates": "[2,48]"},
            "A geo-query needs georel, geometry and coordinates together (4.10); missing: georel.",
        ),
        (
            {"georel": "close", "geometry": "Point", "coordinates": "[2,48]"},
            "georel must start with one of near, within, contains, intersects, equals, disjoint, overlaps, not 'close'.",
        ),
        (
            {"georel": "near", "geometry": "Point", "coordinates": "[2,48]"},
            "georel near needs a distance: near;maxDistance==<metres> or near;minDistance==<metres>.",
        ),
        (
            {"georel": "near;distance==5", "geometry": "Point", "coordinates": "[2,48]"},
            "georel 'near;distance==5': expected maxDistance==<metres> or minDistance==<metres> after near;, not 'distance==5'.",
        ),
        (
            {"georel": "near;maxDistance==far", "geometry": "Point", "coordinates": "[2,48]"},
            "georel 'near;maxDistance==far': maxDistance must be a number of metres, not 'far'.",
        ),
        (
            {"georel": "near;maxDistance==-5", "geometry": "Point", "coordinates": "[2,48]"},
            "georel 'near;maxDistance==-5': maxDistance must be a non-negative number of metres, not '-5'.",
        ),
        (
            {"georel": "near;maxDistance==5;maxDistance==6", "geometry": "Point", "coordinates": "[2,48]"},
            "georel 'near;maxDistance==5;maxDistance==6' gives maxDistance twice.",
        ),
        (
            {"georel": "near;minDistance==9;maxDistance==5", "geometry": "Point", "coordinates": "[2,48]"},
            "georel 'near;minDistance==9;maxDistance==5': minDistance is larger than maxDistance, nothing can match.",
        ),
        (
            {"georel": "within;maxDistance==5", "geometry": "Point", "coordinates": "[2,48]"},
            "georel 'within' takes no modifier (only near takes maxDistance or minDistance).",
        ),
        (
            {"georel": "within", "geometry": "Circle", "coordinates": "[2,48]"},
            "geometry must be one of Point, MultiPoint, LineString, MultiLineString, Polygon, MultiPolygon, not 'Circle'.",
        ),
        (
            {"georel": "within", "geometry": "Point", "coordinates": "2,48"},
            "coordinates must be a JSON array such as [2.1204,48.8049], not '2,48'.",
        ),
        (
            {"georel": "within", "geometry": "Point", "coordinates": "[48.8, 2.1, 3, 4]"},
            "geometry.coordinates must be a position",
        ),
        (
            {"georel": "within", "geometry": "Point", "coordinates": "[48.8, 92.1]"},
            "geometry.coordinates: latitude 92.1 is outside [-90, 90]",
        ),
        (
            {
                "georel": "within",
                "geometry": "Polygon",
                "coordinates": "[[[2.10,48.79],[2.14,48.82],[2.14,48.79],[2.10,48.82],[2.10,48.79]]]",
            },
            "coordinates do not form a valid Polygon: Self-intersection",
        ),
    ],
)
def test_bad_or_partial_geo_parameters(params: dict[str, Any], detail: str) -> None:
    arguments: dict[str, Any] = {"georel": None, "geometry": None, "coordinates": None, "geoproperty": None}
    with pytest.raises(BadRequestData) as caught:
        parse_geoquery(**{**arguments, **params}, ctx=core_context())
    assert caught.value.detail.startswith(detail)


@pytest.mark.parametrize(
    ("value", "detail"),
    [
        ("POINT(2 48)", "location must be a GeoJSON geometry object (RFC 7946), not str."),
        (
            {"type": "Feature"},
            "location.type must be one of Point, MultiPoint, LineString, MultiLineString, Polygon, MultiPolygon, not 'Feature'.",
        ),
        ({"type": "Point"}, "location.coordinates is missing (a Point needs coordinates)."),
        (
            {"type": "Point", "coordinates": [2.1]},
            "location.coordinates must be a position: [longitude, latitude] or [longitude, latitude, altitude].",
        ),
        (
            {"type": "Point", "coordinates": [[2.1, 48.8]]},
            "location.coordinates must be a position [longitude, latitude], not an array of positions: coordinates are nested one level too deep for this geometry type.",
        ),
        (
            {"type": "Point", "coordinates": ["2.1", 48.8]},
            "location.coordinates must contain finite numbers only, not '2.1'.",
        ),
        (
            {"type": "Point", "coordinates": [True, 48.8]},
            "location.coordinates must contain finite numbers only, not True.",
        ),
        (
            {"type": "Point", "coordinates": [float("nan"), 48.8]},
            "location.coordinates must contain finite numbers only, not nan.",
        ),
        (
            {"type": "Point", "coordinates": [181, 48.8]},
            "location.coordinates: longitude 181 is outside [-180, 180] (positions are [longitude, latitude]).",
        ),
        (
            {"type": "Point", "coordinates": [2.1, -90.5]},
            "location.coordinates: latitude -90.5 is outside [-90, 90] (positions are [longitude, latitude]).",
        ),
        (
            {"type": "MultiPoint", "coordinates": []},
            "location.coordinates must hold at least 1 positions, not 0.",
        ),
        (
            {"type": "LineString", "coordinates": [[2.1, 48.8]]},
            "location.coordinates must hold at least 2 positions, not 1.",
        ),
        ({"type": "LineString", "coordinates": [2.1, 48.8]}, "location.coordinates[0] must be a position"),
        (
            {"type": "MultiLineString", "coordinates": [[[2.1, 48.8], [2.2, 48.9]], "x"]},
            "location.coordinates[1] must be an array of positions.",
        ),
        (
            {"type": "Polygon", "coordinates": [[[2.1, 48.8], [2.2, 48.9], [2.1, 48.8]]]},
            "location.coordinates[0] must hold at least 4 positions, not 3.",
        ),
        (
            {"type": "Polygon", "coordinates": [[[2.1, 48.8], [2.2, 48.9], [2.2, 48.8], [2.1, 48.9]]]},
            "location.coordinates[0] is not closed: its first and last positions must be equal.",
        ),
        (
            {"type": "Polygon", "coordinates": [[[2.1, 48.8], [2.2, 48.9], [2.2, 948.8], [2.1, 48.8]]]},
            "location.coordinates[0][2]: latitude 948.8 is outside [-90, 90]",
        ),
        (
            {"type": "MultiPolygon", "coordinates": [VERSAILLES_BOX, [[[0, 0], [1, 1], [1, 0]]]]},
            "location.coordinates[1][0] must hold at least 4 positions, not 3.",
        ),
    ],
)
def test_invalid_geometries_are_named_precisely(value: Any, detail: str) -> None:
    with pytest.raises(BadRequestData) as caught:
        validate_geometry(value, field="location")
    assert caught.value.detail.startswith(detail)


@pytest.mark.parametrize(
    "value",
    [
        point(*VERSAILLES_CHATEAU),
        {"type": "Point", "coordinates": [2.1, 48.8, 130.5]},  # with altitude
        {"type": "MultiPoint", "coordinates": [VERSAILLES_CHATEAU, NOTRE_DAME]},
        {"type": "LineString", "coordinates": [VERSAILLES_CHATEAU, NOTRE_DAME]},
        {"type": "MultiLineString", "coordinates": [[VERSAILLES_CHATEAU, NOTRE_DAME]]},
        {"type": "Polygon", "coordinates": VERSAILLES_BOX},
        {"type": "MultiPolygon", "coordinates": [VERSAILLES_BOX], "bbox": [2.10, 48.79, 2.14, 48.82]},
    ],
)
def test_valid_geometries_pass_unchanged(value: dict[str, Any]) -> None:
    assert validate_geometry(value, field="location") is value


def test_geometry_bbox() -> None:
    assert geometry_bbox(point(*VERSAILLES_CHATEAU)) == (2.1204, 48.8049, 2.1204, 48.8049)
    assert geometry_bbox({"type": "Polygon", "coordinates": VERSAILLES_BOX}) == (2.10, 48.79, 2.14, 48.82)
    multi = {
        "type": "MultiLineString",
        "coordinates": [[VERSAILLES_CHATEAU, NOTRE_DAME], [[0, -1, 5], [1, 0, 5]]],
    }
    assert geometry_bbox(multi) == (0, -1, 2.3499, 48.8530)


def test_bbox_for_a_first_filter() -> None:
    assert geoquery("within", "Polygon", VERSAILLES_BOX).bbox() == (2.10, 48.79, 2.14, 48.82)
    assert geoquery("intersects", "Point", VERSAILLES_CHATEAU).bbox() == (2.1204, 48.8049, 2.1204, 48.8049)
    # No box bounds what is disjoint from, or far from, a shape.
    assert geoquery("disjoint", "Polygon", VERSAILLES_BOX).bbox() is None
    assert geoquery("near;minDistance==100", "Point", VERSAILLES_CHATEAU).bbox() is None
    # Reaching a pole or the antimeridian: every longitude.
    assert geoquery("near;maxDistance==20000", "Point", [10, 89.9]).bbox() == (
        -180.0,
        pytest.approx(89.7, abs=0.02),
        180.0,
        90.0,
    )
    assert geoquery("near;maxDistance==20000", "Point", [179.9, -17]).bbox()[::2] == (-180.0, 180.0)  # type: ignore[index]


@pytest.mark.parametrize(("lon", "lat"), [(2.3499, 48.853), (-52.33, 4.94), (15.6, 78.2), (-70.0, -60.0)])
def test_near_bbox_holds_every_match(lon: float, lat: float) -> None:
    """The box of near;maxDistance is conservative: no matching point falls outside it, and
    it is not much larger than needed (a first SQL filter must drop no entity)."""
    query = geoquery("near;maxDistance==5000", "Point", [lon, lat])
    box = query.bbox()
    assert box is not None
    min_lon, min_lat, max_lon, max_lat = box
    rng = random.Random(f"{lon},{lat}")
    matched = 0
    for _ in range(2000):
        # Points around the reference, up to 8 km away in any direction.
        bearing, reach = rng.uniform(0, 2 * math.pi), rng.uniform(0, 8000)
        dlat = math.degrees(reach * math.cos(bearing) / 6_371_008.8)
        dlon = math.degrees(reach * math.sin(bearing) / (6_371_008.8 * math.cos(math.radians(lat))))
        candidate = [lon + dlon, lat + dlat]
        if query.matches(located(point(*candidate))):
            matched += 1
            assert min_lon <= candidate[0] <= max_lon
            assert min_lat <= candidate[1] <= max_lat
    assert matched > 500
    # Exactly due north, east at the limit: inside the box, and the box stays tight (< 2 %).
    assert (max_lat - lat) == pytest.approx(math.degrees(5000 / 6_371_008.8), rel=0.02)
    assert haversine_m(lon, lat, max_lon, lat) == pytest.approx(5000, rel=0.02)
