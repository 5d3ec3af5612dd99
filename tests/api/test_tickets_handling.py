"""Following and handling tickets through the API: replies and notes, the life cycle,
assigning, changing, equipment, merging; who may do which, and the life cycle's refusals."""

from __future__ import annotations

import json

import pytest

from mutualis.people.roles import Role
from mutualis.servicedesk import services
from mutualis.servicedesk.models import Attachment, Comment, Ticket, TicketEvent
from tests.factories import AssetFactory, MembershipFactory
from tests.servicedesk.factories import TeamFactory

from .desk_support import EXE, at_town_hall, broken_screen, camera, photo
from .support import field_messages, problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(cast, desk) -> Ticket:
    return camera(cast, desk)


def state_of(ticket: Ticket) -> str:
    ticket.refresh_from_db()
    return ticket.state


# Replies and notes.


def test_a_member_reply_hands_a_waiting_ticket_back(cast, desk, api, ticket):
    services.transition(
        ticket=ticket, to="waiting_member", by=desk.tess, as_staff=True, note="Quel parking ?"
    )
    response = api(cast.alice).post(f"tickets/{ticket.number}/replies/", {"body": "Le parking nord."})
    assert response.status_code == 201, response.content
    entry = response.json()
    assert (entry["kind"], entry["internal"], entry["event"]) == ("comment", False, None)
    assert entry["comment"]["body"] == "Le parking nord."
    assert entry["comment"]["author"] == {"id": cast.alice.pk, "full_name": cast.alice.full_name}
    assert entry["comment"]["channel"] == "api"
    assert state_of(ticket) == "in_progress"


def test_a_reply_comes_with_files_as_multipart(cast, desk, api, ticket):
    response = api(desk.tess).upload(
        f"tickets/{ticket.number}/replies/", {"body": "Voici le devis.", "attachments": [photo("devis.png")]}
    )
    assert response.status_code == 201, response.content
    [attached] = response.json()["files"]
    assert attached["name"] == "devis.png"
    assert attached["url"].endswith(f"/api/v1/tickets/{ticket.number}/files/{attached['id']}/")
    timeline = api(cast.alice).get(f"tickets/{ticket.number}/timeline/").json()
    assert [f["name"] for e in timeline for f in e["files"]] == ["devis.png"]


def test_a_reply_to_a_closed_ticket_is_a_conflict_and_writes_nothing(cast, desk, api, ticket):
    Ticket.objects.filter(pk=ticket.pk).update(state="closed")
    body = problem(api(cast.alice).post(f"tickets/{ticket.number}/replies/", {"body": "Encore ?"}), 409)
    assert body["type"] == "https://mutualis.example/problems/illegal-transition"
    assert body["detail"] == (
        f"This ticket is closed: declare a new incident, mentioning n° {ticket.number}."
    )
    assert not Comment.objects.exists()


def test_a_reply_with_a_disguised_file_is_refused_whole(cast, desk, api, ticket):
    data = {"body": "La facture", "attachments": [photo(), photo("facture.pdf", EXE)]}
    body = problem(api(cast.alice).upload(f"tickets/{ticket.number}/replies/", data), 400)
    assert field_messages(body, "attachments")[0].startswith("“facture.pdf” is not a real PDF file")
    assert not Comment.objects.exists()
    assert not Attachment.objects.exists()


def test_an_empty_reply_is_refused(cast, desk, api, ticket):
    body = problem(api(cast.alice).post(f"tickets/{ticket.number}/replies/", {"body": "  "}), 400)
    assert field_messages(body, "body") == ["Write a message."]


def test_notes_are_the_staffs(cast, desk, api, ticket):
    response = api(desk.tess).post(f"tickets/{ticket.number}/notes/", {"body": "Prestataire relancé."})
    assert response.status_code == 201, response.content
    assert response.json()["internal"] is True
    body = problem(api(cast.alice).post(f"tickets/{ticket.number}/notes/", {"body": "Moi aussi"}), 403)
    assert body["detail"] == "Internal notes are written by the operator's staff only; send a reply instead."
    assert Comment.objects.get().body == "Prestataire relancé."


