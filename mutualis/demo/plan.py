"""How much demo data to make: a pure function of the scale, testable without a database.

The figures at scale 1.0 are the reference operator's published ones (DOMAIN.md): 116
collèges, ~24,000 tablets, 1,900 cameras around ~100 buildings, 55 supervised buildings,
51 telemedicine devices, 60 university rooms, ~10 towns with a school IT contract, 7 pilot
communes for chargers plus 12 rural ones, ~12 for street video, ~70 staff, ~800 users.
The generator consumes exactly these counts, so the plan is also what the database holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

MAX_SCALE = 4.0

# Communes of the two départements in the shipped COG extract (259 in 78, 36 in 92).
TERRITORY_COMMUNES = 295
# Communes of the territory that have not joined: the demo needs a few outsiders.
NON_MEMBER_COMMUNES = 12

# Equipment per site: densities, not scaled (a collège keeps its ~190 tablets at any scale).
TABLETS_PER_COLLEGE = 190
TABLETS_PER_EHPAD = 24
TABLETS_PER_FOYER = 83
PROJECTORS_PER_COLLEGE = 25  # one interactive projector per classroom
SWITCHES_PER_COLLEGE = 4
ACCESS_POINTS_PER_COLLEGE = 10
PCS_PER_SCHOOL = 12
ACCESS_POINTS_PER_SCHOOL = 2
ACCESS_POINTS_PER_MEDIATHEQUE = 2
SWITCHES_PER_DEPARTMENTAL_BUILDING = 2
PCS_PER_FIRE_STATION = 2
PARKINGS_PER_PILOT_COMMUNE = 3
CHARGERS_PER_PILOT_PARKING = 4
CHARGERS_PER_RURAL_PARKING = 1
VOIRIE_SITES_PER_VIDEO_COMMUNE = 2
STREET_CAMERAS_PER_VOIRIE_SITE = 10
SENSORS_PER_VOIRIE_SITE = 5
EQUIPMENT_PER_TELEMEDICINE_CABIN = 2
INSTITUTE_SITES = 2
# Schools under the IT maintenance contract, per town, largest town first (10 towns).
SCHOOLS_PER_TOWN = (30, 26, 24, 22, 20, 18, 16, 14, 12, 10)
MIN_SCHOOLS_PER_TOWN = 3  # the Versailles school contact is limited to three of them


def scaled(count: int, scale: float) -> int:
    """`count` at `scale`, never below one so that every kind stays present."""
    return max(1, round(count * scale))


@dataclass(frozen=True)
class DemoPlan:
    scale: float
    commune_members: int
    colleges: int
    ehpads: int
    ccas: int
    fire_stations: int
    schools_per_town: tuple[int, ...]
    departmental_buildings: int
    supervised_buildings: int
    pmi_centres: int
    foyers: int
    mediatheques: int
    museums: int
    technical_centres: int
    irve_pilot_communes: int
    rural_charger_communes: int
    video_pilot_communes: int
    university_rooms: int
    # Buildings with video protection, by kind; each has one recorder.
    camera_colleges: int
    camera_fire_stations: int
    camera_departmental_buildings: int
    cameras: int
    mairie_pcs: int
    server_mairies: int
    telemedicine_cabins: int
    # People, per group (see people.py for who they are).
    users: dict[str, int]
    dual_memberships: int

    @property
    def schools(self) -> int:
        return sum(self.schools_per_town)

    @property
    def voirie_sites(self) -> int:
        return self.video_pilot_communes * VOIRIE_SITES_PER_VIDEO_COMMUNE

    @property
    def pilot_parkings(self) -> int:
        return self.irve_pilot_communes * PARKINGS_PER_PILOT_COMMUNE

    @property
    def camera_buildings(self) -> int:
        return self.camera_colleges + self.camera_fire_stations + self.camera_departmental_buildings

    @property
    def street_cameras(self) -> int:
        return self.voirie_sites * STREET_CAMERAS_PER_VOIRIE_SITE

    @property
    def building_cameras(self) -> int:
        return self.cameras - self.street_cameras

    def site_counts(self) -> dict[str, int]:
        """Sites per site-kind code."""
        return {
            "mairie": self.commune_members,
            "college": self.colleges,
            "ecole": self.schools,
            "caserne": self.fire_stations,
            "ehpad": self.ehpads,
            "batiment-departemental": self.departmental_buildings,
            "centre-pmi": self.pmi_centres + INSTITUTE_SITES,
            "foyer-enfance": self.foyers,
            "mediatheque": self.mediatheques,
            "musee": self.museums,
            "centre-technique": self.technical_centres,
            "parking": self.pilot_parkings + self.rural_charger_communes,
            "voirie": self.voirie_sites,
            "salle-universitaire": self.university_rooms,
        }

    def asset_counts(self) -> dict[str, int]:
        """Assets per asset-type code."""
        return {
            "tablette": self.colleges * TABLETS_PER_COLLEGE
            + self.ehpads * TABLETS_PER_EHPAD
            + self.foyers * TABLETS_PER_FOYER,
            "camera": self.cameras,
            "enregistreur": self.camera_buildings + self.voirie_sites,
            "videoprojecteur": self.colleges * PROJECTORS_PER_COLLEGE,
            "poste-travail": self.schools * PCS_PER_SCHOOL
            + self.mairie_pcs
            + self.fire_stations * PCS_PER_FIRE_STATION,
            "serveur": self.colleges + self.server_mairies,
            "commutateur": self.colleges * SWITCHES_PER_COLLEGE
            + self.commune_members
            + self.schools
            + self.departmental_buildings * SWITCHES_PER_DEPARTMENTAL_BUILDING
            + self.fire_stations,
            "borne-wifi": self.colleges * ACCESS_POINTS_PER_COLLEGE
            + self.schools * ACCESS_POINTS_PER_SCHOOL
            + self.mediatheques * ACCESS_POINTS_PER_MEDIATHEQUE,
            "borne-recharge": self.pilot_parkings * CHARGERS_PER_PILOT_PARKING
            + self.rural_charger_communes * CHARGERS_PER_RURAL_PARKING,
            "capteur": self.schools
            + self.voirie_sites * SENSORS_PER_VOIRIE_SITE
            + self.departmental_buildings,
            "cabine-telemedecine": self.telemedicine_cabins,
            "equipement-telemedecine": self.telemedicine_cabins * EQUIPMENT_PER_TELEMEDICINE_CABIN,
            "audiovisuel": self.university_rooms,
            "centrale-alarme": self.supervised_buildings,
        }

    @property
    def total_assets(self) -> int:
        return sum(self.asset_counts().values())

    @property
    def telemedicine_devices(self) -> int:
        counts = self.asset_counts()
        return counts["cabine-telemedecine"] + counts["equipement-telemedecine"]

    @property
    def total_users(self) -> int:
        return sum(self.users.values())


# Users per group at scale 1.0: ~70 operator staff and ~730 people at members.
USERS = {
    "operator_admin": 4,
    "supervisor": 8,
    "desk_agent": 23,
    "technician": 35,
    "college_principal": 116,
    "college_manager": 116,
    "commune_agent": 190,
    "school_contact": 60,
    "mayor": 85,
    "epci_agent": 16,
    "epci_elected": 8,
    "departement_agent": 30,
    "departement_elected": 6,
    "building_contact": 20,
    "ehpad_agent": 40,
    "ccas_agent": 25,
    "sdis_agent": 4,
    "fire_station_contact": 10,
    "university_agent": 5,
    "institute_agent": 3,
}


def demo_plan(
    scale: float = 1.0, *, commune_members: int = TERRITORY_COMMUNES - NON_MEMBER_COMMUNES
) -> DemoPlan:
    """The counts for `scale` (0 < scale <= MAX_SCALE); `commune_members` is the number of
    communes that are members (all but NON_MEMBER_COMMUNES of the imported territory)."""
    if not 0 < scale <= MAX_SCALE:
        raise ValueError(f"The scale must be above 0 and at most {MAX_SCALE}, not {scale}.")

    def s(count: int) -> int:
        return scaled(count, scale)

    colleges = s(116)
    fire_stations = s(55)
    departmental_buildings = s(90)
    towns = s(len(SCHOOLS_PER_TOWN))
    per_town = tuple(
        max(MIN_SCHOOLS_PER_TOWN, round(SCHOOLS_PER_TOWN[i % len(SCHOOLS_PER_TOWN)] * min(scale, 1.0)))
        for i in range(towns)
    )
    users = {group: s(count) for group, count in USERS.items()}
    # Every collège has its principal and its manager, whatever the scale.
    users["college_principal"] = users["college_manager"] = colleges
    # The Versailles contact holds three schools, every other school contact one.
    users["school_contact"] = min(users["school_contact"], sum(per_town) - 2)
    users["fire_station_contact"] = min(users["fire_station_contact"], fire_stations)
    users["building_contact"] = min(users["building_contact"], departmental_buildings)
    users["ehpad_agent"] = s(40)
    users["ccas_agent"] = s(25)
    video_communes = s(12)
    plan = DemoPlan(
        scale=scale,
        commune_members=commune_members,
        colleges=colleges,
        ehpads=s(40),
        ccas=s(25),
        fire_stations=fire_stations,
        schools_per_town=per_town,
        departmental_buildings=departmental_buildings,
        supervised_buildings=min(s(55), departmental_buildings),
        pmi_centres=s(24),
        foyers=s(12),
        mediatheques=s(20),
        museums=s(4),
        technical_centres=s(10),
        irve_pilot_communes=s(7),
        rural_charger_communes=s(12),
        video_pilot_communes=video_communes,
        university_rooms=s(60),
        camera_colleges=min(s(40), colleges),
        camera_fire_stations=min(s(20), fire_stations),
        camera_departmental_buildings=min(s(40), departmental_buildings),
        cameras=0,
        mairie_pcs=s(2300),
        server_mairies=min(s(40), commune_members),
        telemedicine_cabins=s(17),
        users=users,
        dual_memberships=min(s(12), users["commune_agent"]),
    )
    # 1,900 cameras in all, street ones included; never fewer than one per building.
    cameras = max(s(1900), plan.street_cameras + plan.camera_buildings)
    return replace(plan, cameras=cameras)


def apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Split `total` into whole parts proportional to `weights` (largest remainder
    method), so that the parts add up to `total` exactly."""
    if not weights:
        return []
    whole = sum(weights)
    if whole <= 0:
        raise ValueError("Weights must add up to more than zero.")
    shares = [total * w / whole for w in weights]
    parts = [int(share) for share in shares]
    by_remainder = sorted(range(len(weights)), key=lambda i: (parts[i] - shares[i], i))
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts
