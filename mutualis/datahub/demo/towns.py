"""Where the demo's sensors go: which communes, which of their sites, and how many of each
kind, with the parameters that make each town's series its own."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Count

from mutualis.registry.models import Asset, AssetStatus, Commune, Member, MemberKind, Operator, Site

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
)
from ..tenancy import tenant_for_member
from .sensors import SENSOR_KINDS, Sensor

# Sensors per commune (chargers come from the registry; water sensors depend on the river).
AIR_STATIONS = 1
NOISE_STATIONS = 1
TRAFFIC_LANES = 2
STREETLIGHTS = 4
GAUGE_EVERY = 4  # riverside towns per river gauge

# Communes of the Yvelines and the Hauts-de-Seine on the banks of the Seine: they get a river
# gauge and a flood sensor on the quays.
SEINE_COMMUNES = frozenset({
    "Andrésy", "Asnières-sur-Seine", "Bonnières-sur-Seine", "Bougival", "Boulogne-Billancourt",
    "Carrières-sous-Poissy", "Carrières-sur-Seine", "Chatou", "Clichy", "Colombes",
    "Conflans-Sainte-Honorine", "Courbevoie", "Croissy-sur-Seine", "Gennevilliers",
    "Issy-les-Moulineaux", "Le Mesnil-le-Roi", "Le Pecq", "Le Port-Marly", "Les Mureaux",
    "Levallois-Perret", "Limay", "Maisons-Laffitte", "Mantes-la-Jolie", "Médan", "Meudon",
    "Meulan-en-Yvelines", "Montesson", "Nanterre", "Neuilly-sur-Seine", "Poissy", "Puteaux",
    "Rosny-sur-Seine", "Rueil-Malmaison", "Saint-Cloud", "Sartrouville", "Sèvres", "Suresnes",
    "Triel-sur-Seine", "Verneuil-sur-Seine", "Vernouillet", "Villennes-sur-Seine",
    "Villeneuve-la-Garenne",
})  # fmt: skip


@dataclass
class Town:
    member: Member
    tenant: Tenant
    sites: dict[str, list[Site]]  # by site-kind code
    chargers: list[Asset]

    @property
    def commune(self) -> Commune:
        commune = self.member.commune
        if commune is None:  # excluded by choose_towns; keeps the type checker honest
            raise ValueError(f"{self.member} has no commune.")
        return commune

    def site(self, *kinds: str) -> Site:
        for kind in kinds:
            if self.sites.get(kind):
                return self.sites[kind][0]
        return next(iter(self.sites.values()))[0]


def choose_towns(operator: Operator, count: int) -> list[Town]:
    """`count` commune members with sites: a third among those with chargers, the rest the
    most populated, alternating between the départements so that both are shown."""
    members = list(
        Member.objects.filter(operator=operator, kind=MemberKind.COMMUNE, commune__isnull=False)
        .annotate(site_count=Count("sites"))
        .filter(site_count__gt=0)
        .select_related("commune__departement")
        .order_by("-commune__population", "commune__code")
    )
    chargers: dict[int, list[Asset]] = {}
    for charger in (
        Asset.objects.filter(
            operator=operator,
            asset_type__code=EV_CHARGING_STATION.asset_type_code,
            site__member__in=members,
        )
        .exclude(status__in=(AssetStatus.RETIRED, AssetStatus.LOST))
        .select_related("site")
        .order_by("inventory_tag")
    ):
        chargers.setdefault(charger.site.member_id, []).append(charger)
    with_chargers = [m for m in members if m.pk in chargers][: math.ceil(count / 3)]
    rest = [m for m in members if m not in with_chargers]
    by_departement: dict[str, list[Member]] = {}
    for member in rest:
        code = member.commune.departement.code if member.commune else ""
        by_departement.setdefault(code, []).append(member)
    alternating = [m for group in _interleave(list(by_departement.values())) for m in group]
    chosen = (with_chargers + alternating)[:count]
    sites: dict[int, dict[str, list[Site]]] = {}
    for site in (
        Site.objects.filter(member__in=chosen).select_related("kind", "commune").order_by("name", "pk")
    ):
        sites.setdefault(site.member_id, {}).setdefault(site.kind.code, []).append(site)
    return [
        Town(
            member=member,
            tenant=tenant_for_member(member),
            sites=sites[member.pk],
            chargers=chargers.get(member.pk, [])[:3],
        )
        for member in sorted(chosen, key=lambda m: m.commune.code if m.commune else "")
    ]


def _interleave(groups: list[list[Member]]) -> Iterator[list[Member]]:
    for index in range(max((len(g) for g in groups), default=0)):
        yield [g[index] for g in groups if index < len(g)]


def site_position(site: Site, rng: random.Random) -> tuple[float, float]:
    """(longitude, latitude) of a sensor a few hundred metres around its site.

    Demo sites carry coordinates; a site without them falls back on its commune's town
    centre (the territory reference), and a commune without one on the mean position of the
    communes of its département that have one.
    """
    if site.latitude is not None and site.longitude is not None:
        latitude, longitude = float(site.latitude), float(site.longitude)
    elif site.commune.latitude is not None and site.commune.longitude is not None:
        latitude, longitude = float(site.commune.latitude), float(site.commune.longitude)
    else:
        latitude, longitude = _departement_centre(site.commune)
    lat = latitude + rng.uniform(-0.0027, 0.0027)  # ± 300 m
    lon = longitude + rng.uniform(-0.004, 0.004)  # ± 300 m at 48.8° N
    return round(lon, 6), round(lat, 6)


def _departement_centre(commune: Commune) -> tuple[float, float]:
    points = [
        (float(lat), float(lon))
        for lat, lon in Commune.objects.filter(departement=commune.departement_id).values_list(
            "latitude", "longitude"
        )
        if lat is not None and lon is not None
    ]
    if not points:
        # No position anywhere in the département: the Yvelines' prefecture (Versailles).
        return 48.8049, 2.1204
    return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)


def plan_sensors(towns: list[Town], rng: random.Random) -> list[Sensor]:
    sensors: list[Sensor] = []
    riverside_towns = [i for i, t in enumerate(towns) if t.commune.name in SEINE_COMMUNES]
    gauge_towns = set(riverside_towns[::GAUGE_EVERY])
    for town_index, town in enumerate(towns):
        name = town.commune.name
        urban = (
            1.25
            if town.commune.departement.code == "92"
            else 1.0
            if (town.commune.population or 0) > 20000
            else 0.8
        )

        def add(kind_name: str, site: Site, label: str, town: Town = town, **params: float) -> Sensor:
            kind = SENSOR_KINDS[kind_name]
            count = sum(1 for s in sensors if s.kind is kind and s.member is town.member) + 1
            sensor = Sensor(
                kind=kind,
                member=town.member,
                tenant=town.tenant,
                site=site,
                number=count,
                name=label,
                position=site_position(site, rng),
                rng=random.Random(rng.random()),  # noqa: S311 (seeded demo data, not secrets)
                params=params,
            )
            sensors.append(sensor)
            return sensor

        hall = town.site("mairie")
        street = town.site("voirie", "parking", "mairie")
        add(
            AIR_QUALITY_OBSERVED.name,
            hall,
            f"Qualité de l’air – {hall.name}",
            urban=urban,
            heat_island=rng.uniform(0.3, 1.5) * urban,
        )
        day_level = rng.uniform(60, 68) if urban > 1 else rng.uniform(55, 63)
        add(
            NOISE_LEVEL_OBSERVED.name,
            street,
            f"Bruit – {street.name}",
            day=day_level,
            night=day_level - rng.uniform(9, 13),
        ).static.update(sonometerClass="1")
        peak = rng.uniform(500, 1100) * (1.2 if urban > 1 else 1.0)
        for lane in range(1, TRAFFIC_LANES + 1):
            sensor = add(
                TRAFFIC_FLOW_OBSERVED.name,
                street,
                f"Comptage voie {lane} – {name}",
                peak=peak * rng.uniform(0.85, 1.1),
                free_speed=rng.uniform(44, 52),
            )
            sensor.static.update(laneId=lane, laneDirection=("forward", "backward")[(lane - 1) % 2])
        for index in range(STREETLIGHTS):
            category = ("road", "sidewalk", "parking", "park")[index % 4]
            add(
                STREETLIGHT.name,
                street,
                f"Point lumineux {index + 1} – {name}",
                rated=rng.choice((39.0, 52.0, 67.0, 89.0)),
            ).static.update(locationCategory=category)
        for building in [hall, *town.sites.get("ecole", [])[:1]]:
            add(
                AC_MEASUREMENT.name,
                building,
                f"Compteur électrique – {building.name}",
                peak=rng.uniform(25, 60) if building is hall else rng.uniform(15, 40),
                base_share=rng.uniform(0.2, 0.3),
                school=0.0 if building is hall else 1.0,
                index=round(rng.uniform(1e5, 2e6)),
            ).static.update(phaseType="threePhase")
        for charger in town.chargers:
            sensor = add(
                EV_CHARGING_STATION.name, charger.site, f"{charger.label or 'Borne'} – {charger.site.name}"
            )
            sensor.asset = charger
            sensor.static.update(
                capacity=2, socketType=["Type2"], allowedVehicleType=["car", "motorcycle", "motorscooter"]
            )
        riverside = name in SEINE_COMMUNES
        # One river gauge for every few riverside towns (the Seine is one river); a stream
        # gauge in the first town when none is riverside, so that every type is shown.
        gauge = town_index in gauge_towns or (town_index == 0 and not gauge_towns)
        if gauge:
            add(
                WATER_OBSERVED.name,
                hall,
                f"Station hydrométrique de la Seine – {name}",
                base=rng.uniform(1.6, 2.6),
                rise=rng.uniform(1.2, 2.0),
                rating=rng.uniform(70, 95),
            )
        if riverside or town_index % 4 == 1:
            # Levels drawn so that the storm raises an alert at most stations and a danger
            # status at some.
            add(
                FLOOD_MONITORING.name,
                street,
                f"Capteur de crue – {name}",
                reference=3.5,
                alert=1.8,
                danger=2.6,
                base=rng.uniform(0.3, 0.6),
                rise=rng.uniform(1.3, 2.4),
            ).static.update(referenceLevel=3.5, alertLevel=1.8, dangerLevel=2.6)
    return sensors