# The life cycle.


def test_the_staff_moves_a_ticket_and_a_note_becomes_a_reply(cast, desk, api, ticket):
    path = f"tickets/{ticket.number}/transitions/"
    response = api(desk.tess).post(path, {"to": "resolved", "note": "Câble rebranché."})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "resolved"
    assert Comment.objects.get().body == "Câble rebranché."
    # The member reopens within the delay.
    assert api(cast.alice).post(path, {"to": "in_progress"}).json()["state"] == "in_progress"


def test_a_transition_the_life_cycle_refuses_is_a_conflict(cast, desk, api, ticket):
    services.transition(ticket=ticket, to="cancelled", by=cast.alice, as_staff=False)
    events = TicketEvent.objects.count()
    body = problem(api(desk.tess).post(f"tickets/{ticket.number}/transitions/", {"to": "in_progress"}), 409)
    message = "A ticket cannot go from “cancelled” to “in progress” (possible: none: it is final)."
    assert body["detail"] == message
    assert body["errors"] == [{"field": "to", "message": message}]
    assert TicketEvent.objects.count() == events
    assert state_of(ticket) == "cancelled"


def test_members_move_tickets_on_their_side_only(cast, desk, api, ticket):
    path = f"tickets/{ticket.number}/transitions/"
    body = problem(api(cast.alice).post(path, {"to": "resolved"}), 409)
    assert body["detail"] == "Only the operator can make this change."
    colleague = MembershipFactory(member=cast.member_a, role=Role.MEMBER_AGENT).user
    body = problem(api(colleague).post(path, {"to": "cancelled"}), 409)
    assert body["detail"] == "Only the person who declared this ticket can cancel it."
    assert state_of(ticket) == "new"
    assert api(cast.alice).post(path, {"to": "cancelled"}).json()["state"] == "cancelled"


def test_an_unknown_state_lists_the_states(cast, desk, api, ticket):
    body = problem(api(desk.tess).post(f"tickets/{ticket.number}/transitions/", {"to": "done"}), 400)
    assert field_messages(body, "to") == [
        "“done” is not allowed here; use one of: new, assigned, in_progress, waiting_member, "
        "waiting_third_party, resolved, closed, cancelled."
    ]


# Assigning and changing.


def test_the_staff_assigns_and_takes(cast, desk, api, ticket):
    path = f"tickets/{ticket.number}/"
    body = api(cast.olivia).post(path + "assign/", {"assignee": desk.tess.pk, "team": desk.team.pk}).json()
    assert (body["state"], body["assignee"]["id"], body["team"]["id"]) == (
        "assigned",
        desk.tess.pk,
        desk.team.pk,
    )
    body = api(cast.olivia).post(path + "assign/", {"assignee": None}).json()
    assert (body["state"], body["assignee"]) == ("new", None)
    body = api(desk.tess).post(path + "take/").json()
    assert (body["state"], body["assignee"]["id"]) == ("in_progress", desk.tess.pk)
    problem(api(desk.tess).post(path + "take/", {"assignee": 1}), 400)


def test_only_the_operators_staff_is_assigned(cast, desk, api, ticket):
    path = f"tickets/{ticket.number}/assign/"
    body = problem(api(cast.olivia).post(path, {"assignee": cast.alice.pk}), 400)
    assert field_messages(body, "assignee") == [f"{cast.alice.full_name} is not on the operator's staff."]
    body = problem(api(cast.olivia).post(path, {"assignee": cast.oscar.pk}), 400)
    assert field_messages(body, "assignee") == ["No such person."]
    other_team = TeamFactory(operator=cast.other_operator)
    body = problem(api(cast.olivia).post(path, {"assignee": None, "team": other_team.pk}), 400)
    assert field_messages(body, "team") == ["No such team."]
    Ticket.objects.filter(pk=ticket.pk).update(state="closed")
    body = problem(api(cast.olivia).post(path, {"assignee": desk.tess.pk}), 409)
    assert body["detail"] == "A ticket that is closed cannot be assigned."
    assert Ticket.objects.get(pk=ticket.pk).assignee is None


