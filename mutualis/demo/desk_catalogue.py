"""The demo operator's service desk: teams of its staff, the incident catalogue per kind
of site (desk_types_*.py), a few exceptions per member, the desk's settings and its reply
templates (desk_reply_templates.py)."""

from __future__ import annotations

from collections import defaultdict

from mutualis.people.models import User
from mutualis.people.roles import Role
from mutualis.registry.models import Member, Operator
from mutualis.servicedesk.models import (
    CatalogueOverride,
    Category,
    DeskSettings,
    FormField,
    IncidentType,
    Team,
)

from . import logins
from .context import DemoContext
from .desk_reply_templates import build_reply_templates
from .desk_specs import CATEGORIES, TEAMS, TypeSpec
from .desk_types_equipment import EQUIPMENT_TYPES
from .desk_types_services import SERVICE_TYPES
from .members import DemoMembers
from .people import DemoPeople

TYPES: tuple[TypeSpec, ...] = (*EQUIPMENT_TYPES, *SERVICE_TYPES)
# Natural key of a type in the catalogue: (category name, type name).
TYPE_SPECS = {(next(c.name for c in CATEGORIES if c.code == t.category), t.name): t for t in TYPES}
OPERATOR_STAFF = (Role.DESK_AGENT, Role.TECHNICIAN)
# The Yvelines field team and the educational team share the technician login, so that
# the login's queue mixes tickets of two teams.
TECHNICIAN_LOGIN_TEAMS = ("terrain-78", "numerique-educatif")
# Exceptions to the catalogue of the kinds of site (CatalogueOverride): rural communes
# with a shared electric car report charger faults from their town hall, Versailles runs
# its own switchboard, one collège has software installed by the département's tooling.
CHARGER_COMMUNES_WITH_OVERRIDE = 3
CHARGER_TYPE = ("Borne de recharge", "Borne hors service")
SWITCHBOARD_TYPE = ("Téléphonie", "Renvoi ou messagerie vocale à modifier")
SOFTWARE_TYPE = ("Poste de travail", "Demande d’installation de logiciel")


def build_catalogue(ctx: DemoContext, members: DemoMembers, people: DemoPeople) -> dict[str, Team]:
    teams = _teams(ctx.operator, people)
    categories: dict[str, Category] = {}
    for position, node in enumerate(CATEGORIES):
        categories[node.code] = Category.objects.create(
            operator=ctx.operator,
            parent=categories[node.parent] if node.parent else None,
            name=node.name,
            position=position,
        )
    kinds, asset_types = ctx.reference.site_kinds, ctx.reference.asset_types
    types: dict[tuple[str, str], IncidentType] = {}
    fields: list[FormField] = []
    links = []
    for position, spec in enumerate(TYPES):
        category = categories[spec.category]
        incident_type = IncidentType(
            operator=ctx.operator,
            category=category,
            name=spec.name,
            description=spec.description,
            keywords=spec.keywords,
            default_priority=spec.priority,
            default_team=teams[spec.team],
            asset_type=asset_types[spec.asset_type] if spec.asset_type else None,
            asset_required=spec.asset_required,
            position=position,
        )
        incident_type.full_clean(exclude=["operator", "category", "default_team", "asset_type"])
        types[(category.name, spec.name)] = incident_type
    IncidentType.objects.bulk_create(types.values())
    through = IncidentType.site_kinds.through
    for (_category, _name), incident_type in types.items():
        spec = TYPE_SPECS[(incident_type.category.name, incident_type.name)]
        links += [through(incidenttype_id=incident_type.pk, sitekind_id=kinds[k].pk) for k in spec.kinds]
        for position, field in enumerate(spec.fields):
            row = FormField(
                incident_type=incident_type,
                key=field.key,
                label=field.label,
                kind=field.kind,
                required=field.required,
                help_text=field.help_text,
                choices=list(field.choices),
                position=position,
            )
            row.full_clean(exclude=["incident_type"])
            fields.append(row)
    through.objects.bulk_create(links)
    FormField.objects.bulk_create(fields)
    _overrides(members, types)
    DeskSettings.objects.update_or_create(
        operator=ctx.operator,
        defaults={"reopen_days": 14, "close_after_days": 14, "max_attachment_mb": 10, "max_attachments": 5},
    )
    replies = build_reply_templates(ctx.operator, teams)
    ctx.progress.say(
        f"Service desk catalogue: {len(teams)} teams, {len(categories)} categories, "
        f"{len(types)} incident types, {len(fields)} questions, {replies} reply templates"
    )
    return teams


def _teams(operator: Operator, people: DemoPeople) -> dict[str, Team]:
    """Teams of the operator's desk agents and technicians, by job title; where several
    teams take the same job, its people are dealt out in turn. A team nobody's job fills
    (at a small scale) gets every technician, so that every ticket can be handled."""
    staff = [m for m in people.memberships if m.member_id is None and m.role in OPERATOR_STAFF]
    technicians = [m.user for m in staff if m.role == Role.TECHNICIAN]
    teams_of_job: dict[str, list[str]] = defaultdict(list)
    for spec in TEAMS:
        for job in spec.jobs:
            teams_of_job[job].append(spec.code)
    members: dict[str, list[User]] = {spec.code: [] for spec in TEAMS}
    dealt: dict[str, int] = defaultdict(int)
    for membership in staff:
        codes = teams_of_job.get(membership.job_title, [])
        if codes:
            members[codes[dealt[membership.job_title] % len(codes)]].append(membership.user)
            dealt[membership.job_title] += 1
    for code in TECHNICIAN_LOGIN_TEAMS:
        login = next((u for u in technicians if u.email == logins.TECHNICIAN), None)
        if login is not None and login not in members[code]:
            members[code].insert(0, login)
    supervisors = {
        m.job_title: m.user
        for m in reversed(people.memberships)
        if m.member_id is None and m.role == Role.SUPERVISOR
    }
    leads = {"centre-services": "Responsable du service desk", "video-supervision": "Responsable du PCSU"}
    teams = {}
    for spec in TEAMS:
        people_in = members[spec.code] or list(technicians)
        lead = supervisors.get(leads.get(spec.code, ""), people_in[0] if people_in else None)
        team = Team.objects.create(
            operator=operator,
            name=spec.name,
            code=spec.code,
            lead=lead,
            email=f"{spec.code}@mutualis.example",
        )
        team.members.set(people_in)
        teams[spec.code] = team
    return teams


def _overrides(members: DemoMembers, types: dict[tuple[str, str], IncidentType]) -> None:
    rows = [
        CatalogueOverride(member=members.communes[c.code], incident_type=types[CHARGER_TYPE], enabled=True)
        for c in members.programmes.rural_chargers[:CHARGER_COMMUNES_WITH_OVERRIDE]
    ]
    versailles = members.programmes.school_towns[0]
    rows.append(
        CatalogueOverride(
            member=members.communes[versailles.code], incident_type=types[SWITCHBOARD_TYPE], enabled=False
        )
    )
    hiding: Member = members.colleges[-1]
    rows.append(CatalogueOverride(member=hiding, incident_type=types[SOFTWARE_TYPE], enabled=False))
    CatalogueOverride.objects.bulk_create(rows)
