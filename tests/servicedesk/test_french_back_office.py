"""What the operator's staff read of a ticket in the back-office is French, every label of it."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone, translation
from openpyxl import load_workbook

from mutualis.servicedesk.models import SlaBreach, Ticket
from mutualis.servicedesk.models.service_levels import Target
from tests.conftest import Cast

from .conftest import Desk
from .pages import broken_screen

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(cast: Cast, desk: Desk) -> Ticket:
    return broken_screen(cast, desk)


def test_a_tickets_back_office_page_labels_its_deadline_warnings_in_french(
    cast: Cast, ticket: Ticket, as_user
) -> None:
    page = as_user(cast.adam).get(f"/backoffice/servicedesk/ticket/{ticket.pk}/change/").content.decode()
    # Django's French labels end with a no-break space and a colon.
    for label in (
        "Avertissement de prise en charge prévu le",
        "Avertissement de résolution prévu le",
        "Échéance de prise en charge déjà signalée",
        "Échéance de résolution déjà signalée",
        "Opérateur\xa0:",
    ):
        assert label in page
    assert "Take charge warn" not in page
    assert "Resolve warned for" not in page
    assert "Operator\xa0:" not in page


def test_a_missed_deadline_is_named_in_words_not_by_its_code(ticket: Ticket) -> None:
    due = dt.datetime(2026, 11, 20, 8, 27, tzinfo=timezone.get_current_timezone())
    breach = SlaBreach(ticket=ticket, target=Target.TAKE_CHARGE, due_at=due, breached_at=due)
    with translation.override("fr"):
        assert str(breach) == f"Échéance de prise en charge, demande {ticket.pk}, au 20/11/2026 08:27"
    assert "take_charge" not in str(breach)


def test_the_back_office_search_box_is_named_in_french(cast: Cast, as_user) -> None:
    # The magnifier's text alternative is the search box's label (its accessible name).
    page = as_user(cast.adam).get("/backoffice/registry/site/").content.decode()
    assert 'alt="Rechercher"' in page
    assert 'alt="Search"' not in page


def test_an_exported_list_of_requests_is_named_in_french(cast: Cast, ticket: Ticket, as_user) -> None:
    client = as_user(cast.alice)
    xlsx = client.get("/tickets/?export=xlsx")
    assert xlsx["Content-Disposition"].startswith('attachment; filename="demandes-')
    assert load_workbook(io.BytesIO(xlsx.getvalue())).active.title == "Demandes"
    csv = client.get("/tickets/?export=csv")
    assert csv["Content-Disposition"].startswith('attachment; filename="demandes-')
