"""Outsider cases of satisfaction: member A's resolved ticket, rated by alice with a
comment. Charlie (a user of member B) and oscar (an admin of another operator) cannot rate
it (404, like the ticket itself) nor read its comment in the results: charlie has no desk
(403), oscar's results are his operator's only. The survey pages take no login: the
signed link is their key (tests/servicedesk/test_satisfaction_link.py)."""

from __future__ import annotations

from mutualis.servicedesk import services
from mutualis.servicedesk.models import Category, IncidentType, SatisfactionRating, Team, Ticket
from mutualis.servicedesk.satisfaction import rate
from tests.conftest import Cast

from . import Case, Check, Extra

TEAM = "Équipe écrans du conseil"
COMMENT = "Intervention exemplaire à la mairie"
OUTSIDERS = ("charlie", "oscar")


def _rated_ticket(cast: Cast) -> int:
    team = Team.objects.create(operator=cast.operator, name=TEAM, code="ecrans-conseil")
    category = Category.objects.create(operator=cast.operator, name="Écrans (satisfaction)")
    incident_type = IncidentType.objects.create(
        operator=cast.operator, category=category, name="Écran éteint", default_team=team
    )
    incident_type.site_kinds.add(cast.site_a.kind)
    ticket = services.open_ticket(site=cast.site_a, incident_type=incident_type, title="Écran", by=cast.alice)
    services.transition(ticket=ticket, to="resolved", by=cast.olivia, as_staff=True)
    rate(ticket=ticket, rating=5, comment=COMMENT, by=cast.alice)
    return ticket.number


OBJECTS: dict[str, Case] = {
    "servicedesk:ticket-rate": Case(
        lambda c, x: f"/tickets/{x['sat_ticket']}/satisfaction/",
        OUTSIDERS,
        method="post",
        body={"rating-rating": "1", "rating-comment": "Note d'un intrus"},
    ),
}

LISTS: dict[str, Case] = {
    "servicedesk:desk-satisfaction": Case(
        lambda c, x: "/desk/satisfaction/", OUTSIDERS, (200, 403), secret=lambda c: COMMENT
    ),
}

NO_MEMBER_DATA = {
    "servicedesk:satisfaction-survey": "no login: the signed link is the key to one ticket's survey "
    "(tampered, expired, another ticket's: tests/servicedesk/test_satisfaction_link.py)",
    "servicedesk:satisfaction-thanks": "the same signed link, after answering",
}

EXTRA: Extra = {"sat_ticket": _rated_ticket}


def _unchanged(cast: Cast, extra: dict[str, int]) -> None:
    ticket = Ticket.objects.get(operator=cast.operator, number=extra["sat_ticket"])
    rating = SatisfactionRating.objects.get(ticket=ticket)
    assert (rating.rating, rating.comment, rating.rated_by) == (5, COMMENT, cast.alice)
    assert ticket.events.filter(kind="rated").count() == 1


CHECKS: dict[str, Check] = {"servicedesk:ticket-rate": _unchanged}
