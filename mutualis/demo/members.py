"""Members: the two départements, their EPCI and EPT, the communes, and the public
establishments (collèges, SDIS 78, EHPAD, CCAS, the psychotrauma institute, a university),
with the programmes communes take part in and their subscriptions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from mutualis.registry.identifiers import validate_siren
from mutualis.registry.models import Commune, Member, MemberKind, MemberService
from mutualis.registry.models.members import EstablishmentType

from .context import DemoContext
from .draw import day_between, weighted_sample
from .names import COLLEGE_NAMES, RESIDENCE_NAMES, email_part, phone, unique_name
from .plan import NON_MEMBER_COMMUNES

# Real SIRENs of the two départements. Yvelines is 227 806 460 in the SIRENE register
# (227 800 010, sometimes quoted, fails the Luhn check every SIREN passes).
DEPARTEMENT_MEMBERS = {
    "78": ("Département des Yvelines", "227806460", dt.date(2008, 1, 1)),
    "92": ("Département des Hauts-de-Seine", "229200506", dt.date(2017, 1, 1)),
}
# Members' fields that point at other rows: checked by construction, not by a query each.
RELATIONS = ["operator", "commune", "epci", "departement", "parent"]
# When each service opened (the portal dates from 2020): nobody subscribes before.
SERVICE_LAUNCH = {
    "portail": dt.date(2020, 1, 6),
    "tablettes": dt.date(2015, 9, 1),
    "videoprotection": dt.date(2016, 3, 1),
    "supervision": dt.date(2019, 1, 7),
    "irve": dt.date(2021, 4, 1),
    "achats": dt.date(2010, 1, 4),
    "territoires-connectes": dt.date(2020, 9, 1),
    "cybersecurite": dt.date(2021, 1, 4),
    "inclusion": dt.date(2019, 6, 3),
    "archivage": dt.date(2018, 1, 8),
    "signature": dt.date(2014, 1, 6),
    "maintenance-ecoles": dt.date(2012, 9, 3),
}


@dataclass
class Programmes:
    """Which member communes take part in which programme, decided once for all stages."""

    school_towns: list[Commune]  # Versailles first, then by population
    irve_pilots: list[Commune]
    rural_chargers: list[Commune]
    video_pilots: list[Commune]


@dataclass
class DemoMembers:
    departements: dict[str, Member]
    epcis: dict[str, Member]
    communes: dict[str, Member]
    colleges: list[Member]
    sdis: Member
    ehpads: list[Member]
    ccas: list[Member]
    institute: Member
    university: Member
    programmes: Programmes

    def all(self) -> list[Member]:
        return [
            *self.departements.values(),
            *self.epcis.values(),
            *self.communes.values(),
            *self.colleges,
            self.sdis,
            *self.ehpads,
            *self.ccas,
            self.institute,
            self.university,
        ]


def seat(member: Member) -> Commune:
    """The commune of a member built with one (a commune, an establishment)."""
    if member.commune is None:
        raise ValueError(f"{member} has no commune.")
    return member.commune


def departement_code(member: Member) -> str:
    """The département of a département member."""
    if member.departement is None:
        raise ValueError(f"{member} has no département.")
    return member.departement.code


def shown(name: str) -> str:
    """A place's name as the demo shows it, with French typography's apostrophe: the COG
    writes Bois-d'Arcy and CC Coeur d'Yvelines with the straight one."""
    return name.replace("'", "’")


def of(name: str) -> str:
    """French "de" before a place name: de Versailles, d’Orgeval, du Chesnay, des Mureaux,
    de L’Étang-la-Ville."""
    name = shown(name)
    if name.startswith("Le "):
        return "du " + name[3:]
    if name.startswith("Les "):
        return "des " + name[4:]
    if name[0] in "AEIOUYÉÈÎH":
        return "d’" + name
    return "de " + name


def _checked(members: list[Member]) -> list[Member]:
    """Run the model's own field and cross-field rules on each member before writing."""
    for member in members:
        member.clean_fields(exclude=RELATIONS)
        member.clean()
        if member.siren:
            validate_siren(member.siren)
    return Member.objects.bulk_create(members, batch_size=1000)


