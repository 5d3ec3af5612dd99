"""The demo's service desk at a small scale: a catalogue per kind of site, teams, and two
years of tickets that follow the life cycle and the verbs' rules."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from mutualis.demo import logins
from mutualis.demo.builder import DEMO_SLUG
from mutualis.demo.desk_calendar import periods, ticket_volumes
from mutualis.demo.desk_specs import TEAMS
from mutualis.people.models import Membership, User
from mutualis.people.roles import OPERATOR_ROLES, Role
from mutualis.people.tenancy import Scope
from mutualis.registry.models import Operator, Site, SiteKind
from mutualis.servicedesk.catalogue import offered_types
from mutualis.servicedesk.lifecycle import TRANSITIONS
from mutualis.servicedesk.models import (
    CatalogueOverride,
    Comment,
    FormFieldKind,
    IncidentType,
    ReplyTemplate,
    Team,
    Ticket,
    TicketCounter,
    TicketEvent,
    TicketEventKind,
    TicketState,
)
from mutualis.servicedesk.models.tickets import OPEN_STATES
from mutualis.servicedesk.selectors import filter_tickets
from mutualis.servicedesk.services.records import refresh_search

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 15)
NOW = dt.datetime(2026, 3, 15, tzinfo=dt.timezone(dt.timedelta(hours=1)))
# What some kinds of site must be offered, and must not: a collège is not a fire station.
CATALOGUE = {
    "college": ({"Écran cassé", "Pas d’image ou ne s’allume plus", "ENT ou Pronote inaccessible"},
                {"Ligne d’alerte ou poste de garde injoignable", "Borne hors service", "Alarme en défaut"}),
    "caserne": ({"Ligne d’alerte ou poste de garde injoignable", "Caméra hors ligne", "Pas d’internet"},
                {"Écran cassé", "ENT ou Pronote inaccessible", "Pas d’image ou ne s’allume plus"}),
    "ecole": ({"ENT ou Pronote inaccessible", "L’ordinateur ne démarre plus", "Wi-Fi absent ou instable"},
              {"Écran cassé", "Caméra hors ligne"}),
    "mairie": ({"Logiciel métier en erreur", "Serveur inaccessible ou sauvegarde en échec"},
               {"Écran cassé", "ENT ou Pronote inaccessible", "Alarme en défaut"}),
    "ehpad": ({"Écran cassé", "Cabine de téléconsultation indisponible"}, {"ENT ou Pronote inaccessible"}),
    "batiment-departemental": ({"Alarme en défaut", "Badge ou code d’accès", "Caméra hors ligne"},
                               {"Écran cassé", "ENT ou Pronote inaccessible"}),
    "parking": ({"Borne hors service", "Badge de recharge refusé"}, {"Pas d’internet", "Mot de passe oublié ou compte bloqué"}),
    "voirie": ({"Caméra hors ligne", "Demande d’extraction d’images"}, {"Mot de passe oublié ou compte bloqué"}),
    "salle-universitaire": ({"Pas de son ou micro inopérant"}, {"Écran cassé"}),
}  # fmt: skip


@pytest.fixture
def demo() -> Operator:
    call_command(
        "demo_data", "--scale", "0.02", "--today", TODAY.isoformat(), stdout=StringIO(), stderr=StringIO()
    )
    return Operator.objects.get(slug=DEMO_SLUG)


def test_each_kind_of_site_has_its_own_catalogue(demo):
    catalogues = {
        kind.code: set(
            IncidentType.objects.filter(operator=demo, site_kinds=kind).values_list("name", flat=True)
        )
        for kind in SiteKind.objects.filter(sites__operator=demo).distinct()
    }

    for kind, (offered, not_offered) in CATALOGUE.items():
        assert offered <= catalogues[kind], kind
        assert not (not_offered & catalogues[kind]), kind
    for (one, first), (other, second) in itertools.combinations(catalogues.items(), 2):
        assert first != second, f"{one} and {other} see the same catalogue"


def test_a_college_is_not_offered_what_a_fire_station_is(demo):
    college = Site.objects.get(
        operator=demo, kind__code="college", member__memberships__user__email=logins.VERSAILLES_PRINCIPAL
    )
    station = Site.objects.filter(operator=demo, kind__code="caserne")[0]

    at_college = {t.name for t in offered_types(college)}
    at_station = {t.name for t in offered_types(station)}

    assert {"Écran cassé", "ENT ou Pronote inaccessible"} <= at_college - at_station
    assert {"Ligne d’alerte ou poste de garde injoignable"} <= at_station - at_college
    assert "Borne hors service" not in at_college


def test_members_exceptions_add_and_hide_types(demo):
    overrides = CatalogueOverride.objects.filter(member__operator=demo).select_related(
        "member", "incident_type"
    )
    added = overrides.get(enabled=True, member__kind="commune")
    mairie = Site.objects.get(member=added.member, kind__code="mairie")
    hidden = overrides.get(enabled=False, member__name="Versailles")
    versailles = Site.objects.get(member=hidden.member, kind__code="mairie")

    assert added.incident_type.name == "Borne hors service"
    assert added.incident_type in offered_types(mairie)
    assert hidden.incident_type not in offered_types(versailles)
    assert hidden.incident_type.site_kinds.filter(code="mairie").exists()


def test_types_ask_typed_questions_and_go_to_a_team(demo):
    types = IncidentType.objects.filter(operator=demo).prefetch_related("fields", "site_kinds")
    kinds_used = set()
    for incident_type in types:
        fields = list(incident_type.fields.all())
        assert 1 <= len(fields) <= 4, incident_type.name
        for field in fields:
            field.full_clean()
            kinds_used.add(field.kind)
        incident_type.full_clean()
        assert incident_type.default_team is not None
        assert incident_type.site_kinds.exists()
        if incident_type.asset_required:
            assert any(f.kind == FormFieldKind.ASSET and f.required for f in fields)
    assert kinds_used == set(FormFieldKind.values)
    teams = Team.objects.filter(operator=demo)
    assert {t.name for t in teams} == {spec.name for spec in TEAMS}
    for team in teams:
        assert team.members.exists(), team.name
        assert team.lead is not None
    technician = User.objects.get(email=logins.TECHNICIAN)
    assert set(technician.teams.values_list("code", flat=True)) >= {"terrain-78", "numerique-educatif"}


def test_two_years_of_tickets_at_the_planned_volume(demo):
    tickets = Ticket.objects.filter(operator=demo)
    counts = [
        tickets.filter(created_at__date__gte=start, created_at__date__lt=end).count()
        for start, end, _count in periods(TODAY, ticket_volumes(0.02))
    ]

    assert counts == ticket_volumes(0.02)
    assert tickets.count() == sum(counts)
    numbers = sorted(tickets.values_list("number", flat=True))
    assert numbers == list(range(1, len(numbers) + 1))
    assert TicketCounter.objects.get(operator=demo).last == numbers[-1]


def test_tickets_stand_on_their_sites_catalogue_and_equipment(demo):
    offered: dict[int, set[int]] = {}
    declaring = defaultdict(set)
    for membership in Membership.objects.filter(
        operator=demo, role__in=[Role.MEMBER_AGENT, Role.SITE_CONTACT]
    ):
        if membership.role == Role.SITE_CONTACT:
            for site_id in membership.sites.values_list("pk", flat=True):
                declaring[("site", site_id)].add(membership.user_id)
        else:
            declaring[("member", membership.member_id)].add(membership.user_id)
    desk = set(
        Membership.objects.filter(operator=demo, role=Role.DESK_AGENT).values_list("user_id", flat=True)
    )
    tickets = Ticket.objects.filter(operator=demo).select_related("site", "incident_type", "team")
    for ticket in tickets.prefetch_related("assets", "team__members"):
        if ticket.site_id not in offered:
            offered[ticket.site_id] = set(offered_types(ticket.site).values_list("pk", flat=True))
        assert ticket.incident_type_id in offered[ticket.site_id]
        assert ticket.member_id == ticket.site.member_id
        assert ticket.category_id == ticket.incident_type.category_id
        for asset in ticket.assets.all():
            assert asset.site_id == ticket.site_id
            assert asset.asset_type_id == ticket.incident_type.asset_type_id
        if ticket.incident_type.asset_required:
            assert ticket.assets.exists()
        people = declaring[("member", ticket.member_id)] | declaring[("site", ticket.site_id)]
        assert ticket.requester_id in people or (ticket.channel != "web" and ticket.requester_id in desk)
        if ticket.assignee_id is not None:
            assert ticket.assignee in ticket.team.members.all()
        keys = {f.key: f for f in ticket.incident_type.fields.all()}
        for answer in ticket.answers:
            assert answer["kind"] == keys[answer["key"]].kind
            if answer["kind"] == FormFieldKind.ASSET:
                assert answer["value"] in {a.pk for a in ticket.assets.all()}


def test_timelines_follow_the_life_cycle_and_set_the_times(demo):
    staff = set(
        Membership.objects.filter(operator=demo, role__in=OPERATOR_ROLES).values_list("user_id", flat=True)
    )
    events = defaultdict(list)
    for event in TicketEvent.objects.filter(ticket__operator=demo).order_by("at", "id"):
        events[event.ticket_id].append(event)
    comments = defaultdict(list)
    for comment in Comment.objects.filter(ticket__operator=demo).order_by("created_at", "id"):
        comments[comment.ticket_id].append(comment)
    for ticket in Ticket.objects.filter(operator=demo):
        timeline = events[ticket.pk]
        created = timeline[0]
        assert (created.kind, created.new_value, created.at) == (
            TicketEventKind.CREATED,
            "new",
            ticket.created_at,
        )
        state, assignee, resolved, closed = TicketState.NEW, None, None, None
        responses = [c.created_at for c in comments[ticket.pk] if c.author_id in staff and not c.internal]
        for event, after in itertools.zip_longest(timeline[1:], timeline[2:]):
            if event.kind == TicketEventKind.STATE:
                merged = after is not None and after.kind == TicketEventKind.MERGED_INTO
                assert event.old_value == state
                assert event.new_value in TRANSITIONS[state] or (merged and event.new_value == "closed")
                if state == TicketState.NEW and event.new_value != TicketState.CANCELLED and not merged:
                    responses.append(event.at)
                if event.new_value == TicketState.RESOLVED:
                    resolved = event.at
                elif state == TicketState.RESOLVED and event.new_value != TicketState.CLOSED:
                    resolved = None  # reopened
                closed = event.at if event.new_value == "closed" else closed
                state = event.new_value
            elif event.kind == TicketEventKind.ASSIGNEE:
                assignee = int(event.new_value) if event.new_value else None
                if assignee is not None:
                    responses.append(event.at)
        assert ticket.state == state
        assert ticket.assignee_id == assignee
        assert (ticket.resolved_at, ticket.closed_at) == (resolved, closed)
        assert ticket.first_response_at == min(responses, default=None)
        moments = [e.at for e in timeline] + [c.created_at for c in comments[ticket.pk]]
        assert ticket.updated_at == max(moments)
        assert max(moments) < NOW
        if ticket.merged_into_id:
            assert ticket.merged_into.member_id == ticket.member_id
            assert timeline[-1].new_value == str(ticket.merged_into.number)


def test_old_tickets_are_finished_and_recent_ones_in_every_state(demo):
    tickets = Ticket.objects.filter(operator=demo)
    old = tickets.filter(created_at__date__lt=TODAY - dt.timedelta(days=120))
    recent = tickets.filter(created_at__date__gte=TODAY - dt.timedelta(days=30))

    assert set(old.values_list("state", flat=True)) <= {"closed", "cancelled"}
    assert set(recent.values_list("state", flat=True)) >= set(OPEN_STATES) | {"resolved"}
    assert tickets.filter(state="cancelled").exists()
    assert tickets.exclude(merged_into=None).exists()
    assert 2 <= Comment.objects.filter(ticket__operator=demo).count() / tickets.count() <= 3
    assert Comment.objects.filter(ticket__operator=demo, internal=True).exists()


def test_search_texts_are_those_the_verbs_write(demo):
    tickets = Ticket.objects.filter(operator=demo)
    written = {t.pk: (t.search_text, t.search_internal) for t in tickets}
    if connection.vendor == "postgresql":
        assert not tickets.filter(search_vector=None).exists()

    for ticket in tickets:
        refresh_search(ticket)

    assert {t.pk: (t.search_text, t.search_internal) for t in tickets} == written
    staff = Scope.for_membership(Membership.objects.get(user__email=logins.DESK_AGENT))
    found = filter_tickets(Ticket.objects.visible_to(staff), {"q": "ecran"}, scope=staff)
    assert found.filter(incident_type__name="Écran cassé").exists()


def test_the_demo_logins_find_the_desk_alive(demo, client):
    def scope_of(email: str) -> Scope:
        return Scope.for_membership(Membership.objects.filter(user__email=email).order_by("pk")[0])

    principal = scope_of(logins.VERSAILLES_PRINCIPAL)
    theirs = Ticket.objects.visible_to(principal)
    assert theirs.filter(site__kind__code="college", requester=principal.user).exists()
    assert theirs.filter(state__in=OPEN_STATES).exists()

    technician = User.objects.get(email=logins.TECHNICIAN)
    assigned = set(Ticket.objects.filter(assignee=technician).values_list("state", flat=True))
    assert assigned >= set(OPEN_STATES) - {TicketState.NEW}

    agent = scope_of(logins.VERSAILLES_AGENT)
    assert agent.member is not None
    assert agent.member.name == "Versailles"
    assert len(set(Ticket.objects.visible_to(agent).values_list("state", flat=True))) >= 4

    client.post("/accounts/login/", {"email": logins.VERSAILLES_PRINCIPAL, "password": logins.DEMO_PASSWORD})
    newest = theirs.order_by("-pk")[0]
    assert f"/tickets/{newest.number}/" in client.get("/tickets/").content.decode()
    assert client.get(f"/tickets/{newest.number}/").status_code == 200


def test_the_demo_technician_is_offered_french_reply_templates(demo, client):
    technician = User.objects.get(email=logins.TECHNICIAN)
    templates = ReplyTemplate.objects.filter(operator=demo)
    for template in templates:
        template.full_clean()  # known placeholders only
    offered = list(templates.offered_to(technician).values_list("title", "team__code"))
    # The Yvelines field team's own first, then those for every agent; never the inactive one
    # nor another team's.
    assert offered[0] == ("Passage d’un technicien", "terrain-78")
    assert {title for title, team in offered if team is None} == {
        "Numéro de série demandé",
        "Prise en compte",
        "Sans nouvelles de votre part",
    }
    assert templates.filter(is_active=False).exists()
    assert templates.exclude(team=None).exclude(team__code__in=["terrain-78", "numerique-educatif"]).exists()

    ticket = Ticket.objects.filter(
        operator=demo, state=TicketState.IN_PROGRESS, site__member__kind="commune"
    )[0]
    serial = templates.get(title="Numéro de série demandé")
    client.post("/accounts/login/", {"email": logins.TECHNICIAN, "password": logins.DEMO_PASSWORD})
    page = client.get(f"/tickets/{ticket.number}/?reply_template={serial.pk}").content.decode()
    assert f"Pour avancer sur votre demande n° {ticket.number}, pouvez-vous" in page
    assert f"Merci d’avance,\n{technician.full_name}</textarea>" in page
