"""The operator's panel on the ticket page: every action through its verb, every refusal
shown on the page with nothing written, and members kept out."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from mutualis.servicedesk import services
from mutualis.servicedesk.models import Attachment, Comment, Ticket, TicketEvent
from tests.conftest import Cast
from tests.factories import SiteFactory

from .conftest import Desk
from .factories import CategoryFactory, IncidentTypeFactory
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


class Tags(HTMLParser):
    """The attributes of a page's tags by id, and the text of each element with an id."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.attrs: dict[str, dict[str, str]] = {}
        self.texts: dict[str, str] = {}
        self._open: list[str] = []
        self.page = page
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if "id" in found:
            self.attrs[found["id"]] = found
            if tag not in ("input", "br", "img"):
                self._open.append(found["id"])
                self.texts[found["id"]] = ""

    def handle_endtag(self, tag: str) -> None:
        if self._open and tag in ("ul", "p", "div", "fieldset", "section"):
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for open_id in self._open:
            self.texts[open_id] += data


def refused_merge(client, ticket: Ticket, typed: str) -> Tags:  # type: ignore[no-untyped-def]
    """Post a merge that must be refused: the page comes back (400) with the number typed."""
    response = client.post(f"/tickets/{ticket.number}/merge/", {"merge-into": typed})
    assert response.status_code == 400, response.get("Location")
    return Tags(response.content.decode())


def field_error(tags: Tags) -> str:
    """The merge field's error, checked to be marked and linked as assistive technologies
    need it, with what was typed still in the field."""
    field = tags.attrs["id_merge-into"]
    assert field["aria-invalid"] == "true"
    assert field["aria-describedby"].split() == ["id_merge-into_helptext", "id_merge-into_error"]
    assert tags.texts["id_merge-into_helptext"].strip()
    return " ".join(tags.texts["id_merge-into_error"].split())


def test_merging_by_number(cast: Cast, desk: Desk, ticket: Ticket, as_user) -> None:
    duplicate = broken_screen(cast, desk, title="Doublon")
    client = in_english(as_user, cast.olivia)
    page = act(client, duplicate, "merge", {"merge-into": ticket.number})
    assert f"n° {duplicate.number} is closed as a duplicate of n° {ticket.number}." in page
    duplicate.refresh_from_db()
    assert (duplicate.state, duplicate.merged_into) == ("closed", ticket)


AGAIN = "Type the number of another ticket of Versailles, still open or resolved."


def test_a_refused_merge_number_is_marked_in_its_field_and_kept(
    cast: Cast, desk: Desk, ticket: Ticket, as_user
) -> None:
    duplicate = broken_screen(cast, desk, title="Doublon")
    closed = broken_screen(cast, desk, title="Fermé")
    services.transition(ticket=closed, to="cancelled", by=cast.alice, as_staff=False)
    theirs = services.open_ticket(
        site=SiteFactory(member=cast.member_b, kind=desk.station_kind),
        incident_type=desk.camera_offline,
        title="Ailleurs",
        by=cast.charlie,
    )
    client = in_english(as_user, cast.olivia)
    refusals = {
        "999": f"There is no ticket n° 999. {AGAIN}",
        str(duplicate.number): f"A ticket cannot be merged into itself. {AGAIN}",
        str(closed.number): f"n° {closed.number} is cancelled: merge into an open ticket. {AGAIN}",
        # The desk sees every member's tickets: saying whose it is hides nothing from it.
        str(theirs.number): f"Only tickets of the same member can be merged. {AGAIN}",
        # Beyond any ticket number the database holds: still "no ticket", not an error page.
        "99999999999999999999": f"There is no ticket n° 99999999999999999999. {AGAIN}",
        "": "Type the number of the ticket that goes on, such as 1024.",
        "douze": "Type a ticket number in digits, such as 1024.",
        "0": "Type a ticket number in digits, such as 1024.",
    }
    for typed, said in refusals.items():
        tags = refused_merge(client, duplicate, typed)
        assert field_error(tags) == said, typed
        assert tags.attrs["id_merge-into"].get("value", "") == typed  # nothing to retype
        # The page's summary names the field and leads to it (it takes the focus: mutualis.js).
        assert '<a href="#id_merge-into">Number of the ticket that goes on</a>' in tags.page
    duplicate.refresh_from_db()
    assert (duplicate.state, duplicate.merged_into) == ("new", None)
    assert not TicketEvent.objects.filter(kind__in=["merged_into", "merged_from"]).exists()
    # Corrected in the same field, the merge is done.
    page = act(client, duplicate, "merge", {"merge-into": ticket.number})
    assert f"n° {duplicate.number} is closed as a duplicate of n° {ticket.number}." in page


