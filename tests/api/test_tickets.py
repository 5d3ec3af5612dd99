"""Tickets through the API: scoped lists and tickets, filters, paging, what each caller may
see of a ticket, the catalogue of a site, the teams; outsiders get the 404 of a missing ticket."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlparse

import pytest
from django.utils import timezone

from mutualis.people.roles import Role
from mutualis.servicedesk import services
from mutualis.servicedesk.attachments import check_uploads
from mutualis.servicedesk.models import Attachment, Comment, Ticket, TicketEvent
from tests.factories import MembershipFactory, SiteFactory
from tests.servicedesk.factories import CategoryFactory, IncidentTypeFactory, TeamFactory

from .desk_support import at_town_hall, broken_screen, camera, photo
from .support import field_messages, problem

pytestmark = pytest.mark.django_db


def numbers(response) -> list[int]:
    assert response.status_code == 200, response.content.decode()[:800]
    return sorted(row["number"] for row in response.json()["results"])


# Reading.


def test_lists_contain_exactly_the_scoped_tickets(cast, desk, api):
    screen, parking = broken_screen(cast, desk), camera(cast, desk)
    nanterre = at_town_hall(cast, cast.site_b, by=cast.charlie, title="Wi-Fi de la mairie")
    other_site = SiteFactory(member__operator=cast.other_operator, kind=desk.college_kind)
    other_type = IncidentTypeFactory(
        category=CategoryFactory(operator=cast.other_operator), site_kinds=[desk.college_kind]
    )
    theirs = services.open_ticket(site=other_site, incident_type=other_type, title="Panne", by=cast.oscar)
    contact = MembershipFactory(member=cast.member_a, role=Role.SITE_CONTACT)
    contact.sites.add(desk.college)
    a_tickets = sorted([screen.number, parking.number])
    assert numbers(api(cast.alice).get("tickets/")) == a_tickets
    assert numbers(api(cast.bob).get("tickets/")) == a_tickets
    assert numbers(api(contact.user).get("tickets/")) == [screen.number]
    assert numbers(api(cast.charlie).get("tickets/")) == [nanterre.number]
    assert numbers(api(cast.olivia).get("tickets/")) == sorted([*a_tickets, nanterre.number])
    # Numbers are per operator: the other operator's first ticket is its n° 1 too.
    assert numbers(api(cast.oscar).get("tickets/")) == [theirs.number] == [1]


def test_a_ticket_shows_what_its_page_shows(cast, desk, api):
    ticket = broken_screen(cast, desk)
    body = api(cast.alice).get(f"tickets/{ticket.number}/").json()
    assert (body["number"], body["title"], body["state"], body["priority"]) == (1, "Écran fissuré", "new", 3)
    assert body["site"] == {"id": desk.college.pk, "name": "Collège Hoche"}
    assert body["site_kind"] == {"code": "college", "name": "Collège"}
    assert body["member"] == {"id": cast.member_a.pk, "name": cast.member_a.name}
    assert body["incident_type"] == {"id": desk.broken_screen.pk, "name": "Écran cassé"}
    assert body["team"] == {"id": desk.team.pk, "code": "tablettes", "name": "Support tablettes"}
    assert body["requester"] == {"id": cast.alice.pk, "full_name": cast.alice.full_name}
    assert (body["assignee"], body["merged_into"], body["channel"]) == (None, None, "web")
    assert [(a["key"], a["value"]) for a in body["answers"]] == [
        ("since", "2026-11-20"),
        ("usable", "no"),
        ("tablet", desk.tablet.pk),
    ]
    assert body["assets"] == [
        {
            "id": desk.tablet.pk,
            "inventory_tag": "TAB-0001",
            "label": desk.tablet.label,
            "asset_type": {"code": "tablette", "name": "Tablette"},
        }
    ]
    [photo] = body["files"]
    assert (photo["name"], photo["content_type"], photo["internal"]) == ("photo.png", "image/png", False)
    assert photo["url"] == f"http://testserver/api/v1/tickets/1/files/{photo['id']}/"
    assert body["reopen_deadline"] is None


def test_allowed_transitions_are_the_callers(cast, desk, api):
    ticket = broken_screen(cast, desk)
    path = f"tickets/{ticket.number}/"
    assert api(cast.alice).get(path).json()["allowed_transitions"] == ["cancelled"]
    assert api(cast.bob).get(path).json()["allowed_transitions"] == []
    assert api(cast.alice, can_write=False).get(path).json()["allowed_transitions"] == []
    assert api(cast.olivia).get(path).json()["allowed_transitions"] == [
        "assigned",
        "in_progress",
        "waiting_member",
        "waiting_third_party",
        "resolved",
        "cancelled",
    ]
    services.transition(ticket=ticket, to="resolved", by=cast.olivia, as_staff=True)
    body = api(cast.alice).get(path).json()
    assert body["allowed_transitions"] == ["in_progress"]
    ticket.refresh_from_db()
    deadline = timezone.localtime(ticket.resolved_at + dt.timedelta(days=14))
    assert body["reopen_deadline"] == deadline.isoformat()


def test_internal_notes_and_their_files_are_for_the_staff_only(cast, desk, api):
    ticket = camera(cast, desk)
    services.reply(ticket=ticket, body="Un technicien passe demain.", by=desk.tess, as_staff=True)
    files = check_uploads([photo("devis.png")], max_bytes=10_000_000, max_count=5)
    services.add_note(ticket=ticket, body="Le prestataire facture trop cher", by=desk.tess, files=files)
    note_file = Attachment.objects.get(ticket=ticket)
    member_timeline = api(cast.alice).get(f"tickets/{ticket.number}/timeline/").json()
    staff_timeline = api(cast.olivia).get(f"tickets/{ticket.number}/timeline/").json()
    assert [e["comment"]["body"] for e in member_timeline if e["comment"]] == ["Un technicien passe demain."]
    assert [e["comment"]["body"] for e in staff_timeline if e["comment"]] == [
        "Un technicien passe demain.",
        "Le prestataire facture trop cher",
    ]
    assert staff_timeline[-1]["internal"] is True
    assert [f["name"] for f in staff_timeline[-1]["files"]] == ["devis.png"]
    assert [e["event"]["kind"] for e in member_timeline if e["event"]] == ["created"]
    assert api(cast.alice).get(f"tickets/{ticket.number}/").json()["files"] == []
    missing = problem(api(cast.alice).get(f"tickets/{ticket.number}/files/999999/"), 404)
    assert problem(api(cast.alice).get(f"tickets/{ticket.number}/files/{note_file.pk}/"), 404) == missing
    response = api(cast.olivia).get(f"tickets/{ticket.number}/files/{note_file.pk}/")
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")  # read through, hence closed


def test_a_file_is_downloaded_as_an_attachment_of_its_checked_type(cast, desk, api):
    ticket = broken_screen(cast, desk)
    attachment = Attachment.objects.get(ticket=ticket)
    alice = api(cast.alice)
    alice.headers["Accept"] = "application/pdf"  # what a client asks does not change the file's type
    response = alice.get(f"tickets/{ticket.number}/files/{attachment.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'attachment; filename="photo.png"'
    assert response["X-Content-Type-Options"] == "nosniff"


# Outsiders.

READS = ["", "timeline/", "files/{file}/", "assets/{asset}/"]
WRITES = [
    ("post", "replies/", {"body": "Bonjour"}),
    ("post", "notes/", {"body": "Note"}),
    ("post", "transitions/", {"to": "cancelled"}),
    ("post", "assign/", {"assignee": None}),
    ("post", "take/", {}),
    ("post", "assets/", {"asset": 1}),
    ("post", "merge/", {"into": 1}),
    ("patch", "", {"priority": 1}),
    ("delete", "assets/{asset}/", None),
]


def _path(ticket: Ticket, number: int, tail: str, desk) -> str:
    file_id = Attachment.objects.filter(ticket=ticket).values_list("pk", flat=True).first()
    return f"tickets/{number}/" + tail.format(file=file_id, asset=desk.tablet.pk)


@pytest.mark.parametrize("tail", READS)
def test_outsiders_read_the_404_of_a_missing_ticket(cast, desk, api, tail):
    ticket = broken_screen(cast, desk)
    missing = problem(api(cast.alice).get(_path(ticket, 999999, tail, desk)), 404)
    for outsider in (cast.charlie, cast.oscar):
        assert problem(api(outsider).get(_path(ticket, ticket.number, tail, desk)), 404) == missing


@pytest.mark.parametrize(("method", "tail", "body"), WRITES)
def test_outsiders_change_nothing_and_get_the_404_of_a_missing_ticket(cast, desk, api, method, tail, body):
    ticket = broken_screen(cast, desk)
    events = TicketEvent.objects.count()
    for outsider in (cast.charlie, cast.oscar, cast.adam):
        client = api(outsider)
        # adam: staff of the operator, asking for a number that does not exist.
        path = _path(ticket, 999999 if outsider == cast.adam else ticket.number, tail, desk)
        response = client.delete(path) if method == "delete" else getattr(client, method)(path, body)
        assert problem(response, 404)["detail"] == "Not found."
    assert TicketEvent.objects.count() == events
    assert not Comment.objects.exists()
    ticket.refresh_from_db()
    assert (ticket.state, ticket.priority, ticket.assignee) == ("new", 3, None)


# Filters and paging.


def test_filters(cast, desk, api):
    screen = broken_screen(cast, desk)
    parking = camera(cast, desk)
    services.take(ticket=parking, by=desk.tess)
    services.reply(ticket=parking, body="Le câble réseau était débranché.", by=desk.tess, as_staff=True)
    services.transition(ticket=screen, to="cancelled", by=cast.alice, as_staff=False)
    olivia, tess = api(cast.olivia), api(desk.tess)
    assert numbers(olivia.get("tickets/", {"state": "open"})) == [parking.number]
    assert numbers(olivia.get("tickets/", {"state": "cancelled"})) == [screen.number]
    assert numbers(olivia.get("tickets/", {"priority": 2})) == [parking.number]
    assert numbers(olivia.get("tickets/", {"site": desk.college.pk})) == [screen.number]
    assert numbers(olivia.get("tickets/", {"site_kind": "caserne"})) == [parking.number]
    assert numbers(olivia.get("tickets/", {"member": cast.member_b.pk})) == []
    assert numbers(olivia.get("tickets/", {"category": desk.broken_screen.category_id})) == [screen.number]
    assert numbers(olivia.get("tickets/", {"incident_type": desk.camera_offline.pk})) == [parking.number]
    assert numbers(olivia.get("tickets/", {"team": desk.team.pk})) == [screen.number]
    assert numbers(tess.get("tickets/", {"assignee": "me"})) == [parking.number]
    assert numbers(olivia.get("tickets/", {"assignee": "none"})) == [screen.number]
    assert numbers(olivia.get("tickets/", {"assignee": desk.tess.pk})) == [parking.number]
    assert numbers(olivia.get("tickets/", {"asset": desk.tablet.pk})) == [screen.number]
    assert numbers(olivia.get("tickets/", {"q": "cable debranche"})) == [parking.number]
    assert numbers(olivia.get("tickets/", {"older_than_days": 1})) == []
    assert numbers(olivia.get("tickets/", {"created_after": "2199-01-01"})) == []
    assert numbers(olivia.get("tickets/", {"created_before": "2199-01-01"})) == [
        screen.number,
        parking.number,
    ]
    assert numbers(olivia.get("tickets/", {"updated_since": "2199-01-01T00:00:00Z"})) == []
    assert numbers(api(cast.alice).get("tickets/", {"view": "mine"})) == [screen.number, parking.number]
    assert numbers(olivia.get("tickets/", {"view": "mine"})) == []


def test_members_filter_by_the_operators_catalogue_too(cast, desk, api):
    screen = broken_screen(cast, desk)
    camera(cast, desk)
    alice = api(cast.alice)
    assert numbers(alice.get("tickets/", {"incident_type": desk.broken_screen.pk})) == [screen.number]
    assert numbers(alice.get("tickets/", {"team": desk.team.pk})) == [screen.number]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("state", "lost", "“lost” is not allowed here; use one of: open, new, assigned, in_progress,"),
        ("priority", "9", "“9” is not allowed here; use one of: 1, 2, 3, 4."),
        ("assignee", "someone", "Give me, none, or the id of a person of the operator's staff."),
        ("older_than_days", "0", "Ensure this value is greater than or equal to 1."),
        ("created_after", "yesterday", "Date has wrong format."),
        # The ends of the calendar overflowed the day's arithmetic (a 500 before).
        ("created_before", "9999-12-31", "Enter a date between 01/01/1900 and 12/31/2199."),
        ("created_after", "0001-01-01", "Enter a date between 01/01/1900 and 12/31/2199."),
        ("updated_since", "9999-12-31T23:59:59Z", "Enter a date between 01/01/1900 and 12/31/2199."),
        ("updated_since", "0001-01-01T00:00:00+01:00", "Enter a date between 01/01/1900 and 12/31/2199."),
        ("stauts", "open", "Unknown name; the accepted ones are: asset, assignee, category,"),
    ],
)
def test_bad_filter_values_are_named(cast, desk, api, name, value, message):
    body = problem(api(cast.olivia).get("tickets/", {name: value}), 400)
    assert field_messages(body, name)[0].startswith(message)


def test_foreign_ids_in_filters_read_like_unknown_ones(cast, desk, api):
    other_team = TeamFactory(operator=cast.other_operator)
    alice = api(cast.alice)
    for name, value, message in [
        ("site", cast.site_b.pk, "No such site."),
        ("member", cast.member_b.pk, "No such member."),
        ("asset", cast.asset_b.pk, "No such asset."),
        ("team", other_team.pk, "No such team."),
        ("assignee", cast.charlie.pk, "Give me, none, or the id of a person of the operator's staff."),
    ]:
        assert field_messages(problem(alice.get("tickets/", {name: value}), 400), name) == [message]


def test_pages_are_keyset_newest_first(cast, desk, api):
    tickets = [camera(cast, desk, title=f"Caméra {n}") for n in range(5)]
    alice = api(cast.alice)
    first = alice.get("tickets/", {"limit": 2}).json()
    assert [t["number"] for t in first["results"]] == [tickets[4].number, tickets[3].number]
    next_page = urlparse(first["next"])
    second = alice.get(f"{next_page.path}?{next_page.query}").json()
    assert [t["number"] for t in second["results"]] == [tickets[2].number, tickets[1].number]
    problem(alice.get("tickets/", {"limit": "all"}), 400)


@pytest.mark.parametrize("count", [3, 30])
def test_lists_and_tickets_cost_a_bounded_number_of_queries(
    cast, desk, api, django_assert_max_num_queries, count
):
    tickets = [broken_screen(cast, desk) for _ in range(count)]
    for ticket in tickets[::2]:
        services.take(ticket=ticket, by=desk.tess)
        services.reply(ticket=ticket, body="Je passe.", by=desk.tess, as_staff=True)
    olivia = api(cast.olivia)
    # Authentication (token, last use), the page; whatever the number of rows.
    with django_assert_max_num_queries(4):
        assert len(olivia.get("tickets/", {"limit": 50}).json()["results"]) == count
    with django_assert_max_num_queries(6):
        olivia.get(f"tickets/{tickets[0].number}/")
    with django_assert_max_num_queries(6):
        olivia.get(f"tickets/{tickets[0].number}/timeline/")


# The catalogue and the teams.


def test_a_site_is_offered_its_kinds_catalogue_with_each_types_form(cast, desk, api):
    body = api(cast.alice).get(f"sites/{desk.college.pk}/catalogue/").json()
    assert body["site"] == {"id": desk.college.pk, "name": "Collège Hoche"}
    assert body["site_kind"] == {"code": "college", "name": "Collège"}
    [section] = body["categories"]
    assert section["category"] == "Tablette"
    [screen] = section["types"]
    assert (screen["id"], screen["name"], screen["priority"], screen["asset_required"]) == (
        desk.broken_screen.pk,
        "Écran cassé",
        3,
        True,
    )
    assert screen["asset_type"] == {"code": "tablette", "name": "Tablette"}
    assert screen["questions"][0] == {
        "key": "since",
        "label": "Depuis quand ?",
        "kind": "date",
        "required": True,
        "help": "",
        "choices": [],
    }
    assert [q["key"] for q in screen["questions"]] == ["since", "usable", "tablet"]
    station = api(cast.bob).get(f"sites/{desk.station.pk}/catalogue/").json()
    assert [t["name"] for s in station["categories"] for t in s["types"]] == ["Caméra hors ligne"]


def test_the_catalogue_is_searched_and_refuses_other_parameters(cast, desk, api):
    path = f"sites/{desk.college.pk}/catalogue/"
    assert api(cast.alice).get(path, {"q": "fissure"}).json()["categories"][0]["types"][0]["name"] == (
        "Écran cassé"
    )
    assert api(cast.alice).get(path, {"q": "imprimante"}).json()["categories"] == []
    problem(api(cast.alice).get(path, {"cursor": "x"}), 400)


def test_outsiders_get_the_404_of_a_missing_site_for_its_catalogue(cast, desk, api):
    missing = problem(api(cast.alice).get("sites/999999/catalogue/"), 404)
    for outsider in (cast.charlie, cast.oscar):
        assert problem(api(outsider).get(f"sites/{desk.college.pk}/catalogue/"), 404) == missing


def test_the_teams_are_for_the_operators_staff(cast, desk, api):
    body = api(cast.olivia, can_write=False).get("teams/").json()
    assert body["results"] == [
        {
            "id": desk.team.pk,
            "code": "tablettes",
            "name": "Support tablettes",
            "email": "",
            "is_active": True,
            "lead": None,
            "members": [{"id": desk.tess.pk, "full_name": desk.tess.full_name}],
        }
    ]
    assert api(cast.oscar).get("teams/").json()["results"] == []
    for member in (cast.alice, cast.charlie):
        assert problem(api(member).get("teams/"), 403)["detail"] == "Only the operator's staff see its teams."


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        ("/api/v1/tickets", "No API endpoint at /api/v1/tickets; did you mean /api/v1/tickets/?"),
        (
            "/api/v1/tickets/abc/",
            "No API endpoint at /api/v1/tickets/abc/; the endpoints are listed at /api/docs/.",
        ),
        ("/api/v1/teams/1/", "No API endpoint at /api/v1/teams/1/; the endpoints are listed at /api/docs/."),
    ],
)
def test_unknown_addresses_under_the_tickets_are_404_problems(cast, api, path, detail):
    assert problem(api(cast.alice).get(path), 404)["detail"] == detail


def test_the_list_gives_what_the_ticket_serializer_gives(cast, desk, api, settings):
    """The list builds TicketSerializer's JSON from plain values (serializers.list_rows):
    the same rows, keys and values as the serializer, with and without team, assignee,
    first response, resolution or merge, in the API's time zone."""
    from mutualis.servicedesk.api.serializers import TicketSerializer

    settings.TIME_ZONE = "Europe/Paris"
    taken, resolved, duplicate = (broken_screen(cast, desk) for _ in range(3))
    plain = camera(cast, desk)  # a type without a default team
    services.take(ticket=taken, by=desk.tess)
    services.reply(ticket=taken, body="Je passe.", by=desk.tess, as_staff=True)
    services.take(ticket=resolved, by=desk.tess)
    services.transition(ticket=resolved, to="resolved", by=desk.tess, as_staff=True, note="Écran changé.")
    services.merge(duplicate=duplicate, into=plain, by=desk.tess)
    listed = api(cast.olivia).get("tickets/", {"limit": 50}).json()["results"]
    expected = TicketSerializer(Ticket.objects.order_by("-pk"), many=True).data
    assert listed == [dict(row) for row in expected]
    by_number = {row["number"]: row for row in listed}
    assert by_number[taken.number]["assignee"] == {"id": desk.tess.pk, "full_name": desk.tess.full_name}
    assert by_number[duplicate.number]["merged_into"] == plain.number
    assert {row["team"]["code"] if row["team"] else None for row in listed} == {"tablettes", None}
    assert by_number[resolved.number]["resolved_at"] is not None
    assert by_number[taken.number]["first_response_at"] is not None
