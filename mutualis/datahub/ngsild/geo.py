"""Geo-queries (ETSI GS CIM 009 v1.8, 4.10) and GeoJSON geometries (4.7, RFC 7946).

Coordinates are WGS84 longitude/latitude. The georels other than `near` are tested on the
lon/lat plane, as PostGIS does for the `geometry` type: exact for the predicates between
shapes drawn at city or regional scale, which is what the hub stores.

Distances for `near` (4.10: maxDistance / minDistance, in metres) are great-circle distances
on a sphere of the mean Earth radius: both geometries are projected on a local equirectangular
plane centred on the reference geometry, shapely finds the nearest pair of points there, and
the haversine formula measures that pair on the sphere. The projection only chooses the pair:
the distance reported is a true distance between a point of each geometry, so it is never
shorter than the real minimum, and at city scale (tens of km) it differs from an ellipsoidal
(Vincenty) distance by less than 0.5 %.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely  # type: ignore[import-untyped]
from shapely.geometry import shape  # type: ignore[import-untyped]
from shapely.ops import nearest_points  # type: ignore[import-untyped]

from mutualis.lib.numbers import is_double

from .errors import BadRequestData

if TYPE_CHECKING:
    from .context import ActiveContext

LOCATION_IRI = "https://uri.etsi.org/ngsi-ld/location"
GEOMETRY_TYPES = ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon")
GEORELS = ("near", "within", "contains", "intersects", "equals", "disjoint", "overlaps")
# IUGG mean Earth radius: the sphere that best fits the WGS84 ellipsoid on average.
EARTH_RADIUS_M = 6_371_008.8
# Margin of the bounding boxes for `near`: a first SQL filter must never drop a match.
_BBOX_MARGIN = 1.01

Bbox = tuple[float, float, float, float]  # (min_lon, min_lat, max_lon, max_lat)


# --- GeoJSON validation (RFC 7946, 3.1) ---------------------------------------------------------


def _position(value: object, where: str) -> list[float]:
    if isinstance(value, list) and value and all(isinstance(item, list) for item in value):
        raise BadRequestData(
            f"{where} must be a position [longitude, latitude], not an array of positions: "
            "coordinates are nested one level too deep for this geometry type."
        )
    if not isinstance(value, list) or len(value) not in (2, 3):
        raise BadRequestData(
            f"{where} must be a position: [longitude, latitude] or [longitude, latitude, altitude]."
        )
    for number in value:
        # is_double: math.isfinite() of an integer beyond a double raised OverflowError.
        if isinstance(number, bool) or not isinstance(number, int | float) or not is_double(number):
            raise BadRequestData(f"{where} must contain finite numbers only, not {number!r}.")
    lon, lat = value[0], value[1]
    if not -180 <= lon <= 180:
        raise BadRequestData(
            f"{where}: longitude {lon} is outside [-180, 180] (positions are [longitude, latitude])."
        )
    if not -90 <= lat <= 90:
        raise BadRequestData(
            f"{where}: latitude {lat} is outside [-90, 90] (positions are [longitude, latitude])."
        )
    return value


def _array(value: object, where: str, what: str, minimum: int) -> list[Any]:
    if not isinstance(value, list):
        raise BadRequestData(f"{where} must be an array of {what}.")
    if len(value) < minimum:
        raise BadRequestData(f"{where} must hold at least {minimum} {what}, not {len(value)}.")
    return value


def _line(value: object, where: str) -> None:
    for index, position in enumerate(_array(value, where, "positions", 2)):
        _position(position, f"{where}[{index}]")


def _polygon(value: object, where: str) -> None:
    for index, ring in enumerate(_array(value, where, "linear rings", 1)):
        ring_where = f"{where}[{index}]"
        positions = _array(ring, ring_where, "positions", 4)
        for position_index, position in enumerate(positions):
            _position(position, f"{ring_where}[{position_index}]")
        # RFC 7946, 3.1.6: a linear ring is closed, its first and last positions are equal.
        if positions[0] != positions[-1]:
            raise BadRequestData(f"{ring_where} is not closed: its first and last positions must be equal.")


def validate_geometry(value: object, *, field: str) -> dict[str, Any]:
    """A GeoJSON geometry (RFC 7946, 3.1) of one of the six types NGSI-LD accepts (4.7).

    Checks the type, the nesting depth of `coordinates`, numbers, longitude and latitude
    ranges and closed rings of at least 4 positions; raises BadRequestData naming the place.
    """
    if not isinstance(value, dict):
        raise BadRequestData(
            f"{field} must be a GeoJSON geometry object (RFC 7946), not {type(value).__name__}."
        )
    kind = value.get("type")
    if kind not in GEOMETRY_TYPES:
        raise BadRequestData(f"{field}.type must be one of {', '.join(GEOMETRY_TYPES)}, not {kind!r}.")
    if "coordinates" not in value:
        raise BadRequestData(f"{field}.coordinates is missing (a {kind} needs coordinates).")
    coordinates = value["coordinates"]
    where = f"{field}.coordinates"
    if kind == "Point":
        _position(coordinates, where)
    elif kind == "MultiPoint":
        for index, position in enumerate(_array(coordinates, where, "positions", 1)):
            _position(position, f"{where}[{index}]")
    elif kind == "LineString":
        _line(coordinates, where)
    elif kind == "MultiLineString":
        for index, line in enumerate(_array(coordinates, where, "line strings", 1)):
            _line(line, f"{where}[{index}]")
    elif kind == "Polygon":
        _polygon(coordinates, where)
    else:
        for index, polygon in enumerate(_array(coordinates, where, "polygons", 1)):
            _polygon(polygon, f"{where}[{index}]")
    return value


def _positions(coordinates: Any) -> list[list[float]]:
    if coordinates and isinstance(coordinates[0], int | float):
        return [coordinates]
    return [position for part in coordinates for position in _positions(part)]


def geometry_bbox(value: dict[str, Any]) -> Bbox:
    """(min_lon, min_lat, max_lon, max_lat) of a valid geometry (see `validate_geometry`)."""
    positions = _positions(value["coordinates"])
    lons = [position[0] for position in positions]
    lats = [position[1] for position in positions]
    return (min(lons), min(lats), max(lons), max(lats))


# --- Distances ------------------------------------------------------------------------------------


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres between two lon/lat points."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half_dphi = (phi2 - phi1) / 2
    half_dlambda = math.radians(lon2 - lon1) / 2
    a = math.sin(half_dphi) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(half_dlambda) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


class _LocalPlane:
    """An equirectangular projection centred on (lon0, lat0), in metres."""

    def __init__(self, lon0: float, lat0: float):
        self.lon0, self.lat0 = lon0, lat0
        # Near the poles cos(lat0) vanishes; a floor keeps the projection invertible.
        self.x_scale = EARTH_RADIUS_M * max(math.cos(math.radians(lat0)), 1e-6)

    def forward(self, coords: np.ndarray) -> np.ndarray:
        # Wrap longitude differences to [-180, 180) so that shapes across the antimeridian
        # stay next to each other.
        dlon = (coords[:, 0] - self.lon0 + 540.0) % 360.0 - 180.0
        x = np.radians(dlon) * self.x_scale
        y = np.radians(coords[:, 1] - self.lat0) * EARTH_RADIUS_M
        return np.column_stack((x, y))

    def inverse(self, x: float, y: float) -> tuple[float, float]:
        return self.lon0 + math.degrees(x / self.x_scale), self.lat0 + math.degrees(y / EARTH_RADIUS_M)


def geometry_distance_m(target: Any, reference: Any) -> float:
    """The distance in metres between two shapely geometries in lon/lat (see the module
    docstring for the method); 0 when they touch or overlap."""
    if target.intersects(reference):
        return 0.0
    centre = reference.centroid if not reference.is_empty else reference
    plane = _LocalPlane(centre.x, centre.y)
    near_target, near_reference = nearest_points(
        shapely.transform(target, plane.forward), shapely.transform(reference, plane.forward)
    )
    lon1, lat1 = plane.inverse(near_target.x, near_target.y)
    lon2, lat2 = plane.inverse(near_reference.x, near_reference.y)
    return haversine_m(lon1, lat1, lon2, lat2)


# --- Geo-queries (4.10) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GeoQuery:
    """A parsed geo-query: a georel between the entities' GeoProperty and a reference shape."""

    georel: str  # one of GEORELS
    geometry: dict[str, Any]  # the reference geometry, valid GeoJSON
    geoproperty: str = LOCATION_IRI  # expanded IRI of the GeoProperty tested
    max_distance: float | None = None  # metres, for near
    min_distance: float | None = None

    @cached_property
    def _reference(self) -> Any:
        return shape(self.geometry)

    def bbox(self) -> Bbox | None:
        """A lon/lat box every matching entity's geometry intersects, for a first filter on
        Entity.geo_* (which holds the box of `location` only: use it when `geoproperty` is
        LOCATION_IRI); None when no box bounds the matches (disjoint, near without maxDistance)."""
        if self.georel == "disjoint" or (self.georel == "near" and self.max_distance is None):
            return None
        min_lon, min_lat, max_lon, max_lat = geometry_bbox(self.geometry)
        if self.georel != "near" or self.max_distance is None:
            # within, contains, intersects, equals, overlaps all imply an intersection with the
            # reference shape, hence with its box.
            return (min_lon, min_lat, max_lon, max_lat)
        angle = self.max_distance * _BBOX_MARGIN / EARTH_RADIUS_M  # radians on the sphere
        if angle >= math.pi / 2:
            return (-180.0, -90.0, 180.0, 90.0)
        dlat = math.degrees(angle)
        south, north = min_lat - dlat, max_lat + dlat
        if south <= -90 or north >= 90:
            return (-180.0, max(south, -90.0), 180.0, min(north, 90.0))  # a pole is within reach
        # The widest longitude span reachable within `angle` of a point at latitude phi is
        # asin(sin(angle) / cos(phi)); the reference point farthest from the equator bounds it.
        phi = math.radians(max(abs(min_lat), abs(max_lat)))
        ratio = math.sin(angle) / math.cos(phi)
        if ratio >= 1:
            return (-180.0, south, 180.0, north)
        dlon = math.degrees(math.asin(ratio))
        west, east = min_lon - dlon, max_lon + dlon
        if west < -180 or east > 180:
            return (-180.0, south, 180.0, north)  # across the antimeridian: every longitude
        return (west, south, east, north)

    def matches(self, entity: dict[str, Any]) -> bool:
        """Whether one instance of the entity's GeoProperty satisfies the georel (4.10)."""
        attrs = entity.get("attrs")
        instances = attrs.get(self.geoproperty) if isinstance(attrs, dict) else None
        if not isinstance(instances, list):
            return False
        return any(self._instance_matches(instance) for instance in instances if isinstance(instance, dict))

    def _instance_matches(self, instance: dict[str, Any]) -> bool:
        value = instance.get("value")
        try:
            validate_geometry(value, field="value")
        except BadRequestData:
            return False  # stored data that is no geometry matches no geo-query
        target = shape(value)
        reference = self._reference
        try:
            if self.georel == "near":
                distance = geometry_distance_m(target, reference)
                if self.max_distance is not None and distance > self.max_distance:
                    return False
                return self.min_distance is None or distance >= self.min_distance
            # 4.10: "target geometry <georel> reference geometry".
            predicate = {
                "within": target.within,
                "contains": target.contains,
                "intersects": target.intersects,
                "equals": target.equals,
                "disjoint": target.disjoint,
                "overlaps": target.overlaps,
            }[self.georel]
            return bool(predicate(reference))
        except shapely.errors.GEOSException:
            return False  # an invalid stored shape (self-intersecting ring…) has no answer


