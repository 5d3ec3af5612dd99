"""The operator's panel on the ticket page: every action through its verb, every refusal
shown on the page with nothing written, and members kept out."""

from __future__ import annotations

import pytest

from mutualis.servicedesk import services
from mutualis.servicedesk.models import Attachment, Comment, Ticket, TicketEvent
from tests.conftest import Cast
from tests.factories import SiteFactory

from .conftest import Desk
from .pages import broken_screen, camera, in_english, photo, program_named_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(cast: Cast, desk: Desk) -> Ticket:
    return broken_screen(cast, desk)


def act(client, ticket: Ticket, action: str, data: dict[str, object] | None = None) -> str:  # type: ignore[no-untyped-def]
    """Post an action and return the ticket page it leads back to."""
    response = client.post(f"/tickets/{ticket.number}/{action}/", data or {})
    assert response.status_code == 302, response.content.decode()[:300]
    assert response["Location"] == f"/tickets/{ticket.number}/#handling"
    return client.get(f"/tickets/{ticket.number}/").content.decode()


def test_a_technician_takes_replies_and_resolves(cast: Cast, desk: Desk, ticket: Ticket, as_user) -> None:
    client = in_english(as_user, desk.tess)
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "Take this ticket" in page
    page = act(client, ticket, "take")
    assert f"You took n° {ticket.number}: it is in progress." in page
    assert "Take this ticket" not in page
    client.post(f"/tickets/{ticket.number}/reply/", {"reply-body": "Je passe demain."})
    page = act(client, ticket, "state", {"state-to": "resolved", "state-note": "Écran remplacé."})
    assert f"n° {ticket.number} is now resolved." in page
    ticket.refresh_from_db()
    assert (ticket.state, ticket.assignee) == ("resolved", desk.tess)
    assert list(ticket.comments.values_list("body", "internal")) == [
        ("Je passe demain.", False),
        ("Écran remplacé.", False),
    ]


def test_an_illegal_transition_is_refused_with_what_is_possible(
    cast: Cast, desk: Desk, ticket: Ticket, as_user
) -> None:
    client = in_english(as_user, cast.olivia)
    page = act(client, ticket, "state", {"state-to": "closed", "state-note": "Fermé"})
    assert "A ticket cannot go from “new” to “closed” (possible:" in page
    ticket.refresh_from_db()
    assert ticket.state == "new"
    assert Comment.objects.count() == 0
    page = act(client, ticket, "state", {"state-to": "banana"})
    assert "Select a valid choice" in page


def test_assign_route_prioritise_and_reclassify(cast: Cast, desk: Desk, as_user) -> None:
    ticket = camera(cast, desk)
    client = in_english(as_user, cast.olivia)
    page = act(client, ticket, "assign", {"assign-assignee": desk.tess.pk, "assign-team": desk.team.pk})
    assert f"n° {ticket.number} is assigned to {desk.tess.full_name}." in page
    act(client, ticket, "priority", {"priority-priority": 1})
    page = act(client, ticket, "reclassify", {"reclassify-incident_type": desk.broken_screen.pk})
    assert "is now classified as" in page
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.team, ticket.state, ticket.priority) == (
        desk.tess,
        desk.team,
        "assigned",
        1,
    )
    assert (ticket.incident_type, ticket.category) == (desk.broken_screen, desk.broken_screen.category)
    act(client, ticket, "assign", {"assign-assignee": ""})
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.state) == (None, "new")
    kinds = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert {"team", "assignee", "priority", "incident_type", "category"} <= set(kinds)


