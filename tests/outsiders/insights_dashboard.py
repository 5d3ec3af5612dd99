"""Outsider cases of the incidentology dashboard (/insights/ and its panels): member A's
incident at a site whose name is the secret. Charlie (a user of member B) sees his member's
figures only, oscar (an admin of another operator) his operator's: neither finds A's site.
The numbers themselves are checked in tests/insights/test_dashboard_outsiders.py."""

from __future__ import annotations

from mutualis.servicedesk.models import Category, IncidentType, Ticket
from tests.conftest import Cast
from tests.factories import SiteFactory

from . import Case, Extra

SITE = "Médiathèque secrète des analyses"
OUTSIDERS = ("charlie", "oscar")


def _ticket_at_a_secret_site(cast: Cast) -> int:
    site = SiteFactory(member=cast.member_a, name=SITE)
    category = Category.objects.create(operator=cast.operator, name="Réseau (analyses)")
    incident_type = IncidentType.objects.create(operator=cast.operator, category=category, name="Wi-Fi coupé")
    ticket = Ticket.objects.create(
        operator=cast.operator,
        number=8800,
        member=cast.member_a,
        site=site,
        incident_type=incident_type,
        category=category,
        title="Wi-Fi coupé",
    )
    return ticket.number


LISTS: dict[str, Case] = {
    "insights:dashboard": Case(lambda c, x: "/insights/?by=site", OUTSIDERS, (200,), secret=lambda c: SITE),
    "insights:panel": Case(
        lambda c, x: "/insights/panel/breakdown/?by=site", OUTSIDERS, (200,), secret=lambda c: SITE
    ),
}

EXTRA: Extra = {"insights_ticket": _ticket_at_a_secret_site}
