"""The Smart Data Models (smartdatamodels.org) the hub's sensors speak, as one declarative table.

Each type lists the attributes the demo writes and the next features read (alert rules,
dashboards): the SDM attribute name (the term of the subject's @context), the expanded IRI
that term has in that context, what kind of value it holds, its unit as a UN/CEFACT common
code (the `unitCode` of NGSI-LD 4.5.2 / 5.2.5), the values an enumerated attribute may take,
and a plausible range: a reading outside it is more likely a faulty sensor than the world.

Names, IRIs, enumerations and descriptions follow the SDM subjects' `context.jsonld` and
`schema.json` (dataModel.Environment, dataModel.Transportation, dataModel.Streetlighting,
dataModel.Energy). Where SDM states a unit (µg/m³ for pollutants, dB for noise, a 0–1
ratio for relative humidity and occupancy), the table uses it; where SDM leaves the unit to
`unitCode`, the table fixes the one the hub's sensors report in.

Two SDM facts worth knowing when reading the table:
- `location` and `status` are terms of the NGSI-LD core context (`ngsi-ld:location`,
  `ngsi-ld:status`); the core context applies last and cannot be overridden, so those IRIs
  are the core ones whatever the SDM context says.
- SDM has no "energy meter" type of its own: an electricity meter is an `ACMeasurement` of
  dataModel.Energy (cumulated `totalActiveEnergyImport`, instant `totalActivePower`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

SDM_BASE = "https://smartdatamodels.org/"
NGSI_LD_BASE = "https://uri.etsi.org/ngsi-ld/"
LOCATION_IRI = NGSI_LD_BASE + "location"
STATUS_IRI = NGSI_LD_BASE + "status"


def context_url(subject: str) -> str:
    """Where SDM publishes the @context of a subject (what clients put in their Link header)."""
    return f"https://raw.githubusercontent.com/smart-data-models/{subject}/master/context.jsonld"


class Kind(StrEnum):
    """What an attribute's value is, for validation, rules and display."""

    NUMBER = "number"  # a measured quantity: always has a unit code
    INTEGER = "integer"  # a count or an index: dimensionless, no unit code
    TEXT = "text"  # free text
    ENUM = "enum"  # one of `values` (a list of them when `multiple`)
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    RELATIONSHIP = "relationship"  # an NGSI-LD Relationship (4.5.3)
    GEO = "geo"  # an NGSI-LD GeoProperty (4.5.4)


# Kinds whose values carry a unit code; every other kind never does.
KINDS_WITH_UNIT = frozenset({Kind.NUMBER})

# UN/CEFACT Recommendation 20 common codes used below, with the symbol the UI shows.
UNITS: dict[str, str] = {
    "CEL": "°C",
    "P1": "%",
    "C62": "1",  # "one": a ratio between 0 and 1, as SDM states humidity and occupancy
    "GQ": "µg/m³",
    "2N": "dB",
    "MTR": "m",
    "MQS": "m³/s",
    "KMH": "km/h",
    "KWH": "kWh",
    "KWT": "kW",
    "WTT": "W",
}


@dataclass(frozen=True)
class SdmAttribute:
    name: str  # the term, as in the SDM context and schema
    iri: str  # its expansion through the subject's context
    kind: Kind
    description: str
    unit_code: str = ""
    values: tuple[str, ...] = ()  # the enumeration of an ENUM attribute
    multiple: bool = False  # an ENUM holding a list of values (SDM arrays, e.g. socketType)
    plausible: tuple[float, float] | None = None  # (min, max) a working sensor reports
    # True for what the sensor measures over time (kept in the history and charted);
    # false for descriptive attributes set once (name, lane, socket types…).
    observed: bool = True

    @property
    def unit_symbol(self) -> str:
        return UNITS.get(self.unit_code, "")

    def is_plausible(self, value: float) -> bool:
        if self.plausible is None:
            return True
        low, high = self.plausible
        return low <= value <= high


@dataclass(frozen=True)
class SdmType:
    name: str  # the SDM entity type (the term)
    subject: str  # the SDM subject repository, e.g. "dataModel.Environment"
    description: StrOrPromise  # in the interface's language: the back office's alert rule form shows it
    # The registry asset type (AssetType.code) of the sensors that report this type, and its
    # French name for the back-office list (created by the demo if missing).
    asset_type_code: str
    asset_type_name: str
    attributes: tuple[SdmAttribute, ...]

    @property
    def iri(self) -> str:
        return f"{SDM_BASE}{self.subject}/{self.name}"

    @property
    def context_url(self) -> str:
        return context_url(self.subject)

    def attribute(self, name: str) -> SdmAttribute:
        for attribute in self.attributes:
            if attribute.name == name:
                return attribute
        raise KeyError(f"{self.name} has no attribute {name!r} in the hub's table.")

    @property
    def observed(self) -> tuple[SdmAttribute, ...]:
        return tuple(a for a in self.attributes if a.observed)


def _in(subject: str, term: str) -> str:
    return f"{SDM_BASE}{subject}/{term}"


def _default(term: str) -> str:
    # A term the subject's published context does not define expands, like any unknown term,
    # into the NGSI-LD default context (5.5.7); the NoiseLevelObserved levels are such terms.
    return f"{NGSI_LD_BASE}default-context/{term}"


def _common(term: str) -> str:
    # Terms SDM shares between subjects ("name", "dateObserved"…) expand at the root in the
    # contexts of Transportation, Streetlighting and Energy.
    return SDM_BASE + term


ENV = "dataModel.Environment"
TRANSPORT = "dataModel.Transportation"
LIGHTING = "dataModel.Streetlighting"
ENERGY = "dataModel.Energy"

LOCATION = SdmAttribute(
    "location", LOCATION_IRI, Kind.GEO, "Where the sensor stands (GeoJSON Point).", observed=False
)


def _name(subject: str) -> SdmAttribute:
    # "name" is one of the terms SDM shares between subjects.
    return SdmAttribute("name", _common("name"), Kind.TEXT, "The name of this item.", observed=False)


def _pollutant(term: str, what: str, high: float) -> SdmAttribute:
    return SdmAttribute(term, _in(ENV, term), Kind.NUMBER, f"{what} detected.", "GQ", plausible=(0, high))


AIR_QUALITY_LEVELS = (
    "good",
    "moderate",
    "unhealthyForSensitiveGroups",
    "unhealthy",
    "veryUnhealthy",
    "hazardous",
)

AIR_QUALITY_OBSERVED = SdmType(
    name="AirQualityObserved",
    subject=ENV,
    description=gettext_lazy("An observation of air quality conditions at a certain place and time."),
    asset_type_code="capteur-qualite-air",
    asset_type_name="Capteur de qualité de l’air",
    attributes=(
        _name(ENV),
        LOCATION,
        _pollutant("pm10", "Particulate matter 10 micrometers or less in diameter", 600),
        _pollutant("pm25", "Particulate matter 2.5 micrometers or less in diameter", 400),
        _pollutant("no2", "Nitrogen dioxide", 500),
        _pollutant("o3", "Ozone", 500),
        SdmAttribute(
            "temperature",
            _in(ENV, "temperature"),
            Kind.NUMBER,
            "Air temperature.",
            "CEL",
            plausible=(-30, 50),
        ),
        SdmAttribute(
            "relativeHumidity",
            _in(ENV, "relativeHumidity"),
            Kind.NUMBER,
            "Relative humidity of the air, a number between 0 and 1 (0 % to 100 %).",
            "C62",
            plausible=(0, 1),
        ),
        SdmAttribute(
            "airQualityIndex",
            _in(ENV, "airQualityIndex"),
            Kind.INTEGER,
            "Air quality index (European CAQI, 0 = very low pollution, above 100 = very high).",
            plausible=(0, 500),
        ),
        SdmAttribute(
            "airQualityLevel",
            _in(ENV, "airQualityLevel"),
            Kind.ENUM,
            "Overall qualitative level of health concern.",
            values=AIR_QUALITY_LEVELS,
        ),
    ),
)