def build_members(ctx: DemoContext) -> DemoMembers:
    rng, territory = ctx.rng, ctx.territory
    base = {"operator": ctx.operator}
    start = {code: ctx.clamp(joined) for code, (_n, _s, joined) in DEPARTEMENT_MEMBERS.items()}
    departements = {
        code: Member(
            **base,
            kind=MemberKind.DEPARTEMENT,
            name=name,
            siren=siren,
            departement=territory.departements[code],
            joined_on=start[code],
            email=f"numerique@{email_part(name.removeprefix('Département des '))}.mutualis.example",
        )
        for code, (name, siren, _joined) in DEPARTEMENT_MEMBERS.items()
    }
    epcis: dict[str, Member] = {}
    for code, epci in territory.epcis.items():
        in_92 = any(
            c.ept_id == epci.pk or (c.epci_id == epci.pk and c.departement.code == "92")
            for c in territory.communes
        )
        first = start["92"] if in_92 else start["78"]
        epcis[code] = Member(
            **base,
            kind=MemberKind.EPCI,
            name=shown(epci.name),
            siren=epci.code,
            epci=epci,
            joined_on=ctx.clamp(day_between(rng, first, first + dt.timedelta(days=5 * 365))),
        )
    _checked([*departements.values(), *epcis.values()])

    versailles = territory.named("Versailles")
    small = [c for c in territory.communes if (c.population or 0) < 1500 and c != versailles]
    outsiders = {c.code for c in rng.sample(small, min(len(small), NON_MEMBER_COMMUNES))}
    commune_members: dict[str, Member] = {}
    for commune in territory.communes:
        if commune.code in outsiders:
            continue
        grouping = commune.ept_id or commune.epci_id
        parent = next((m for m in epcis.values() if m.epci_id == grouping), None)
        dep = commune.departement.code
        # A commune joins after its département, and after its EPCI when that is a member.
        earliest = max(start[dep], (parent.joined_on or start[dep]) if parent else start[dep])
        joined = day_between(rng, earliest, dt.date(2025, 12, 31))
        commune_members[commune.code] = Member(
            **base,
            kind=MemberKind.COMMUNE,
            name=shown(commune.name),
            siren=commune.siren,
            commune=commune,
            parent=parent,
            joined_on=ctx.clamp(joined),
            email=f"mairie@{email_part(commune.name)}.mutualis.example",
            phone=phone(rng, dep),
        )
    _checked(list(commune_members.values()))
    colleges, sdis, ehpads, ccas, institute, university = _establishments(
        ctx, departements, commune_members, versailles
    )
    members = DemoMembers(
        departements=departements,
        epcis=epcis,
        communes=commune_members,
        colleges=colleges,
        sdis=sdis,
        ehpads=ehpads,
        ccas=ccas,
        institute=institute,
        university=university,
        programmes=_programmes(ctx, commune_members, versailles),
    )
    _subscribe(ctx, members)
    ctx.progress.say(f"Members: {len(members.all()):,}")
    return members


def _programmes(ctx: DemoContext, communes: dict[str, Member], versailles: Commune) -> Programmes:
    rng, plan = ctx.rng, ctx.plan
    towns = [m.commune for m in communes.values() if m.commune is not None]

    def between(low: int, high: int) -> list[Commune]:
        return [c for c in towns if low <= (c.population or 0) < high and c != versailles]

    schools = rng.sample(between(12000, 80000), len(plan.schools_per_town) - 1)
    schools.sort(key=lambda c: (-(c.population or 0), c.code))
    rural = [c for c in towns if c.departement.code == "78" and (c.population or 0) < 2000]
    return Programmes(
        school_towns=[versailles, *schools],
        irve_pilots=rng.sample(between(5000, 50000), plan.irve_pilot_communes),
        rural_chargers=rng.sample(rural, plan.rural_charger_communes),
        video_pilots=rng.sample(between(10000, 70000), plan.video_pilot_communes),
    )


