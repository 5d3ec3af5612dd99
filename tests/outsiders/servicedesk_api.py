"""Outsider cases of the service desk's API (/api/v1/tickets/, teams, a site's catalogue).

The ticket API's own tests (tests/api/test_tickets*.py) check each endpoint in detail, with
tokens; these check, with browser sessions, that no URL of it was forgotten.
"""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from mutualis.servicedesk import services
from mutualis.servicedesk.attachments import check_uploads
from mutualis.servicedesk.models import Attachment, Comment, Team, Ticket
from tests.conftest import Cast
from tests.servicedesk.factories import CategoryFactory, IncidentTypeFactory, TeamFactory
from tests.servicedesk.pages import png_bytes

from . import Case, Check, Extra

# Names of our own, so that other parts' builders may create theirs in the same operator.
TITLE = "Plus d'internet à la mairie (API)"
TEAM = "Réseaux et télécoms (API)"
PNG = png_bytes()  # a real picture: a photo that cannot be decoded is refused


def _ticket(cast: Cast) -> Ticket:
    """Member A's ticket, with equipment and a file; built once, whichever builder asks first."""
    existing = Ticket.objects.filter(title=TITLE).first()
    if existing is not None:
        return existing
    incident_type = IncidentTypeFactory(
        category=CategoryFactory(operator=cast.operator, name="Réseau (API)"),
        name="Pas d'internet (API)",
        site_kinds=[cast.site_a.kind],
    )
    files = check_uploads([SimpleUploadedFile("box.png", PNG)], max_bytes=1_000_000, max_count=1)
    return services.open_ticket(
        site=cast.site_a,
        incident_type=incident_type,
        title=TITLE,
        assets=[cast.asset_a],
        files=files,
        by=cast.alice,
    )


def _team(cast: Cast) -> int:
    team: Team = TeamFactory(operator=cast.operator, name=TEAM)
    return team.pk


EXTRA: Extra = {
    "desk_api_ticket": lambda cast: _ticket(cast).number,
    "desk_api_file": lambda cast: Attachment.objects.get(ticket=_ticket(cast)).pk,
    "desk_api_team": _team,
}


def _on_ticket(tail: str, *, method: str = "get", body: dict[str, object] | None = None) -> Case:
    return Case(
        lambda c, x: f"/api/v1/tickets/{x['desk_api_ticket']}/{tail}",
        ("charlie", "oscar"),
        method=method,
        body=body,
    )


OBJECTS: dict[str, Case] = {
    "desk-api:site-catalogue": Case(
        lambda c, x: f"/api/v1/sites/{c.site_a.pk}/catalogue/", ("charlie", "oscar")
    ),
    "desk-api:ticket-detail": _on_ticket(""),
    "desk-api:ticket-timeline": _on_ticket("timeline/"),
    "desk-api:ticket-file": Case(
        lambda c, x: f"/api/v1/tickets/{x['desk_api_ticket']}/files/{x['desk_api_file']}/",
        ("charlie", "oscar"),
    ),
    "desk-api:ticket-asset": Case(
        lambda c, x: f"/api/v1/tickets/{x['desk_api_ticket']}/assets/{c.asset_a.pk}/", ("charlie", "oscar")
    ),
    "desk-api:ticket-replies": _on_ticket("replies/", method="post", body={"body": "Bonjour"}),
    "desk-api:ticket-notes": _on_ticket("notes/", method="post", body={"body": "Note"}),
    "desk-api:ticket-transitions": _on_ticket("transitions/", method="post", body={"to": "cancelled"}),
    "desk-api:ticket-assign": _on_ticket("assign/", method="post", body={"assignee": None}),
    "desk-api:ticket-take": _on_ticket("take/", method="post", body={}),
    "desk-api:ticket-assets": _on_ticket("assets/", method="post", body={"asset": 1}),
    "desk-api:ticket-merge": _on_ticket("merge/", method="post", body={"into": 1}),
}

LISTS: dict[str, Case] = {
    "desk-api:ticket-list": Case(
        lambda c, x: "/api/v1/tickets/", ("charlie", "oscar"), (200,), secret=lambda c: TITLE
    ),
    # A member's people are refused the operator's teams (403); another operator's staff
    # list their own.
    "desk-api:team-list": Case(
        lambda c, x: "/api/v1/teams/", ("charlie", "oscar"), (200, 403), secret=lambda c: TEAM
    ),
}


def _ticket_unchanged(cast: Cast, extra: dict[str, int]) -> None:
    ticket = Ticket.objects.get(title=TITLE)
    assert (ticket.state, ticket.assignee_id, ticket.merged_into_id) == ("new", None, None)
    assert list(ticket.assets.all()) == [cast.asset_a]
    assert not Comment.objects.filter(ticket=ticket).exists()


WRITES = (
    "desk-api:ticket-replies",
    "desk-api:ticket-notes",
    "desk-api:ticket-transitions",
    "desk-api:ticket-assign",
    "desk-api:ticket-take",
    "desk-api:ticket-assets",
    "desk-api:ticket-merge",
)
CHECKS: dict[str, Check] = dict.fromkeys(WRITES, _ticket_unchanged)
