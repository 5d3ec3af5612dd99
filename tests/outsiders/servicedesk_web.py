"""Outsider cases of the service desk's pages.

Member A's ticket (with a public file) is what outsiders try to reach: charlie (a user of
member B) and oscar (an admin of another operator) get a 404 on the ticket, its file and
every action on it, and the lists they open do not show it. Members of A posting the
operator's actions get 403 (tests/servicedesk/test_pages_staff.py).
"""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from mutualis.servicedesk import services
from mutualis.servicedesk.attachments import check_uploads
from mutualis.servicedesk.models import Attachment, Category, IncidentType, Ticket
from tests.conftest import Cast
from tests.servicedesk.pages import png_bytes

from . import Case, Check, Extra

TITLE = "Écran de la salle du conseil"
TYPE_NAME = "Écran du conseil municipal"
PNG = png_bytes()  # a real picture: a photo that cannot be decoded is refused
OUTSIDERS = ("charlie", "oscar")


def _ticket(cast: Cast) -> int:
    category = Category.objects.create(operator=cast.operator, name="Affichage")
    incident_type = IncidentType.objects.create(operator=cast.operator, category=category, name=TYPE_NAME)
    incident_type.site_kinds.add(cast.site_a.kind)
    files = check_uploads(
        [SimpleUploadedFile("photo-ecran.png", PNG, "image/png")], max_bytes=1_000_000, max_count=1
    )
    ticket = services.open_ticket(
        site=cast.site_a, incident_type=incident_type, title=TITLE, files=files, by=cast.alice
    )
    return ticket.number


def _file(cast: Cast) -> int:
    return Attachment.objects.get(ticket__operator=cast.operator, ticket__title=TITLE).pk


def _on_ticket(action: str, body: dict[str, object] | None = None) -> Case:
    return Case(
        lambda c, x: f"/tickets/{x['sd_ticket']}/{action}/", OUTSIDERS, method="post", body=body or {}
    )


OBJECTS: dict[str, Case] = {
    # Declaring on A's site: the site is not theirs (their own sites are listed instead).
    "servicedesk:declare": Case(lambda c, x: f"/tickets/new/?site={c.site_a.pk}", OUTSIDERS),
    "servicedesk:ticket-detail": Case(lambda c, x: f"/tickets/{x['sd_ticket']}/", OUTSIDERS),
    "servicedesk:ticket-file": Case(
        lambda c, x: f"/tickets/{x['sd_ticket']}/files/{x['sd_file']}/", OUTSIDERS
    ),
    "servicedesk:ticket-reply": _on_ticket("reply", {"reply-body": "Je réponds à la place d'Alice"}),
    "servicedesk:ticket-cancel": _on_ticket("cancel"),
    "servicedesk:ticket-reopen": _on_ticket("reopen", {"reopen-reason": "Toujours en panne"}),
    "servicedesk:ticket-take": _on_ticket("take"),
    "servicedesk:ticket-assign": _on_ticket("assign", {"assign-assignee": ""}),
    "servicedesk:ticket-transition": _on_ticket("state", {"state-to": "cancelled"}),
    "servicedesk:ticket-priority": _on_ticket("priority", {"priority-priority": 1}),
    "servicedesk:ticket-reclassify": _on_ticket("reclassify"),
    "servicedesk:ticket-route": _on_ticket("team"),
    "servicedesk:ticket-link-asset": _on_ticket("equipment/link", {"link-inventory_tag": "B-0001"}),
    "servicedesk:ticket-unlink-asset": _on_ticket("equipment/unlink"),
    "servicedesk:ticket-merge": _on_ticket("merge", {"merge-into": 1}),
    "servicedesk:ticket-note": _on_ticket("note", {"note-body": "Note d'un intrus"}),
    # Tickets are named by number within the scope: charlie has no desk (403); for
    # oscar, A's ticket is no valid choice, so the form refuses and sends him back (302).
    "servicedesk:desk-bulk-assign": Case(
        lambda c, x: "/desk/assign/",
        OUTSIDERS,
        statuses=(302, 403),
        method="post",
        body={"bulk-tickets": [1], "bulk-assignee": "none", "bulk-team": ""},
    ),
}

LISTS: dict[str, Case] = {
    "servicedesk:ticket-list": Case(lambda c, x: "/tickets/", OUTSIDERS, (200,), secret=lambda c: TITLE),
    # Charlie has no desk (403); oscar's desk shows his operator's tickets only.
    "servicedesk:desk": Case(lambda c, x: "/desk/?state=", OUTSIDERS, (200, 403), secret=lambda c: TITLE),
    "servicedesk:desk-catalogue": Case(
        lambda c, x: f"/desk/catalogue/?site_kind={c.site_a.kind_id}",
        OUTSIDERS,
        (200, 403),
        secret=lambda c: TYPE_NAME,
    ),
}

EXTRA: Extra = {"sd_ticket": _ticket, "sd_file": _file}


def _untouched(cast: Cast, extra: dict[str, int]) -> None:
    ticket = Ticket.objects.get(operator=cast.operator, number=extra["sd_ticket"])
    assert (ticket.state, ticket.assignee_id, ticket.priority, ticket.merged_into_id) == (
        "new",
        None,
        3,
        None,
    )
    assert (ticket.incident_type.name, ticket.team_id) == (TYPE_NAME, None)
    assert not ticket.comments.exists()
    assert not ticket.assets.exists()
    assert list(ticket.events.values_list("kind", flat=True)) == ["created", "attachment"]


CHECKS: dict[str, Check] = {name: _untouched for name, case in OBJECTS.items() if case.method == "post"}