def _distance_modifier(text: str, georel: str) -> tuple[str, float]:
    name, separator, raw = text.partition("==")
    if not separator or name not in ("maxDistance", "minDistance"):
        raise BadRequestData(
            f"georel {georel!r}: expected maxDistance==<metres> or minDistance==<metres> after near;, not {text!r}."
        )
    try:
        distance = float(raw)
    except ValueError:
        raise BadRequestData(f"georel {georel!r}: {name} must be a number of metres, not {raw!r}.") from None
    if not math.isfinite(distance) or distance < 0:
        raise BadRequestData(
            f"georel {georel!r}: {name} must be a non-negative number of metres, not {raw!r}."
        )
    return name, distance


def _parse_georel(text: str) -> tuple[str, float | None, float | None]:
    """4.10: `near;maxDistance==<m>`, `near;minDistance==<m>` (both may be given) or one of
    within, contains, intersects, equals, disjoint, overlaps."""
    relation, *modifiers = text.strip().split(";")
    if relation not in GEORELS:
        raise BadRequestData(f"georel must start with one of {', '.join(GEORELS)}, not {relation!r}.")
    if relation != "near":
        if modifiers:
            raise BadRequestData(
                f"georel {relation!r} takes no modifier (only near takes maxDistance or minDistance)."
            )
        return relation, None, None
    if not modifiers:
        raise BadRequestData(
            "georel near needs a distance: near;maxDistance==<metres> or near;minDistance==<metres>."
        )
    distances: dict[str, float] = {}
    for modifier in modifiers:
        name, distance = _distance_modifier(modifier.strip(), text)
        if name in distances:
            raise BadRequestData(f"georel {text!r} gives {name} twice.")
        distances[name] = distance
    max_distance, min_distance = distances.get("maxDistance"), distances.get("minDistance")
    if max_distance is not None and min_distance is not None and min_distance > max_distance:
        raise BadRequestData(f"georel {text!r}: minDistance is larger than maxDistance, nothing can match.")
    return relation, max_distance, min_distance


