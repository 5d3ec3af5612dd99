"""Outsider cases of the recurring-failures page (insights).

Member A's asset A-0001 breaks three times in a month at the Mairie de Versailles: on the
page it is a recurring asset of a recurring site. charlie (member B) and oscar (another
operator) open the page and find neither, nor in its exports (tests/insights/test_recurring_pages.py).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from mutualis.servicedesk import services
from mutualis.servicedesk.models import Category, IncidentType, Ticket
from tests.conftest import Cast

from . import Case, Extra

OUTSIDERS = ("charlie", "oscar")


def _recurring(cast: Cast) -> int:
    """Three screen failures of A-0001 within a month; returns the last ticket's number."""
    category = Category.objects.create(operator=cast.operator, name="Écrans")
    incident_type = IncidentType.objects.create(operator=cast.operator, category=category, name="Écran noir")
    incident_type.site_kinds.add(cast.site_a.kind)
    number = 0
    for days_ago in (30, 20, 10):
        ticket = services.open_ticket(
            site=cast.site_a,
            incident_type=incident_type,
            title="Écran noir",
            assets=[cast.asset_a],
            by=cast.alice,
        )
        at = timezone.now() - dt.timedelta(days=days_ago)
        Ticket.objects.filter(pk=ticket.pk).update(created_at=at)
        number = ticket.number
    return number


LISTS: dict[str, Case] = {
    "insights:recurring": Case(
        lambda c, x: "/insights/recurring/", OUTSIDERS, (200,), secret=lambda c: "Mairie de Versailles"
    ),
}

EXTRA: Extra = {"recurring_ticket": _recurring}
