"""People: the operator's staff, the members' agents, site contacts and elected officials,
with the demo logins among them. Every demo user shares one password, hashed once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import cycle

from django.contrib.auth.hashers import make_password

from mutualis.people.models import Membership, User
from mutualis.people.roles import Role
from mutualis.registry.models import Member, Site

from . import logins
from .context import DemoContext
from .draw import day_between, weighted_sample, working_time
from .members import DemoMembers, departement_code, seat
from .names import People, email_part
from .sites import DemoSites

OPERATOR_DOMAIN = "mutualis.example"
OPERATOR_JOBS = {
    Role.OPERATOR_ADMIN: ("Directeur général des services", "Directrice des systèmes d’information"),
    Role.SUPERVISOR: ("Responsable du service desk", "Chef de projet", "Responsable du PCSU"),
    Role.DESK_AGENT: ("Agent du service desk", "Opérateur de supervision (PCSU)"),
    Role.TECHNICIAN: (
        "Technicien de proximité",
        "Technicien réseaux",
        "Technicien vidéoprotection",
        "Technicien IRVE",
    ),
}


@dataclass
class DemoPeople:
    users: list[User] = field(default_factory=list)
    memberships: list[Membership] = field(default_factory=list)
    site_links: list[tuple[Membership, list[Site]]] = field(default_factory=list)
    technicians: list[User] = field(default_factory=list)


class Staffing:
    """Collects users and memberships, then writes them in a few bulk inserts."""

    def __init__(self, ctx: DemoContext) -> None:
        self.ctx = ctx
        self.people = People(ctx.rng, {email for _role, email in logins.DEMO_LOGINS})
        self.result = DemoPeople()
        # Hashing is deliberately slow (Argon2): once for the run, not once per person.
        self.password = make_password(logins.DEMO_PASSWORD)

    def person(self, domain: str, *, email: str = "") -> User:
        rng, today = self.ctx.rng, self.ctx.today
        full_name = self.people.full_name()
        joined = day_between(rng, today - dt.timedelta(days=3 * 365), today - dt.timedelta(days=1))
        user = User(
            email=email or self.people.email(full_name, domain),
            full_name=full_name,
            password=self.password,
            language="fr",
            date_joined=working_time(rng, joined),
        )
        self.result.users.append(user)
        return user

    def hold(
        self, user: User, role: str, member: Member | None, job: str, sites: list[Site] | None = None
    ) -> None:
        membership = Membership(
            user=user, operator=self.ctx.operator, member=member, role=role, job_title=job, is_active=True
        )
        self.result.memberships.append(membership)
        if sites:
            self.result.site_links.append((membership, sites))

    def group(self, count: int, first_email: str = "") -> Iterator[tuple[int, str]]:
        """Indexes 0..count-1, with the demo login's email for the first."""
        for index in range(count):
            yield index, first_email if index == 0 else ""

    def save(self) -> DemoPeople:
        result = self.result
        # A demo person who also works for another operator outlives a reset (see
        # builder.reset_demo): the new demo gives them their roles back, on the same account.
        existing = dict(
            User.objects.filter(email__in=[u.email for u in result.users]).values_list("email", "pk")
        )
        for user in result.users:
            user.pk = existing.get(user.email)
        User.objects.bulk_create([u for u in result.users if u.pk is None], batch_size=1000)
        for membership in result.memberships:
            membership.user_id = membership.user.pk
        Membership.objects.bulk_create(result.memberships, batch_size=1000)
        through = Membership.sites.through
        links = [
            through(membership_id=membership.pk, site_id=site.pk)
            for membership, sites in result.site_links
            for site in sites
        ]
        through.objects.bulk_create(links, batch_size=1000)
        return result


def build_people(ctx: DemoContext, members: DemoMembers, sites: DemoSites) -> DemoPeople:
    staff = Staffing(ctx)
    users = ctx.plan.users
    firsts = {
        Role.OPERATOR_ADMIN: logins.ADMIN,
        Role.SUPERVISOR: logins.SUPERVISOR,
        Role.DESK_AGENT: logins.DESK_AGENT,
        Role.TECHNICIAN: logins.TECHNICIAN,
    }
    for role, first in firsts.items():
        for index, email in staff.group(users[str(role)], first):
            user = staff.person(OPERATOR_DOMAIN, email=email)
            staff.hold(user, role, None, OPERATOR_JOBS[role][index % len(OPERATOR_JOBS[role])])
            if role == Role.TECHNICIAN:
                staff.result.technicians.append(user)
    _colleges(staff, members)
    _communes(ctx, staff, members, sites)
    _others(ctx, staff, members, sites)
    result = staff.save()
    ctx.progress.say(f"People: {len(result.users):,} users, {len(result.memberships):,} memberships")
    return result


def _colleges(staff: Staffing, members: DemoMembers) -> None:
    for index, college in enumerate(members.colleges):
        first = index == 0
        principal = staff.person(
            "ac-versailles.mutualis.example", email=logins.VERSAILLES_PRINCIPAL if first else ""
        )
        staff.hold(principal, Role.MEMBER_AGENT, college, "Principal" if first else "Chef d’établissement")
        staff.hold(staff.person("ac-versailles.mutualis.example"), Role.MEMBER_AGENT, college, "Gestionnaire")


def _domain(commune_name: str) -> str:
    return f"{email_part(commune_name)}.mutualis.example"