def test_a_refused_merge_is_said_in_french(cast: Cast, desk: Desk, ticket: Ticket, as_user) -> None:
    tags = refused_merge(as_user(cast.olivia), ticket, "999")
    assert field_error(tags) == (
        "Il n’y a pas de demande n° 999. "
        "Indiquez le numéro d’une autre demande de Versailles, encore ouverte ou résolue."
    )


def test_another_operators_ticket_is_no_ticket(cast: Cast, desk: Desk, ticket: Ticket, as_user) -> None:
    """Oscar's operator numbers its tickets from 1 too: a number only his operator has is
    refused word for word as one nobody has, so the desk learns nothing of his tickets."""
    elsewhere_kind = IncidentTypeFactory(
        category=CategoryFactory(operator=cast.other_operator), site_kinds=[desk.college_kind]
    )
    elsewhere_site = SiteFactory(member__operator=cast.other_operator, kind=desk.college_kind)
    theirs = [
        services.open_ticket(
            site=elsewhere_site, incident_type=elsewhere_kind, title=f"Ailleurs {n}", by=cast.oscar
        )
        for n in range(3)
    ]
    unknown_here = theirs[-1].number
    assert not Ticket.objects.filter(operator=cast.operator, number=unknown_here).exists()
    client = in_english(as_user, cast.olivia)
    theirs_said = field_error(refused_merge(client, ticket, str(unknown_here)))
    nobodys_said = field_error(refused_merge(client, ticket, "999"))
    assert theirs_said == nobodys_said.replace("999", str(unknown_here))
    ticket.refresh_from_db()
    assert ticket.merged_into is None
    assert Ticket.objects.filter(pk=theirs[-1].pk, state="new").exists()


def test_outsiders_cannot_merge(cast: Cast, desk: Desk, ticket: Ticket, as_user) -> None:
    """Another member's user and another operator's staff do not find the ticket (404);
    the ticket's own member's users may not handle it (403)."""
    duplicate = broken_screen(cast, desk, title="Doublon")
    for outsider in (cast.charlie, cast.oscar):
        response = as_user(outsider).post(
            f"/tickets/{duplicate.number}/merge/", {"merge-into": ticket.number}
        )
        assert response.status_code == 404, outsider
    response = as_user(cast.alice).post(f"/tickets/{duplicate.number}/merge/", {"merge-into": ticket.number})
    assert response.status_code == 403
    duplicate.refresh_from_db()
    assert (duplicate.state, duplicate.merged_into) == ("new", None)


def test_a_ticket_no_longer_mergeable_is_said_as_a_message(
    cast: Cast, desk: Desk, ticket: Ticket, as_user
) -> None:
    """A page left open while the ticket was closed: the refusal is about the ticket, not the
    number typed, so it is a message beside the handling section."""
    duplicate = broken_screen(cast, desk, title="Doublon")
    client = in_english(as_user, cast.olivia)
    services.transition(ticket=duplicate, to="cancelled", by=cast.alice, as_staff=False)
    page = act(client, duplicate, "merge", {"merge-into": ticket.number})
    assert f"n° {duplicate.number} is cancelled: it cannot be merged." in page
    assert 'name="merge-into"' not in page  # no longer offered


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


def test_no_state_is_chosen_beforehand(cast: Cast, desk: Desk, ticket: Ticket, as_user) -> None:
    """The state list chose its first entry: an assigned ticket offered "new" first, and a
    technician sending the form to resolve it with a message sent it back to "new"."""
    services.assign(ticket=ticket, assignee=desk.tess, team=None, by=cast.olivia)
    client = as_user(desk.tess)
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    select = page[page.index('name="state-to"') : page.index("</select>", page.index('name="state-to"'))]
    assert " required>" in select
    assert '<option value="" selected>Choisir un état…</option>' in select
    assert select.count("selected") == 1
    page = act(client, ticket, "state", {"state-to": "", "state-note": "Écran remplacé."})
    assert "Choisissez le nouvel état de la demande." in page
    ticket.refresh_from_db()
    assert ticket.state == "assigned"
    assert Comment.objects.count() == 0
