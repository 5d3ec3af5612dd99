"""What the ticket generator draws from, read once from the database: sites with their
equipment, the catalogue each site is offered, who may declare where, the teams.

Reading it back rather than reusing the objects of the run lets the same generator feed
the demo and the benchmarks (bench/), which load a demo database and add tickets to it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from mutualis.people.models import Membership, User
from mutualis.people.roles import Role
from mutualis.registry.models import Asset, AssetStatus, Operator, Site
from mutualis.servicedesk.models import CatalogueOverride, DeskSettings, FormField, IncidentType, Team

from .desk_calendar import AUDIENCES, audience
from .desk_catalogue import TYPE_SPECS
from .desk_specs import DESK_TEAM, FieldSpec, TypeSpec

# A member with nobody to declare still calls the desk, but less often than one whose
# staff use the portal every day.
NO_PORTAL_USER = 0.5


@dataclass(frozen=True)
class AssetRef:
    pk: int
    tag: str
    type_name: str


@dataclass
class SiteRef:
    pk: int
    member_id: int
    kind: str
    name: str
    departement: str
    assets: dict[str, list[AssetRef]] = field(default_factory=dict)  # by asset type code

    @property
    def size(self) -> int:
        return sum(len(found) for found in self.assets.values())


@dataclass(frozen=True)
class FieldRef:
    key: str
    label: str
    kind: str
    required: bool
    choices: tuple[str, ...]
    spec: FieldSpec | None


@dataclass
class TypeRef:
    pk: int
    name: str
    category_id: int
    team_id: int | None
    priority: int
    asset_type: str
    kinds: frozenset[str]
    fields: list[FieldRef]
    spec: TypeSpec


@dataclass
class TeamRef:
    pk: int
    code: str
    name: str
    members: list[int]
    lead: int | None


@dataclass
class Cells:
    """(site, type) pairs an audience can declare, with cumulative weights for drawing."""

    pairs: list[tuple[SiteRef, TypeRef]] = field(default_factory=list)
    cumulative: list[float] = field(default_factory=list)

    def add(self, site: SiteRef, incident_type: TypeRef, weight: float) -> None:
        if weight > 0:
            self.pairs.append((site, incident_type))
            self.cumulative.append((self.cumulative[-1] if self.cumulative else 0.0) + weight)

    @property
    def total(self) -> float:
        return self.cumulative[-1] if self.cumulative else 0.0


@dataclass
class DeskWorld:
    operator_id: int
    sites: dict[int, SiteRef]
    types: dict[int, TypeRef]
    teams: dict[int, TeamRef]
    names: dict[int, str]  # user pk -> full name
    emails: dict[str, int]  # email -> user pk, for the demo logins
    requesters: dict[int, list[int]]  # site pk -> people who may declare on it
    desk_agents: list[int]
    offered: dict[int, list[TypeRef]]  # site pk -> its catalogue
    close_after_days: int
    reopen_days: int
    cells: dict[str, Cells] = field(default_factory=dict)

    @classmethod
    def load(cls, operator: Operator) -> DeskWorld:
        sites = {
            pk: SiteRef(pk, member_id, kind, name, departement or "")
            for pk, member_id, kind, name, departement in Site.objects.filter(operator=operator)
            .order_by("pk")
            .values_list("pk", "member_id", "kind__code", "name", "commune__departement__code")
        }
        assets = (
            Asset.objects.filter(operator=operator)
            .exclude(status=AssetStatus.RETIRED)
            .order_by("pk")
            .values_list("pk", "site_id", "asset_type__code", "asset_type__name", "inventory_tag")
        )
        for pk, site_id, type_code, type_name, tag in assets:
            sites[site_id].assets.setdefault(type_code, []).append(AssetRef(pk, tag, type_name))
        types = _types(operator)
        teams = {
            team.pk: TeamRef(
                team.pk, team.code, team.name, sorted(u.pk for u in team.members.all()), team.lead_id
            )
            for team in Team.objects.filter(operator=operator).prefetch_related("members").order_by("pk")
        }
        users = User.objects.filter(memberships__operator=operator).distinct().order_by("pk")
        names = dict(users.values_list("pk", "full_name"))
        emails = {email: pk for pk, email in users.values_list("pk", "email")}
        requesters = _requesters(operator, sites)
        desk = next((t for t in teams.values() if t.code == DESK_TEAM), None)
        desk_agents = (
            desk.members
            if desk and desk.members
            else sorted(
                Membership.objects.filter(operator=operator, member=None, role=Role.DESK_AGENT).values_list(
                    "user_id", flat=True
                )
            )
        )
        settings = DeskSettings.for_operator(operator.pk)
        world = cls(
            operator_id=operator.pk,
            sites=sites,
            types=types,
            teams=teams,
            names=names,
            emails=emails,
            requesters=requesters,
            desk_agents=desk_agents,
            offered=_offered(operator, sites, types),
            close_after_days=settings.close_after_days,
            reopen_days=settings.reopen_days,
        )
        world.cells = world.weigh()
        return world

    def weigh(self) -> dict[str, Cells]:
        """Each (site, type) pair weighted by how often that type happens there: per piece
        of the type's equipment at the site, or by the site's size for the others."""
        cells = {name: Cells() for name in AUDIENCES}
        for site in self.sites.values():
            declaring = 1.0 if self.requesters.get(site.pk) else NO_PORTAL_USER
            for incident_type in self.offered.get(site.pk, []):
                spec = incident_type.spec
                if spec.asset_type:
                    count = len(site.assets.get(spec.asset_type, []))
                    if count == 0 and spec.asset_required:
                        continue
                    weight = spec.rate * max(count, 1)
                else:
                    weight = spec.rate * (1 + site.size**0.5)
                cells[audience(site.kind)].add(site, incident_type, weight * declaring)
        return cells

    def team_code(self, team_id: int | None) -> str:
        return self.teams[team_id].code if team_id in self.teams else ""


def _types(operator: Operator) -> dict[int, TypeRef]:
    fields: dict[int, list[FieldRef]] = defaultdict(list)
    rows = (
        FormField.objects.filter(incident_type__operator=operator)
        .select_related("incident_type__category")
        .order_by("incident_type_id", "position", "pk")
    )
    for row in rows:
        spec = TYPE_SPECS.get((row.incident_type.category.name, row.incident_type.name))
        field_spec = next((f for f in spec.fields if f.key == row.key), None) if spec else None
        fields[row.incident_type_id].append(
            FieldRef(row.key, row.label, row.kind, row.required, tuple(row.choices or ()), field_spec)
        )
    types = {}
    queryset = (
        IncidentType.objects.active()
        .filter(operator=operator)
        .select_related("category", "asset_type")
        .prefetch_related("site_kinds")
        .order_by("pk")
    )
    for kind in queryset:
        spec = TYPE_SPECS.get((kind.category.name, kind.name))
        if spec is None:  # a type an administrator added: the generator has no texts for it
            continue
        types[kind.pk] = TypeRef(
            pk=kind.pk,
            name=kind.name,
            category_id=kind.category_id,
            team_id=kind.default_team_id,
            priority=kind.default_priority,
            asset_type=kind.asset_type.code if kind.asset_type else "",
            kinds=frozenset(k.code for k in kind.site_kinds.all()),
            fields=fields[kind.pk],
            spec=spec,
        )
    return types


def _requesters(operator: Operator, sites: dict[int, SiteRef]) -> dict[int, list[int]]:
    """Who may declare on each site: the member's agents, and the site's own contacts."""
    agents: dict[int, list[int]] = defaultdict(list)
    memberships = Membership.objects.active().filter(
        operator=operator, role=Role.MEMBER_AGENT, member__isnull=False
    )
    for member_id, user_id in memberships.order_by("pk").values_list("member_id", "user_id"):
        agents[member_id].append(user_id)
    contacts: dict[int, list[int]] = defaultdict(list)
    through = Membership.sites.through.objects.filter(
        membership__operator=operator, membership__role=Role.SITE_CONTACT, membership__is_active=True
    )
    for site_id, user_id in through.order_by("pk").values_list("site_id", "membership__user_id"):
        contacts[site_id].append(user_id)
    return {
        pk: contacts[pk] + agents[site.member_id]
        for pk, site in sites.items()
        if contacts[pk] or agents[site.member_id]
    }


def _offered(
    operator: Operator, sites: dict[int, SiteRef], types: dict[int, TypeRef]
) -> dict[int, list[TypeRef]]:
    """servicedesk.catalogue.offered_types for every site at once."""
    overrides: dict[int, dict[int, bool]] = defaultdict(dict)
    rows = CatalogueOverride.objects.filter(member__operator=operator).order_by("pk")
    for member_id, type_id, enabled in rows.values_list("member_id", "incident_type_id", "enabled"):
        overrides[member_id][type_id] = enabled
    offered = {}
    for site in sites.values():
        own = overrides.get(site.member_id, {})
        offered[site.pk] = [t for t in types.values() if own.get(t.pk, site.kind in t.kinds) is True]
    return offered