def _communes(ctx: DemoContext, staff: Staffing, members: DemoMembers, sites: DemoSites) -> None:
    rng, users = ctx.rng, ctx.plan.users
    versailles = members.programmes.school_towns[0]
    others = [m for code, m in members.communes.items() if code != versailles.code]
    weights = [(m.commune.population or 0) if m.commune else 0 for m in others]
    agents_of = [
        members.communes[versailles.code],
        *weighted_sample(rng, others, weights, users["commune_agent"] - 1),
    ]
    for index, commune in enumerate(agents_of):
        email = logins.VERSAILLES_AGENT if index == 0 else ""
        user = staff.person(_domain(seat(commune).name), email=email)
        small = (seat(commune).population or 0) < 3000
        staff.hold(
            user, Role.MEMBER_AGENT, commune, "Secrétaire de mairie" if small else "Responsable informatique"
        )
        # A few town-hall IT contacts also act for their EPCI: the member switcher shows.
        if index < ctx.plan.dual_memberships and commune.parent is not None:
            staff.hold(user, Role.MEMBER_AGENT, commune.parent, "Référent numérique de la commune")
    schools = [(code, site) for code, town_sites in sites.schools.items() for site in town_sites]
    contact = staff.person(_domain(versailles.name), email=logins.VERSAILLES_SCHOOLS)
    staff.hold(
        contact,
        Role.SITE_CONTACT,
        members.communes[versailles.code],
        "Service des écoles",
        sites.schools[versailles.code][:3],
    )
    for code, school in rng.sample(schools[3:], min(users["school_contact"] - 1, len(schools) - 3)):
        director = staff.person(_domain(ctx.territory.by_code[code].name))
        staff.hold(director, Role.SITE_CONTACT, members.communes[code], "Directeur d’école", [school])
    mayors = [members.communes[versailles.code], *weighted_sample(rng, others, weights, users["mayor"] - 1)]
    for index, commune in enumerate(mayors):
        email = logins.VERSAILLES_MAYOR if index == 0 else ""
        staff.hold(staff.person(_domain(seat(commune).name), email=email), Role.ELECTED, commune, "Maire")


def _others(ctx: DemoContext, staff: Staffing, members: DemoMembers, sites: DemoSites) -> None:
    rng, users = ctx.rng, ctx.plan.users
    epcis = list(members.epcis.values())
    for _index, epci in zip(range(users["epci_agent"]), cycle(epcis), strict=False):
        staff.hold(
            staff.person(_domain(epci.name)), Role.MEMBER_AGENT, epci, "Responsable du système d’information"
        )
    for _index, epci in zip(range(users["epci_elected"]), cycle(epcis), strict=False):
        staff.hold(staff.person(_domain(epci.name)), Role.ELECTED, epci, "Vice-président chargé du numérique")
    departements = list(members.departements.values())
    domains = {"78": "yvelines.mutualis.example", "92": "hauts-de-seine.mutualis.example"}
    jobs = (
        "Chef de projet collèges numériques",
        "Responsable des bâtiments",
        "Direction des systèmes d’information",
    )
    for index, dep in zip(range(users["departement_agent"]), cycle(departements), strict=False):
        staff.hold(
            staff.person(domains[departement_code(dep)]), Role.MEMBER_AGENT, dep, jobs[index % len(jobs)]
        )
    for _index, dep in zip(range(users["departement_elected"]), cycle(departements), strict=False):
        job = "Vice-président chargé du numérique"
        staff.hold(staff.person(domains[departement_code(dep)]), Role.ELECTED, dep, job)
    buildings = rng.sample(sites.departmental, users["building_contact"])
    for building in buildings:
        dep = building.member
        user = staff.person(domains[departement_code(dep)])
        staff.hold(user, Role.SITE_CONTACT, dep, "Gestionnaire de bâtiment", [building])
    for ehpad in members.ehpads[: users["ehpad_agent"]]:
        staff.hold(
            staff.person(f"ehpad-{_domain(seat(ehpad).name)}"), Role.MEMBER_AGENT, ehpad, "Directeur d’EHPAD"
        )
    for ccas in members.ccas[: users["ccas_agent"]]:
        staff.hold(
            staff.person(f"ccas-{_domain(seat(ccas).name)}"), Role.MEMBER_AGENT, ccas, "Responsable du CCAS"
        )
    for index in range(users["sdis_agent"]):
        job = ("Responsable des systèmes d’information", "Officier de permanence")[index % 2]
        staff.hold(staff.person("sdis78.mutualis.example"), Role.MEMBER_AGENT, members.sdis, job)
    for station in rng.sample(sites.fire_stations, users["fire_station_contact"]):
        staff.hold(
            staff.person("sdis78.mutualis.example"),
            Role.SITE_CONTACT,
            members.sdis,
            "Chef de centre",
            [station],
        )
    for index in range(users["university_agent"]):
        job = ("Responsable audiovisuel", "Technicien audiovisuel")[min(index, 1)]
        staff.hold(staff.person("uvsq.mutualis.example"), Role.MEMBER_AGENT, members.university, job)
    for index in range(users["institute_agent"]):
        job = ("Directrice de l’institut", "Cadre de santé")[min(index, 1)]
        staff.hold(staff.person("ipea.mutualis.example"), Role.MEMBER_AGENT, members.institute, job)