def test_the_staff_changes_priority_team_and_type(cast, desk, api, ticket):
    path = f"tickets/{ticket.number}/"
    body = (
        api(cast.olivia)
        .patch(path, {"priority": 1, "team": desk.team.pk, "incident_type": desk.broken_screen.pk})
        .json()
    )
    assert (body["priority"], body["team"]["id"], body["incident_type"]["id"]) == (
        1,
        desk.team.pk,
        desk.broken_screen.pk,
    )
    assert body["category"]["id"] == desk.broken_screen.category_id
    kinds = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert kinds[-4:] == ["priority", "team", "incident_type", "category"]


def test_a_change_names_what_changes_elsewhere(cast, desk, api, ticket):
    body = problem(
        api(cast.olivia).patch(f"tickets/{ticket.number}/", {"state": "resolved", "priority": 0}), 400
    )
    assert field_messages(body, "state") == [
        "The state changes through POST /api/v1/tickets/{number}/transitions/."
    ]
    assert state_of(ticket) == "new"


# Equipment and merging.


def test_the_staff_links_and_unlinks_equipment_of_the_member(cast, desk, api, ticket):
    path = f"tickets/{ticket.number}/assets/"
    body = api(cast.olivia).post(path, {"asset": cast.asset_a.pk}).json()
    assert [a["inventory_tag"] for a in body["assets"]] == ["A-0001"]
    assert api(cast.alice).get(f"{path}{cast.asset_a.pk}/").json()["inventory_tag"] == "A-0001"
    body = problem(api(cast.olivia).post(path, {"asset": cast.asset_b.pk}), 400)
    assert field_messages(body, "asset") == [f"B-0001 is not equipment of {cast.member_a.name}."]
    assert problem(api(cast.alice).delete(f"{path}{cast.asset_a.pk}/"), 403)["detail"] == (
        "Only the operator's staff change the equipment of a declared ticket; name it in a reply."
    )
    assert api(cast.olivia).delete(f"{path}{cast.asset_a.pk}/").status_code == 204
    assert list(ticket.assets.all()) == []
    problem(api(cast.olivia).delete(f"{path}{cast.asset_a.pk}/"), 404)
    unlinked = AssetFactory(site=desk.station)
    problem(api(cast.alice).get(f"{path}{unlinked.pk}/"), 404)


def test_the_staff_merges_a_duplicate(cast, desk, api, ticket):
    duplicate = camera(cast, desk, title="Caméra encore")
    body = api(cast.olivia).post(f"tickets/{duplicate.number}/merge/", {"into": ticket.number}).json()
    assert (body["state"], body["merged_into"]) == ("closed", ticket.number)
    reply = api(cast.alice).post(f"tickets/{duplicate.number}/replies/", {"body": "Et alors ?"})
    assert problem(reply, 409)["detail"] == f"This ticket was merged into n° {ticket.number}: reply there."
    body = problem(api(cast.olivia).post(f"tickets/{duplicate.number}/merge/", {"into": ticket.number}), 409)
    assert body["errors"][0]["field"] == "into"


def test_merging_needs_a_ticket_of_the_same_member(cast, desk, api, ticket):
    nanterre = at_town_hall(cast, cast.site_b, by=cast.charlie, title="Wi-Fi")
    path = f"tickets/{ticket.number}/merge/"
    body = problem(api(cast.olivia).post(path, {"into": nanterre.number}), 400)
    assert field_messages(body, "into") == ["Only tickets of the same member can be merged."]
    body = problem(api(cast.olivia).post(path, {"into": 999999}), 400)
    assert field_messages(body, "into") == ["No such ticket."]
    assert state_of(ticket) == "new"