def test_assigning_someone_outside_the_operator_is_refused(
    cast: Cast, desk: Desk, ticket: Ticket, as_user
) -> None:
    client = in_english(as_user, cast.olivia)
    page = act(client, ticket, "assign", {"assign-assignee": cast.alice.pk})
    assert "Select a valid choice" in page
    page = act(client, ticket, "assign", {"assign-assignee": cast.oscar.pk})
    assert "Select a valid choice" in page
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_equipment_is_linked_by_tag_within_the_member_only(cast: Cast, desk: Desk, as_user) -> None:
    ticket = camera(cast, desk)
    client = in_english(as_user, cast.olivia)
    page = act(client, ticket, "equipment/link", {"link-inventory_tag": "tab-0002"})
    assert f"Equipment TAB-0002 is linked to n° {ticket.number}." in page
    page = act(client, ticket, "equipment/link", {"link-inventory_tag": "B-0001"})
    assert "B-0001 is not equipment of Versailles." in page
    page = act(client, ticket, "equipment/link", {"link-inventory_tag": "NOPE"})
    assert "No equipment has the inventory tag NOPE." in page
    assert list(ticket.assets.values_list("inventory_tag", flat=True)) == ["TAB-0002"]
    act(client, ticket, "equipment/unlink", {"unlink-asset": desk.other_tablet.pk})
    assert ticket.assets.count() == 0


def test_merging_by_number(cast: Cast, desk: Desk, ticket: Ticket, as_user) -> None:
    duplicate = broken_screen(cast, desk, title="Doublon")
    client = in_english(as_user, cast.olivia)
    page = act(client, duplicate, "merge", {"merge-into": 999})
    assert "There is no ticket n° 999." in page
    page = act(client, duplicate, "merge", {"merge-into": duplicate.number})
    assert "A ticket cannot be merged into itself." in page
    duplicate.refresh_from_db()
    assert duplicate.state == "new"
    page = act(client, duplicate, "merge", {"merge-into": ticket.number})
    assert f"n° {duplicate.number} is closed as a duplicate of n° {ticket.number}." in page
    duplicate.refresh_from_db()
    assert (duplicate.state, duplicate.merged_into) == ("closed", ticket)


def test_merging_across_members_is_refused(cast: Cast, desk: Desk, ticket: Ticket, as_user) -> None:
    station_b = SiteFactory(member=cast.member_b, kind=desk.station_kind)
    other = services.open_ticket(
        site=station_b, incident_type=desk.camera_offline, title="Ailleurs", by=cast.charlie
    )
    page = act(in_english(as_user, cast.olivia), ticket, "merge", {"merge-into": other.number})
    assert "Only tickets of the same member can be merged." in page
    ticket.refresh_from_db()
    assert ticket.merged_into is None


def test_internal_notes_with_files(cast: Cast, desk: Desk, ticket: Ticket, as_user) -> None:
    client = in_english(as_user, cast.olivia)
    page = act(client, ticket, "note", {"note-body": "Rappeler la principale", "note-files": [photo()]})
    assert "Internal note added" in page
    note = Comment.objects.get()
    assert note.internal
    assert note.attachments.get().internal
    refused = client.post(
        f"/tickets/{ticket.number}/note/", {"note-body": "Pièce", "note-files": [program_named_pdf()]}
    ).content.decode()
    assert "is not a real PDF file" in refused
    assert 'href="#id_note-files"' in refused
    assert Comment.objects.count() == 1
    assert Attachment.objects.count() == 1


ACTIONS = [
    ("take", {}),
    ("assign", {"assign-assignee": ""}),
    ("state", {"state-to": "resolved"}),
    ("priority", {"priority-priority": 1}),
    ("reclassify", {"reclassify-incident_type": 0}),
    ("team", {}),
    ("equipment/link", {"link-inventory_tag": "TAB-0002"}),
    ("equipment/unlink", {}),
    ("merge", {"merge-into": 1}),
    ("note", {"note-body": "Vu"}),
]


@pytest.mark.parametrize(("action", "data"), ACTIONS)
def test_members_cannot_handle(
    cast: Cast, desk: Desk, ticket: Ticket, as_user, action: str, data: dict[str, object]
) -> None:
    for who in (cast.alice, cast.bob):
        response = as_user(who).post(f"/tickets/{ticket.number}/{action}/", data)
        assert response.status_code == 403
    ticket.refresh_from_db()
    assert (ticket.state, ticket.assignee, ticket.priority) == ("new", None, 3)
    assert Comment.objects.count() == 0
    assert list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True)) == [
        "created",
        "asset_linked",
    ]


def test_actions_are_posts(cast: Cast, desk: Desk, ticket: Ticket, as_user) -> None:
    assert as_user(cast.olivia).get(f"/tickets/{ticket.number}/take/").status_code == 405
    ticket.refresh_from_db()
    assert ticket.assignee is None
