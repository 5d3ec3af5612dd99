"""Sites: a town hall per member commune, each collège, the SDIS fire stations, schools of
the towns with a maintenance contract, EHPAD, the départements' buildings, PMI centres and
children's homes, libraries, museums, car parks, streets under video protection, and the
university's rooms. Every site stands in its member's territory."""

from __future__ import annotations

from dataclasses import dataclass, field

from mutualis.registry.models import Commune, Member, MemberKind, Site
from mutualis.registry.opening_hours import validate_opening_hours

from .context import DemoContext
from .draw import jitter, weighted_sample
from .members import DemoMembers, of, seat
from .names import MEDIATHEQUE_NAMESAKES, SCHOOL_KINDS, SCHOOL_NAMESAKES, address, phone, unique_name
from .plan import INSTITUTE_SITES, PARKINGS_PER_PILOT_COMMUNE, VOIRIE_SITES_PER_VIDEO_COMMUNE, apportion

# OpenStreetMap opening_hours, the subset registry.opening_hours accepts.
HOURS = {
    "mairie": "Mo-Fr 08:30-12:00,13:30-17:30; Sa 09:00-12:00",
    "college": "Mo-Fr 07:45-18:00",
    "ecole": "Mo,Tu,Th,Fr 08:20-16:30; We 08:20-11:30",
    "caserne": "24/7",
    "ehpad": "24/7",
    "batiment-departemental": "Mo-Fr 08:00-18:00",
    "centre-pmi": "Mo-Fr 09:00-12:30,13:30-17:00",
    "foyer-enfance": "24/7",
    "mediatheque": "Tu,Th,Fr 14:00-18:00; We,Sa 10:00-18:00",
    "musee": "We-Su 10:00-18:00",
    "centre-technique": "Mo-Fr 07:30-12:00,13:00-16:30",
    "parking": "24/7",
    "voirie": "24/7",
    "salle-universitaire": "Mo-Fr 08:00-20:00; Sa 08:00-13:00",
}
# Real départemental museums: (name, commune, département).
MUSEUMS = (
    ("Musée départemental Albert-Kahn", "Boulogne-Billancourt", "92"),
    ("Musée départemental Maurice-Denis", "Saint-Germain-en-Laye", "78"),
    ("Maison de Chateaubriand – Domaine de la Vallée-aux-Loups", "Châtenay-Malabry", "92"),
    ("Musée du Domaine départemental de Sceaux", "Sceaux", "92"),
)
BUILDINGS = {
    "78": (
        "Maison départementale de l’autonomie",
        "Centre d’exploitation routière",
        "Pôle social départemental",
    ),
    "92": (
        "Espace départemental d’actions sociales",
        "Centre routier départemental",
        "Maison de l’autonomie",
    ),
}
# The UVSQ's campuses: (commune, building).
CAMPUSES = (
    ("Versailles", "Bâtiment Buffon"),
    ("Versailles", "Bâtiment Fermat"),
    ("Versailles", "Bâtiment Descartes"),
    ("Guyancourt", "Bâtiment D’Alembert"),
    ("Montigny-le-Bretonneux", "UFR Simone Veil – Santé"),
    ("Vélizy-Villacoublay", "IUT de Vélizy"),
    ("Mantes-la-Jolie", "IUT de Mantes-en-Yvelines"),
    ("Rambouillet", "IUT de Rambouillet"),
)
PARKINGS = ("Parking de la Gare", "Parking du Marché", "Parking de l’Hôtel de Ville", "Parking des Sports")
VOIRIE = ("centre-ville", "abords de la gare", "entrée de ville", "parc municipal")


@dataclass
class DemoSites:
    mairies: dict[str, Site] = field(default_factory=dict)  # by INSEE code
    colleges: list[Site] = field(default_factory=list)  # in the order of the collège members
    schools: dict[str, list[Site]] = field(default_factory=dict)  # by INSEE code of the town
    fire_stations: list[Site] = field(default_factory=list)
    ehpads: list[Site] = field(default_factory=list)
    departmental: list[Site] = field(default_factory=list)
    supervised: list[Site] = field(default_factory=list)
    pmi: list[Site] = field(default_factory=list)
    institute: list[Site] = field(default_factory=list)
    foyers: list[Site] = field(default_factory=list)
    mediatheques: list[Site] = field(default_factory=list)
    museums: list[Site] = field(default_factory=list)
    technical_centres: list[Site] = field(default_factory=list)
    pilot_parkings: list[Site] = field(default_factory=list)
    rural_parkings: list[Site] = field(default_factory=list)
    voirie: list[Site] = field(default_factory=list)
    university_rooms: list[Site] = field(default_factory=list)
    every: list[Site] = field(default_factory=list)