NOISE_LEVEL_OBSERVED = SdmType(
    name="NoiseLevelObserved",
    subject=ENV,
    description=gettext_lazy("An observation of the acoustic level at a place over a period of time."),
    asset_type_code="sonometre",
    asset_type_name="Sonomètre",
    attributes=(
        _name(ENV),
        LOCATION,
        SdmAttribute(
            "LAeq",
            _default("LAeq"),
            Kind.NUMBER,
            "A-weighted equivalent continuous sound level over the observation period.",
            "2N",
            plausible=(20, 130),
        ),
        SdmAttribute(
            "LAmax",
            _default("LAmax"),
            Kind.NUMBER,
            "A-weighted maximum sound level over the observation period.",
            "2N",
            plausible=(20, 140),
        ),
        SdmAttribute(
            "sonometerClass",
            _in(ENV, "sonometerClass"),
            Kind.ENUM,
            "Class of the sound level meter (IEC 61672).",
            values=("1", "2"),
            observed=False,
        ),
    ),
)

LANE_DIRECTIONS = ("forward", "backward")

TRAFFIC_FLOW_OBSERVED = SdmType(
    name="TrafficFlowObserved",
    subject=TRANSPORT,
    description=gettext_lazy("An observation of traffic flow conditions at a certain place and time."),
    asset_type_code="compteur-trafic",
    asset_type_name="Compteur de trafic",
    attributes=(
        _name(TRANSPORT),
        LOCATION,
        SdmAttribute(
            "intensity",
            _in(TRANSPORT, "intensity"),
            Kind.INTEGER,
            "Total number of vehicles detected during the observation period (one hour here).",
            plausible=(0, 4000),
        ),
        SdmAttribute(
            "averageVehicleSpeed",
            _in(TRANSPORT, "averageVehicleSpeed"),
            Kind.NUMBER,
            "Average speed of the vehicles passing through the observed place.",
            "KMH",
            plausible=(0, 200),
        ),
        SdmAttribute(
            "occupancy",
            _in(TRANSPORT, "occupancy"),
            Kind.NUMBER,
            "Fraction of the observation time the detector saw a vehicle (0 to 1).",
            "C62",
            plausible=(0, 1),
        ),
        SdmAttribute(
            "congested",
            _in(TRANSPORT, "congested"),
            Kind.BOOLEAN,
            "Whether the observed lane was congested.",
        ),
        SdmAttribute(
            "laneId",
            _in(TRANSPORT, "laneId"),
            Kind.INTEGER,
            "Lane identifier (1 = rightmost).",
            observed=False,
        ),
        SdmAttribute(
            "laneDirection",
            _in(TRANSPORT, "laneDirection"),
            Kind.ENUM,
            "Usual direction of travel in the lane, relative to the road.",
            values=LANE_DIRECTIONS,
            observed=False,
        ),
    ),
)

STREETLIGHT_STATUSES = ("ok", "defectiveLamp", "columnIssue", "brokenLantern")
POWER_STATES = ("on", "off", "low", "bootingUp")
LOCATION_CATEGORIES = (
    "bridge",
    "centralIsland",
    "facade",
    "garden",
    "park",
    "parking",
    "pedestrianPath",
    "playground",
    "road",
    "sidewalk",
    "tunnel",
)