# Who may write.

STAFF_WRITES = [
    ("post", "notes/", {"body": "Note"}),
    ("post", "assign/", {"assignee": None}),
    ("post", "take/", {}),
    ("patch", "", {"priority": 1}),
    ("post", "assets/", {"asset": 1}),
    ("delete", "assets/{asset}/", None),
    ("post", "merge/", {"into": 1}),
]
MEMBER_WRITES = [("post", "replies/", {"body": "Bonjour"}), ("post", "transitions/", {"to": "cancelled"})]


def _send(client, method: str, path: str, body):
    return client.delete(path) if method == "delete" else getattr(client, method)(path, body)


@pytest.mark.parametrize(("method", "tail", "body"), STAFF_WRITES + MEMBER_WRITES)
def test_elected_officials_and_read_only_tokens_write_nothing(cast, desk, api, method, tail, body):
    ticket = broken_screen(cast, desk)
    path = f"tickets/{ticket.number}/" + tail.format(asset=desk.tablet.pk)
    events = TicketEvent.objects.count()
    assert problem(_send(api(cast.bob), method, path, body), 403)["detail"] == (
        "Your role (elected official (read-only)) gives read-only access."
    )
    for reader in (cast.alice, cast.olivia):
        assert problem(_send(api(reader, can_write=False), method, path, body), 403)["detail"] == (
            "This API token is read-only; create a token that allows changes on your account page."
        )
    assert TicketEvent.objects.count() == events
    assert not Comment.objects.exists()


@pytest.mark.parametrize(("method", "tail", "body"), STAFF_WRITES)
def test_members_do_not_use_the_staffs_endpoints(cast, desk, api, method, tail, body):
    ticket = broken_screen(cast, desk)
    path = f"tickets/{ticket.number}/" + tail.format(asset=desk.tablet.pk)
    events = TicketEvent.objects.count()
    detail = problem(_send(api(cast.alice), method, path, body), 403)["detail"]
    assert detail.startswith(
        ("Only the operator's staff", "Internal notes are written by the operator's staff")
    )
    assert TicketEvent.objects.count() == events


def test_only_declarations_replies_and_notes_take_forms(cast, desk, api, ticket):
    response = api(desk.tess).upload(f"tickets/{ticket.number}/transitions/", {"to": "resolved"})
    assert "multipart/form-data" in problem(response, 415)["detail"]
    assert state_of(ticket) == "new"


def test_an_incident_followed_to_its_resolution(cast, desk, api):
    """The issue's story, through the API: the collège declares a broken screen with a photo,
    a technician takes it, replies and resolves it; the collège sees both."""
    answers = json.dumps({"since": "2026-11-20", "usable": "no", "tablet": desk.tablet.pk})
    declared = api(cast.alice).upload(
        "tickets/",
        {
            "site": desk.college.pk,
            "incident_type": desk.broken_screen.pk,
            "title": "Écran fissuré",
            "answers": answers,
            "attachments": [photo()],
        },
    )
    assert declared.status_code == 201, declared.content
    path = f"tickets/{declared.json()['number']}/"
    tess = api(desk.tess)
    assert tess.post(path + "take/").json()["state"] == "in_progress"
    assert tess.post(path + "replies/", {"body": "Écran commandé."}).status_code == 201
    assert tess.post(path + "transitions/", {"to": "resolved", "note": "Écran remplacé."}).status_code == 200
    seen = api(cast.alice).get(path).json()
    assert (seen["state"], seen["assignee"]["id"]) == ("resolved", desk.tess.pk)
    timeline = api(cast.alice).get(path + "timeline/").json()
    assert [e["comment"]["body"] for e in timeline if e["comment"]] == ["Écran commandé.", "Écran remplacé."]
    assert [e["event"]["new_value"] for e in timeline if e["event"] and e["event"]["kind"] == "state"][
        -1
    ] == ("resolved")