def covers(member: Member, commune: Commune) -> bool:
    """Member.territory_communes() without a query, for the members built here."""
    if member.kind == MemberKind.COMMUNE:
        return member.commune_id == commune.pk
    if member.kind == MemberKind.EPCI:
        return member.epci_id in (commune.epci_id, commune.ept_id)
    if member.kind == MemberKind.DEPARTEMENT:
        return member.departement_id == commune.departement_id
    if member.parent is not None:
        return covers(member.parent, commune)
    return member.commune_id == commune.pk


class SiteMaker:
    def __init__(self, ctx: DemoContext, sites: DemoSites) -> None:
        self.ctx = ctx
        self.sites = sites
        self.names: dict[int, set[str]] = {}
        for hours in HOURS.values():
            validate_opening_hours(hours)

    def add(
        self, member: Member, kind: str, name: str, commune: Commune, *, code: str = "", street: str = ""
    ) -> Site:
        if not covers(member, commune):
            raise AssertionError(f"{commune} is outside the territory of {member}.")
        used = self.names.setdefault(id(member), set())
        if name in used:
            raise AssertionError(f"{member} already has a site named {name}.")
        used.add(name)
        rng = self.ctx.rng
        latitude, longitude = jitter(rng, commune.latitude, commune.longitude)
        site = Site(
            operator_id=member.operator_id,
            member=member,
            kind=self.ctx.reference.site_kinds[kind],
            name=name,
            code=code,
            address=street or address(rng),
            postal_code=rng.choice(commune.postal_codes) if commune.postal_codes else "",
            commune=commune,
            latitude=latitude,
            longitude=longitude,
            opening_hours=HOURS[kind],
            phone="" if kind in ("voirie", "parking") else phone(rng, commune.departement.code),
        )
        self.sites.every.append(site)
        return site

    def free_name(self, member: Member, candidates: list[str]) -> str:
        """A name among `candidates` that `member` has not used yet (numbered otherwise)."""
        return unique_name(self.ctx.rng, candidates, set(self.names.get(id(member), set())))


def build_sites(ctx: DemoContext, members: DemoMembers) -> DemoSites:
    rng, plan, territory = ctx.rng, ctx.plan, ctx.territory
    sites = DemoSites()
    make = SiteMaker(ctx, sites)
    for code, member in members.communes.items():
        commune = territory.by_code[code]
        big = (commune.population or 0) >= 10000
        name = f"Hôtel de ville {of(commune.name)}" if big else f"Mairie {of(commune.name)}"
        street = "" if big else f"{rng.randint(1, 12)} place de la Mairie"
        sites.mairies[code] = make.add(member, "mairie", name, commune, street=street)
    for college in members.colleges:
        uai = ctx.ids.uai(seat(college).departement.code)
        sites.colleges.append(make.add(college, "college", college.name, seat(college), code=uai))
    towns = members.programmes.school_towns
    for town, count in zip(towns, plan.schools_per_town, strict=True):
        member = members.communes[town.code]
        candidates = [f"{kind} {namesake}" for kind in SCHOOL_KINDS for namesake in SCHOOL_NAMESAKES]
        sites.schools[town.code] = [
            make.add(
                member,
                "ecole",
                make.free_name(member, candidates),
                town,
                code=ctx.ids.uai(town.departement.code),
            )
            for _ in range(count)
        ]
    in_78 = territory.in_departement("78")
    stations = weighted_sample(rng, in_78, [c.population or 0 for c in in_78], plan.fire_stations)
    for commune in sorted(stations, key=lambda c: c.code):
        name = f"Centre d’incendie et de secours {of(commune.name)}"
        sites.fire_stations.append(
            make.add(members.sdis, "caserne", name, commune, code=f"CIS-{commune.code}")
        )
    for ehpad in members.ehpads:
        sites.ehpads.append(make.add(ehpad, "ehpad", ehpad.name, seat(ehpad)))
    _departement_sites(ctx, members, make, sites)
    _commune_sites(ctx, members, make, sites)
    _university(ctx, members, make, sites)
    Site.objects.bulk_create(sites.every, batch_size=1000)
    ctx.progress.say(f"Sites: {len(sites.every):,}")
    return sites


def _spread(ctx: DemoContext, total: int, weights: tuple[int, int]) -> dict[str, list[Commune]]:
    """`total` communes drawn by population, split between 78 and 92 by `weights`."""
    picked = {}
    for code, count in zip(("78", "92"), apportion(total, weights), strict=True):
        communes = ctx.territory.in_departement(code)
        chosen = weighted_sample(ctx.rng, communes, [c.population or 0 for c in communes], count)
        picked[code] = sorted(chosen, key=lambda c: c.code)
    return picked