def parse_geoquery(
    *,
    georel: str | None,
    geometry: str | None,
    coordinates: str | list[Any] | None,
    geoproperty: str | None,
    ctx: ActiveContext,
) -> GeoQuery | None:
    """The geo-query of a query (6.4.3.2 URL parameters, or the geoQ of a POST query or a
    subscription, 5.2.13); None when georel, geometry and coordinates are all absent."""
    given = {"georel": georel, "geometry": geometry, "coordinates": coordinates}
    missing = [name for name, value in given.items() if value is None or value == ""]
    if len(missing) == len(given):
        return None
    if not georel or not geometry or coordinates is None or coordinates == "":
        raise BadRequestData(
            f"A geo-query needs georel, geometry and coordinates together (4.10); missing: {', '.join(missing)}."
        )
    # The members of a geoQ object (5.2.13) arrive as any JSON type.
    for name, value in (("georel", georel), ("geometry", geometry), ("geoproperty", geoproperty)):
        if value is not None and not isinstance(value, str):
            raise BadRequestData(f"{name} must be a string, not {type(value).__name__}.")
    if not isinstance(coordinates, str | list):
        raise BadRequestData(
            f"coordinates must be an array (or its JSON text), not {type(coordinates).__name__}."
        )
    relation, max_distance, min_distance = _parse_georel(georel)
    if geometry not in GEOMETRY_TYPES:
        raise BadRequestData(f"geometry must be one of {', '.join(GEOMETRY_TYPES)}, not {geometry!r}.")
    if isinstance(coordinates, str):
        try:
            coordinates = json.loads(coordinates)
        except ValueError:
            raise BadRequestData(
                f"coordinates must be a JSON array such as [2.1204,48.8049], not {coordinates!r}."
            ) from None
    reference = validate_geometry({"type": geometry, "coordinates": coordinates}, field="geometry")
    # Predicates on a self-intersecting polygon have no sound answer: refuse it here rather
    # than give arbitrary results.
    reference_shape = shape(reference)
    if not reference_shape.is_valid:
        raise BadRequestData(
            f"coordinates do not form a valid {geometry}: {shapely.is_valid_reason(reference_shape)}."
        )
    iri = ctx.expand_term(geoproperty) if geoproperty else LOCATION_IRI
    return GeoQuery(
        georel=relation,
        geometry=reference,
        geoproperty=iri,
        max_distance=max_distance,
        min_distance=min_distance,
    )
