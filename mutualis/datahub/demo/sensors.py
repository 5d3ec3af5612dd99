"""The kinds of demo sensor (one per Smart Data Model the demo shows) and one sensor as
planned: where it is, whose it is, what drives its values."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from mutualis.registry.models import Asset, Member, Site

from ..models import Tenant
from ..smart_data_models import (
    AC_MEASUREMENT,
    AIR_QUALITY_OBSERVED,
    EV_CHARGING_STATION,
    FLOOD_MONITORING,
    NOISE_LEVEL_OBSERVED,
    STREETLIGHT,
    TRAFFIC_FLOW_OBSERVED,
    WATER_OBSERVED,
    SdmType,
)

# What marks an entity as the demo's: re-running deletes exactly these.
DEMO_ID_MARK = ":demo-"


@dataclass(frozen=True)
class SensorKind:
    """How the demo makes one kind of sensor: its model, registry tag and asset models."""

    sdm: SdmType
    slug: str  # part of the entity id: urn:ngsi-ld:<Type>:<INSEE>:demo-<slug>-<n>
    tag_prefix: str  # inventory tags <prefix>-<département>-<number>, like the demo fleet's
    label: str  # French, for the asset label and the entity's name
    models: tuple[tuple[str, str], ...]  # (manufacturer, model): real products of the kind
    lifetime_months: int


SENSOR_KINDS: dict[str, SensorKind] = {
    kind.sdm.name: kind
    for kind in (
        SensorKind(
            AIR_QUALITY_OBSERVED,
            "air",
            "AQ",
            "Station de qualité de l’air",
            (("Kunak", "AIR Pro"), ("Clarity", "Node-S")),
            84,
        ),
        SensorKind(
            NOISE_LEVEL_OBSERVED, "bruit", "SON", "Sonomètre", (("Cesva", "TA120"), ("Acoem", "Fusion")), 96
        ),
        SensorKind(
            TRAFFIC_FLOW_OBSERVED,
            "trafic",
            "TRAF",
            "Compteur de trafic",
            (("Wavetronix", "SmartSensor HD"), ("Iteris", "Vantage Next")),
            120,
        ),
        SensorKind(
            STREETLIGHT,
            "eclairage",
            "ECL",
            "Point lumineux",
            (("Schréder", "Teceo 2 + Owlet IV"), ("Signify", "Luma gen2 + Interact City")),
            240,
        ),
        SensorKind(
            WATER_OBSERVED,
            "seine",
            "HYD",
            "Station hydrométrique",
            (("OTT HydroMet", "RLS radar"), ("Vega", "VEGAPULS C 21")),
            144,
        ),
        SensorKind(
            FLOOD_MONITORING,
            "crue",
            "CRUE",
            "Capteur de crue",
            (("Milesight", "EM500-UDL"), ("Milesight", "EM310-UDL")),
            72,
        ),
        SensorKind(EV_CHARGING_STATION, "irve", "", "Borne de recharge", (), 120),
        SensorKind(
            AC_MEASUREMENT,
            "energie",
            "NRJ",
            "Compteur d’énergie",
            (("Socomec", "Countis E47"), ("Schneider Electric", "iEM3255")),
            180,
        ),
    )
}


@dataclass
class Sensor:
    kind: SensorKind
    member: Member
    tenant: Tenant
    site: Site
    number: int  # per kind and commune
    name: str
    position: tuple[float, float]  # (longitude, latitude)
    rng: random.Random
    asset: Asset | None = None
    static: dict[str, Any] = field(default_factory=dict)  # attribute term → value
    params: dict[str, float] = field(default_factory=dict)
    entity_pk: int | None = None

    @property
    def entity_id(self) -> str:
        return f"urn:ngsi-ld:{self.kind.sdm.name}:{self.member.insee_code}{DEMO_ID_MARK}{self.kind.slug}-{self.number:02d}"