STREETLIGHT = SdmType(
    name="Streetlight",
    subject=LIGHTING,
    description=gettext_lazy("A street light (a lantern on a column, a bracket or a facade)."),
    asset_type_code="point-lumineux",
    asset_type_name="Point lumineux (éclairage public)",
    attributes=(
        _name(LIGHTING),
        LOCATION,
        SdmAttribute(
            "status",
            STATUS_IRI,
            Kind.ENUM,
            "The overall status of this street light.",
            values=STREETLIGHT_STATUSES,
        ),
        SdmAttribute(
            "powerState",
            _in(LIGHTING, "powerState"),
            Kind.ENUM,
            "Streetlight's power state.",
            values=POWER_STATES,
        ),
        SdmAttribute(
            "illuminanceLevel",
            _in(LIGHTING, "illuminanceLevel"),
            Kind.NUMBER,
            "Relative illuminance level setting, between 0 and 1.",
            "C62",
            plausible=(0, 1),
        ),
        SdmAttribute(
            "powerConsumption",
            _in(LIGHTING, "powerConsumption"),
            Kind.NUMBER,
            "Power drawn by the lamp.",
            "WTT",
            plausible=(0, 400),
        ),
        SdmAttribute(
            "locationCategory",
            _in(LIGHTING, "locationCategory"),
            Kind.ENUM,
            "Category of the location where the streetlight is placed.",
            values=LOCATION_CATEGORIES,
            observed=False,
        ),
    ),
)

WATER_OBSERVED = SdmType(
    name="WaterObserved",
    subject=ENV,
    description=gettext_lazy("Flow and level of water observed at a river gauging station."),
    asset_type_code="station-hydrometrique",
    asset_type_name="Station hydrométrique",
    attributes=(
        _name(ENV),
        LOCATION,
        SdmAttribute(
            "height",
            _in(ENV, "height"),
            Kind.NUMBER,
            "Water height above the gauge's zero.",
            "MTR",
            plausible=(0, 15),
        ),
        SdmAttribute(
            "flow", _in(ENV, "flow"), Kind.NUMBER, "Water flow observed.", "MQS", plausible=(0, 3500)
        ),
    ),
)

# SDM gives "Normal" as the example and says the status is "marked Danger" above the danger
# level; "Alert" is the state between the alert and danger thresholds.
FLOOD_LEVEL_STATUSES = ("Normal", "Alert", "Danger")

FLOOD_MONITORING = SdmType(
    name="FloodMonitoring",
    subject=ENV,
    description=gettext_lazy("Level of flooding measured by a sensor above a watercourse or a low point."),
    asset_type_code="capteur-crue",
    asset_type_name="Capteur de crue",
    attributes=(
        _name(ENV),
        LOCATION,
        SdmAttribute(
            "currentLevel",
            _in(ENV, "currentLevel"),
            Kind.NUMBER,
            "Current water level: referenceLevel minus measuredDistance.",
            "MTR",
            plausible=(0, 15),
        ),
        SdmAttribute(
            "measuredDistance",
            _in(ENV, "measuredDistance"),
            Kind.NUMBER,
            "Distance from the sensor tip to the water surface.",
            "MTR",
            plausible=(0, 15),
        ),
        SdmAttribute(
            "floodLevelStatus",
            _in(ENV, "floodLevelStatus"),
            Kind.ENUM,
            "Flood level status given by the sensing device.",
            values=FLOOD_LEVEL_STATUSES,
        ),
        SdmAttribute(
            "referenceLevel",
            _in(ENV, "referenceLevel"),
            Kind.NUMBER,
            "Vertical distance from the bed to the sensor tip.",
            "MTR",
            plausible=(0, 15),
            observed=False,
        ),
        SdmAttribute(
            "alertLevel",
            _in(ENV, "alertLevel"),
            Kind.NUMBER,
            "Level above which the station raises an alert.",
            "MTR",
            plausible=(0, 15),
            observed=False,
        ),
        SdmAttribute(
            "dangerLevel",
            _in(ENV, "dangerLevel"),
            Kind.NUMBER,
            "Level above which the flood status is Danger.",
            "MTR",
            plausible=(0, 15),
            observed=False,
        ),
    ),
)