def _establishments(
    ctx: DemoContext, departements: dict[str, Member], communes: dict[str, Member], versailles: Commune
) -> tuple[list[Member], Member, list[Member], list[Member], Member, Member]:
    rng, plan, territory, ids = ctx.rng, ctx.plan, ctx.territory, ctx.ids
    base = {"operator": ctx.operator, "kind": MemberKind.ESTABLISHMENT}
    everywhere = territory.communes
    # Collèges follow population; the first is in Versailles for the principal's login.
    seats = [
        versailles,
        *rng.choices(everywhere, weights=[c.population or 0 for c in everywhere], k=plan.colleges - 1),
    ]
    names_in: dict[str, set[str]] = {}
    colleges = []
    for seat in seats:
        dep = seat.departement.code
        first = max(departements[dep].joined_on or ctx.today, dt.date(2012, 1, 1))
        colleges.append(
            Member(
                **base,
                establishment_type=EstablishmentType.COLLEGE,
                name="Collège " + unique_name(rng, COLLEGE_NAMES, names_in.setdefault(seat.code, set())),
                siren=ids.siren("19"),
                commune=seat,
                parent=departements[dep],
                joined_on=ctx.clamp(day_between(rng, first, first + dt.timedelta(days=4 * 365))),
                phone=phone(rng, dep),
            )
        )
    yvelines = departements["78"]
    # Only the Yvelines have an SDIS member: the Hauts-de-Seine are covered by the Paris
    # fire brigade (BSPP), a military unit, not a local public establishment.
    sdis = Member(
        **base,
        establishment_type=EstablishmentType.SDIS,
        name="Service départemental d’incendie et de secours des Yvelines (SDIS 78)",
        siren=ids.siren("28"),
        commune=versailles,
        parent=yvelines,
        joined_on=ctx.clamp(dt.date(2014, 1, 1)),
    )
    member_towns = [m.commune for m in communes.values() if m.commune is not None]
    ehpads = []
    residences: dict[str, set[str]] = {}
    for seat in rng.choices(
        member_towns, weights=[(c.population or 0) ** 0.5 for c in member_towns], k=plan.ehpads
    ):
        commune = communes[seat.code]
        ehpads.append(
            Member(
                **base,
                establishment_type=EstablishmentType.EHPAD,
                name="EHPAD " + unique_name(rng, RESIDENCE_NAMES, residences.setdefault(seat.code, set())),
                siren=ids.siren("26"),
                commune=seat,
                parent=commune,
                joined_on=ctx.clamp(
                    day_between(rng, max(commune.joined_on or ctx.today, dt.date(2016, 1, 1)), ctx.today)
                ),
                phone=phone(rng, seat.departement.code),
            )
        )
    ccas_towns = weighted_sample(rng, member_towns, [c.population or 0 for c in member_towns], plan.ccas)
    ccas = [
        Member(
            **base,
            establishment_type=EstablishmentType.CCAS,
            name=f"Centre communal d’action sociale {of(seat.name)}",
            siren=ids.siren("26"),
            commune=seat,
            parent=communes[seat.code],
            joined_on=ctx.clamp(
                day_between(
                    rng, max(communes[seat.code].joined_on or ctx.today, dt.date(2019, 6, 3)), ctx.today
                )
            ),
        )
        for seat in sorted(ccas_towns, key=lambda c: c.code)
    ]
    # Both have sites across the Yvelines (consultation points, campuses): the
    # département is their parent so that their territory is the département's.
    institute = Member(
        **base,
        establishment_type=EstablishmentType.HEALTH,
        name="Institut de psychotraumatologie de l’enfant et de l’adolescent",
        siren=ids.siren("26"),
        commune=versailles,
        parent=yvelines,
        joined_on=ctx.clamp(dt.date(2019, 9, 2)),
    )
    university = Member(
        **base,
        establishment_type=EstablishmentType.OTHER,
        name="Université de Versailles Saint-Quentin-en-Yvelines",
        siren=ids.siren("19"),
        commune=versailles,
        parent=yvelines,
        joined_on=ctx.clamp(dt.date(2018, 9, 3)),
    )
    _checked([*colleges, sdis, *ehpads, *ccas, institute, university])
    return colleges, sdis, ehpads, ccas, institute, university


def _subscribe(ctx: DemoContext, members: DemoMembers) -> None:
    """Subscriptions realistic per kind of member, none before the service opened."""
    rng, services, progs = ctx.rng, ctx.reference.services, members.programmes
    wanted: list[tuple[Member, list[str]]] = []
    every_dep = [code for code in SERVICE_LAUNCH if code not in ("maintenance-ecoles", "irve")]
    wanted += [(m, every_dep) for m in members.departements.values()]
    for m in members.epcis.values():
        optional = ["territoires-connectes", "cybersecurite", "inclusion", "archivage"]
        wanted.append((m, ["portail", "achats", "signature", *[s for s in optional if rng.random() < 0.5]]))
    programme_of = {
        "maintenance-ecoles": {c.code for c in progs.school_towns},
        "irve": {c.code for c in progs.irve_pilots + progs.rural_chargers},
        "videoprotection": {c.code for c in progs.video_pilots},
    }
    shares = {
        "achats": 0.6,
        "signature": 0.45,
        "cybersecurite": 0.2,
        "archivage": 0.1,
        "territoires-connectes": 0.1,
    }
    for code, m in members.communes.items():
        chosen = ["portail", *[s for s, share in shares.items() if rng.random() < share]]
        chosen += [s for s, codes in programme_of.items() if code in codes]
        wanted.append((m, chosen))
    wanted += [(m, ["portail", "tablettes", "videoprotection"]) for m in members.colleges]
    wanted.append((members.sdis, ["portail", "videoprotection", "cybersecurite", "achats"]))
    wanted += [(m, ["portail", "tablettes", "achats"]) for m in members.ehpads]
    wanted += [(m, ["portail", "inclusion"]) for m in members.ccas]
    wanted.append((members.institute, ["portail", "achats", "cybersecurite"]))
    wanted.append((members.university, ["portail", "achats"]))
    rows = []
    for member, codes in wanted:
        for code in codes:
            opened = max(member.joined_on or ctx.today, SERVICE_LAUNCH[code])
            since = opened + dt.timedelta(days=rng.randint(0, 400))
            if since < ctx.today:
                rows.append(MemberService(member=member, service=services[code], since=since))
    MemberService.objects.bulk_create(rows, batch_size=1000)