def _departement_sites(ctx: DemoContext, members: DemoMembers, make: SiteMaker, sites: DemoSites) -> None:
    rng, plan, territory = ctx.rng, ctx.plan, ctx.territory
    deps = members.departements
    counts = dict(zip(("78", "92"), apportion(plan.departmental_buildings, (2, 1)), strict=True))
    for code, count in counts.items():
        member = deps[code]
        fixed = [
            ("Hôtel du Département", territory.by_code[territory.departements[code].chef_lieu_code]),
            (
                "Archives départementales",
                territory.named("Montigny-le-Bretonneux" if code == "78" else "Nanterre"),
            ),
        ][:count]
        for name, commune in fixed:
            sites.departmental.append(make.add(member, "batiment-departemental", name, commune))
        communes = territory.in_departement(code)
        for commune in rng.choices(
            communes, weights=[c.population or 0 for c in communes], k=count - len(fixed)
        ):
            name = make.free_name(member, [f"{kind} {of(commune.name)}" for kind in BUILDINGS[code]])
            sites.departmental.append(make.add(member, "batiment-departemental", name, commune))
    sites.supervised = rng.sample(sites.departmental, plan.supervised_buildings)
    for code, communes in _spread(ctx, plan.pmi_centres, (3, 2)).items():
        for commune in communes:
            sites.pmi.append(make.add(deps[code], "centre-pmi", f"Centre de PMI {of(commune.name)}", commune))
    institute = members.institute
    for town, label in (
        ("Versailles", "consultations de Versailles"),
        ("Mantes-la-Jolie", "antenne de Mantes-la-Jolie"),
    )[:INSTITUTE_SITES]:
        name = f"Institut de psychotraumatologie – {label}"
        sites.institute.append(make.add(institute, "centre-pmi", name, territory.named(town)))
    for code, communes in _spread(ctx, plan.foyers, (1, 1)).items():
        for commune in communes:
            name = f"Foyer départemental de l’enfance {of(commune.name)}"
            sites.foyers.append(make.add(deps[code], "foyer-enfance", name, commune))
    for index in range(plan.museums):
        if index < len(MUSEUMS):
            name, town, code = MUSEUMS[index]
            sites.museums.append(make.add(deps[code], "musee", name, territory.named(town)))
        else:
            member = rng.choice(list(members.communes.values()))
            name = make.free_name(member, [f"Musée municipal {of(seat(member).name)}"])
            sites.museums.append(make.add(member, "musee", name, seat(member)))


def _commune_sites(ctx: DemoContext, members: DemoMembers, make: SiteMaker, sites: DemoSites) -> None:
    rng, plan, progs = ctx.rng, ctx.plan, members.programmes
    towns = [m.commune for m in members.communes.values() if m.commune is not None]
    population = [c.population or 0 for c in towns]
    for commune in weighted_sample(rng, towns, population, plan.mediatheques):
        member = members.communes[commune.code]
        name = make.free_name(member, [f"Médiathèque {n}" for n in MEDIATHEQUE_NAMESAKES])
        sites.mediatheques.append(make.add(member, "mediatheque", name, commune))
    for commune in weighted_sample(rng, towns, population, plan.technical_centres):
        name = f"Centre technique municipal {of(commune.name)}"
        sites.technical_centres.append(
            make.add(members.communes[commune.code], "centre-technique", name, commune)
        )
    for commune in progs.irve_pilots:
        for name in PARKINGS[:PARKINGS_PER_PILOT_COMMUNE]:
            sites.pilot_parkings.append(make.add(members.communes[commune.code], "parking", name, commune))
    for commune in progs.rural_chargers:
        street = f"{rng.randint(1, 12)} place de la Mairie"
        site = make.add(
            members.communes[commune.code], "parking", "Parking de la Mairie", commune, street=street
        )
        sites.rural_parkings.append(site)
    for commune in progs.video_pilots:
        for place in VOIRIE[:VOIRIE_SITES_PER_VIDEO_COMMUNE]:
            name = f"Vidéoprotection – {place}"
            sites.voirie.append(make.add(members.communes[commune.code], "voirie", name, commune))


def _university(ctx: DemoContext, members: DemoMembers, make: SiteMaker, sites: DemoSites) -> None:
    rooms_per_campus: dict[str, int] = {}
    for index in range(ctx.plan.university_rooms):
        town, building = CAMPUSES[index % len(CAMPUSES)]
        number = rooms_per_campus[building] = rooms_per_campus.get(building, 0) + 1
        room = f"amphithéâtre {'AB'[number - 1]}" if number <= 2 else f"salle {100 + number}"
        site = make.add(
            members.university,
            "salle-universitaire",
            f"{building} – {room}",
            ctx.territory.named(town),
            code=f"UVSQ-{index + 1:03d}",
        )
        sites.university_rooms.append(site)