CHARGING_STATUSES = ("working", "outOfService", "withIncidence", "almostFull", "full", "almostEmpty", "empty")
SOCKET_TYPES = (
    "Caravan_Mains_Socket",
    "CHAdeMO",
    "CCS/SAE",
    "Dual_CHAdeMO",
    "Dual_J-1772",
    "Dual_Mennekes",
    "J-1772",
    "Mennekes",
    "Other",
    "Tesla",
    "Type2",
    "Type3",
    "Wall_Euro",
)
VEHICLE_TYPES = ("bicycle", "bus", "car", "caravan", "motorcycle", "motorscooter", "truck")

EV_CHARGING_STATION = SdmType(
    name="EVChargingStation",
    subject=TRANSPORT,
    description=gettext_lazy("A public charging station for electric vehicles."),
    # The registry already lists chargers (the demo fleet's "borne-recharge"): a charging
    # station entity is that asset, not a separate sensor.
    asset_type_code="borne-recharge",
    asset_type_name="Borne de recharge",
    attributes=(
        _name(TRANSPORT),
        LOCATION,
        SdmAttribute(
            "status",
            STATUS_IRI,
            Kind.ENUM,
            "Status of the charging station.",
            values=CHARGING_STATUSES,
        ),
        SdmAttribute(
            "availableCapacity",
            _in(TRANSPORT, "availableCapacity"),
            Kind.INTEGER,
            "Number of vehicles which can be charged now (at most `capacity`).",
            plausible=(0, 50),
        ),
        SdmAttribute(
            "capacity",
            _in(TRANSPORT, "capacity"),
            Kind.INTEGER,
            "Total number of vehicles which can be charged at the same time.",
            plausible=(1, 50),
            observed=False,
        ),
        SdmAttribute(
            "socketType",
            _in(TRANSPORT, "socketType"),
            Kind.ENUM,
            "Types of socket offered.",
            values=SOCKET_TYPES,
            multiple=True,
            observed=False,
        ),
        SdmAttribute(
            "allowedVehicleType",
            _in(TRANSPORT, "allowedVehicleType"),
            Kind.ENUM,
            "Vehicle types which can be charged.",
            values=VEHICLE_TYPES,
            multiple=True,
            observed=False,
        ),
    ),
)

AC_MEASUREMENT = SdmType(
    name="ACMeasurement",
    subject=ENERGY,
    description=gettext_lazy("Electricity meter of a public building (alternating current measurement)."),
    asset_type_code="compteur-energie",
    asset_type_name="Compteur d’énergie",
    attributes=(
        _name(ENERGY),
        LOCATION,
        SdmAttribute(
            "totalActiveEnergyImport",
            _in(ENERGY, "totalActiveEnergyImport"),
            Kind.NUMBER,
            "Active energy imported since the meter was installed (a cumulated index).",
            "KWH",
            plausible=(0, 1e9),
        ),
        SdmAttribute(
            "totalActivePower",
            _in(ENERGY, "totalActivePower"),
            Kind.NUMBER,
            "Active power drawn, averaged over the measurement interval.",
            "KWT",
            plausible=(0, 2000),
        ),
        SdmAttribute(
            "phaseType",
            _in(ENERGY, "phaseType"),
            Kind.ENUM,
            "Single or three phase supply.",
            values=("singlePhase", "threePhase"),
            observed=False,
        ),
    ),
)

SDM_TYPES: tuple[SdmType, ...] = (
    AIR_QUALITY_OBSERVED,
    NOISE_LEVEL_OBSERVED,
    TRAFFIC_FLOW_OBSERVED,
    STREETLIGHT,
    WATER_OBSERVED,
    FLOOD_MONITORING,
    EV_CHARGING_STATION,
    AC_MEASUREMENT,
)
BY_NAME: dict[str, SdmType] = {t.name: t for t in SDM_TYPES}
BY_IRI: dict[str, SdmType] = {t.iri: t for t in SDM_TYPES}


def sdm_type(name_or_iri: str) -> SdmType | None:
    """The table's entry for a type given by its SDM name or its expanded IRI."""
    return BY_NAME.get(name_or_iri) or BY_IRI.get(name_or_iri)
