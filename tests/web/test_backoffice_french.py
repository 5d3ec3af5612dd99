"""The back-office speaks French to French staff, down to its icons' text alternatives."""

from __future__ import annotations

import pytest

from mutualis.servicedesk.models import BusinessCalendar
from tests.conftest import Cast

pytestmark = pytest.mark.django_db


def test_yes_no_icons_say_oui_and_non(cast: Cast, as_user) -> None:
    BusinessCalendar.objects.create(
        operator=cast.operator, name="Horaires de bureau", always_open=False, public_holidays=True
    )
    page = as_user(cast.adam).get("/backoffice/servicedesk/businesscalendar/").content.decode()
    assert "Horaires de bureau" in page
    assert 'alt="Oui"' in page
    assert 'alt="Non"' in page
    assert 'alt="True"' not in page
    assert 'alt="False"' not in page


def test_yes_no_icons_speak_english_to_an_english_reader(cast: Cast, as_user) -> None:
    BusinessCalendar.objects.create(operator=cast.operator, name="Office hours", public_holidays=True)
    client = as_user(cast.adam)
    client.post("/accounts/language/", {"language": "en", "next": "/"})
    page = client.get("/backoffice/servicedesk/businesscalendar/").content.decode()
    assert 'alt="Yes"' in page
    assert 'alt="True"' not in page


def test_another_operators_calendar_is_not_listed(cast: Cast, as_user) -> None:
    BusinessCalendar.objects.create(operator=cast.other_operator, name="Calendrier d’un autre opérateur")
    page = as_user(cast.adam).get("/backoffice/servicedesk/businesscalendar/").content.decode()
    assert "autre opérateur" not in page
