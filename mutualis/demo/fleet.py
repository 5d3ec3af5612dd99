"""What equipment stands where, bought in which programme wave.

Waves follow the operator's history (DOMAIN.md): tablets for the collèges from a yearly
rentrée programme, interactive projectors in the "collèges numériques" plan, cameras in
three waves, alarm panels for 11, then 27, then 17 supervised buildings, chargers for the
pilot communes then the rural ones. Dates are counted back from the reference date so
the fleet is the last eight years' whatever day the demo is generated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from mutualis.registry.models import Site

from .assets import Fleet, Window
from .catalogue import ASSET_TYPE_SPECS, ModelSpec
from .context import DemoContext
from .members import DemoMembers
from .people import DemoPeople
from .plan import (
    ACCESS_POINTS_PER_COLLEGE,
    ACCESS_POINTS_PER_MEDIATHEQUE,
    ACCESS_POINTS_PER_SCHOOL,
    CHARGERS_PER_PILOT_PARKING,
    CHARGERS_PER_RURAL_PARKING,
    EQUIPMENT_PER_TELEMEDICINE_CABIN,
    PCS_PER_FIRE_STATION,
    PCS_PER_SCHOOL,
    PROJECTORS_PER_COLLEGE,
    SENSORS_PER_VOIRIE_SITE,
    STREET_CAMERAS_PER_VOIRIE_SITE,
    SWITCHES_PER_COLLEGE,
    SWITCHES_PER_DEPARTMENTAL_BUILDING,
    TABLETS_PER_COLLEGE,
    TABLETS_PER_EHPAD,
    TABLETS_PER_FOYER,
    apportion,
)
from .sites import DemoSites

CAMERA_SPOTS = (
    "entrée principale",
    "parvis",
    "parking",
    "cour",
    "préau",
    "hall",
    "accès livraisons",
    "clôture est",
)
# Share of the 55 supervised buildings connected in each wave (11, then 27, then 17).
ALARM_WAVES = (11, 27, 17)


def numbered(text: str, start: int = 1) -> Callable[[int], str]:
    return lambda i: f"{text} {start + i}"


def fixed(text: str) -> Callable[[int], str]:
    return lambda _i: text


def camera_spot(index: int) -> str:
    return f"Caméra {CAMERA_SPOTS[index % len(CAMERA_SPOTS)]} {index // len(CAMERA_SPOTS) + 1}"


def models(type_code: str, *names: str) -> tuple[ModelSpec, ...]:
    return tuple(m for m in ASSET_TYPE_SPECS[type_code].models if m.name in names)


class Waves:
    def __init__(self, ctx: DemoContext) -> None:
        self.year = ctx.today.year

    def years(self, oldest: int, newest: int = 1, months: tuple[int, int] = (1, 12)) -> Window:
        """Deliveries from `oldest` to `newest` years back, in the months given."""
        end_month = dt.date(self.year - newest, months[1], 28)
        return Window(dt.date(self.year - oldest, months[0], 1), end_month)

    def rentree(self, years_back: int) -> Window:
        return Window(dt.date(self.year - years_back, 8, 20), dt.date(self.year - years_back, 9, 30))


def build_assets(ctx: DemoContext, members: DemoMembers, sites: DemoSites, people: DemoPeople) -> int:
    fleet = Fleet(ctx, people.technicians)
    waves = Waves(ctx)
    _colleges(ctx, fleet, waves, sites)
    _video(ctx, fleet, waves, sites)
    _town_halls_and_schools(ctx, fleet, waves, sites)
    _care_and_buildings(ctx, fleet, waves, sites)
    _telemedicine(ctx, fleet, waves, sites)
    return fleet.save()


def _colleges(ctx: DemoContext, fleet: Fleet, waves: Waves, sites: DemoSites) -> None:
    rng = ctx.rng
    for site in sites.colleges:
        # Most tablets came with the collège's programme year, the rest as later top-ups.
        main = round(TABLETS_PER_COLLEGE * 0.85)
        fleet.add(site, "tablette", main, waves.rentree(rng.randint(2, 7)), numbered("Tablette élève n°"))
        top_up = TABLETS_PER_COLLEGE - main
        fleet.add(site, "tablette", top_up, waves.rentree(1), numbered("Tablette enseignant n°"))
        fleet.add(
            site, "videoprojecteur", PROJECTORS_PER_COLLEGE, waves.years(7, 5, (6, 8)), numbered("Salle", 101)
        )
        fleet.add(site, "commutateur", SWITCHES_PER_COLLEGE, waves.years(8), numbered("Baie de brassage"))
        fleet.add(
            site, "borne-wifi", ACCESS_POINTS_PER_COLLEGE, waves.years(6), numbered("Borne Wi-Fi, couloir")
        )
        fleet.add(site, "serveur", 1, waves.years(6), fixed("Serveur pédagogique"))


def _video(ctx: DemoContext, fleet: Fleet, waves: Waves, sites: DemoSites) -> None:
    rng, plan = ctx.rng, ctx.plan
    supervised_first = sites.supervised + [s for s in sites.departmental if s not in sites.supervised]
    buildings: list[Site] = [
        *rng.sample(sites.colleges, plan.camera_colleges),
        *rng.sample(sites.fire_stations, plan.camera_fire_stations),
        *supervised_first[: plan.camera_departmental_buildings],
    ]
    counts = apportion(plan.building_cameras, [rng.uniform(0.6, 1.4) for _ in buildings])
    fixed_cameras = models("camera", "P3245-V", "XNV-8080R", "FLEXIDOME IP 5000i")
    for index, (site, count) in enumerate(zip(buildings, counts, strict=True)):
        window = waves.years((6, 4, 2)[index % 3], (5, 3, 1)[index % 3])
        (recorder,) = fleet.add(
            site, "enregistreur", 1, window, fixed("Enregistreur du bâtiment"), is_parent=True
        )
        fleet.add(site, "camera", count, window, camera_spot, parent=recorder, models=fixed_cameras)
    street = models("camera", "Q6075-E", "P3245-V")
    sensors = models("capteur", "ZELT (comptage vélos)", "EM310-UDL (détection de crue)")
    for site in sites.voirie:
        window = waves.years(2)
        (recorder,) = fleet.add(
            site, "enregistreur", 1, window, fixed("Enregistreur de la voie publique"), is_parent=True
        )
        fleet.add(
            site,
            "camera",
            STREET_CAMERAS_PER_VOIRIE_SITE,
            window,
            numbered("Caméra de rue"),
            parent=recorder,
            models=street,
        )
        fleet.add(
            site,
            "capteur",
            SENSORS_PER_VOIRIE_SITE,
            waves.years(3),
            numbered("Capteur de voirie"),
            models=sensors,
        )


def _town_halls_and_schools(ctx: DemoContext, fleet: Fleet, waves: Waves, sites: DemoSites) -> None:
    plan = ctx.plan
    mairies = list(sites.mairies.values())
    pcs = apportion(plan.mairie_pcs, [site.commune.population or 1 for site in mairies])
    for site, count in zip(mairies, pcs, strict=True):
        fleet.add(site, "poste-travail", count, waves.years(8), numbered("Poste agent"))
        fleet.add(site, "commutateur", 1, waves.years(8), fixed("Commutateur de la mairie"))
    largest = sorted(mairies, key=lambda s: (-(s.commune.population or 0), s.commune.code))
    for site in largest[: plan.server_mairies]:
        fleet.add(site, "serveur", 1, waves.years(6), fixed("Serveur de fichiers"))
    for town_sites in sites.schools.values():
        for site in town_sites:
            fleet.add(site, "poste-travail", PCS_PER_SCHOOL, waves.years(8), numbered("Poste de classe"))
            fleet.add(site, "commutateur", 1, waves.years(8), fixed("Commutateur de l’école"))
            fleet.add(
                site, "borne-wifi", ACCESS_POINTS_PER_SCHOOL, waves.years(5), numbered("Borne Wi-Fi, classe")
            )
            air = models("capteur", "AM319 (qualité de l’air intérieur)")
            fleet.add(site, "capteur", 1, waves.years(3), fixed("Capteur de qualité de l’air"), models=air)
    for site in sites.mediatheques:
        fleet.add(
            site,
            "borne-wifi",
            ACCESS_POINTS_PER_MEDIATHEQUE,
            waves.years(5),
            numbered("Borne Wi-Fi publique"),
        )
    for site in sites.pilot_parkings:
        label = numbered("Borne 22 kW n°")
        fleet.add(site, "borne-recharge", CHARGERS_PER_PILOT_PARKING, waves.years(4, 3), label)
    for site in sites.rural_parkings:
        label = fixed("Borne du véhicule électrique partagé")
        fleet.add(site, "borne-recharge", CHARGERS_PER_RURAL_PARKING, waves.years(2, 1), label)


def _care_and_buildings(ctx: DemoContext, fleet: Fleet, waves: Waves, sites: DemoSites) -> None:
    plan = ctx.plan
    for site in sites.fire_stations:
        fleet.add(site, "poste-travail", PCS_PER_FIRE_STATION, waves.years(8), numbered("Poste de garde"))
        fleet.add(site, "commutateur", 1, waves.years(8), fixed("Commutateur du centre"))
    for site in sites.ehpads:
        fleet.add(site, "tablette", TABLETS_PER_EHPAD, waves.years(5), numbered("Tablette résident n°"))
    for site in sites.foyers:
        fleet.add(site, "tablette", TABLETS_PER_FOYER, waves.years(4), numbered("Tablette enfant confié n°"))
    for site in sites.departmental:
        label = numbered("Commutateur, étage")
        fleet.add(site, "commutateur", SWITCHES_PER_DEPARTMENTAL_BUILDING, waves.years(8), label)
        comfort = models("capteur", "ERS CO2")
        fleet.add(
            site, "capteur", 1, waves.years(3), fixed("Capteur de confort et d’énergie"), models=comfort
        )
    sizes = apportion(plan.supervised_buildings, ALARM_WAVES)
    start = 0
    for years_back, size in zip((5, 4, 3), sizes, strict=True):
        for site in sites.supervised[start : start + size]:
            window = waves.years(years_back, years_back)
            fleet.add(site, "centrale-alarme", 1, window, fixed("Centrale d’alarme reliée au PCSU"))
        start += size
    for site in sites.university_rooms:
        fleet.add(
            site, "audiovisuel", 1, waves.years(4, 4, (6, 8)), fixed("Équipement audiovisuel de la salle")
        )


def _telemedicine(ctx: DemoContext, fleet: Fleet, waves: Waves, sites: DemoSites) -> None:
    """Cabins, one of them aboard a health bus, each with its instruments as children."""
    versailles, *others = sites.institute
    places = [
        (versailles, "Cabine de téléconsultation"),
        (versailles, "Bus santé itinérant, cabine embarquée"),
    ]
    places += [(site, "Cabine de téléconsultation") for site in [*others, *sites.foyers, *sites.pmi]]
    instruments = ASSET_TYPE_SPECS["equipement-telemedecine"].models
    for index in range(ctx.plan.telemedicine_cabins):
        site, label = places[index % len(places)]
        window = waves.years(5, 3)
        (cabin,) = fleet.add(site, "cabine-telemedecine", 1, window, fixed(label), is_parent=True)
        for number in range(EQUIPMENT_PER_TELEMEDICINE_CABIN):
            instrument = instruments[(index + number) % len(instruments)]
            fleet.add(
                site,
                "equipement-telemedecine",
                1,
                window,
                fixed(instrument.name),
                parent=cabin,
                models=(instrument,),
            )
