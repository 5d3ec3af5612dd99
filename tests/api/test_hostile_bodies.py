"""Hostile JSON bodies on the write API get a 400 problem and write nothing (each ended in a
server error when the tenth session probed the writes: a number too large for a double, a
body nested a thousand deep, a number where a day is asked)."""

from __future__ import annotations

import pytest

from mutualis.servicedesk.models import Ticket

from .support import problem
from .test_tickets_declaring import ANSWERS, declaration, form, nothing_written

pytestmark = pytest.mark.django_db

DEEP_ARRAY = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000


@pytest.mark.parametrize(
    "body", ['{"site": 1e400, "incident_type": 1, "title": "x"}', DEEP_ARRAY, DEEP_OBJECT, "[-1e400]"]
)
def test_the_ticket_api_refuses_unreadable_json(cast, desk, api, body: str) -> None:
    before = Ticket.objects.count()
    found = problem(api(cast.alice).post("tickets/", body), 400)
    assert "JSON parse error" in found["detail"]
    assert Ticket.objects.count() == before


def test_a_day_question_answered_with_a_number_or_a_list_is_a_field_error(cast, desk, api) -> None:
    for wrong in [0, 1e308, [1, 2], {"a": 1}]:
        body = declaration(desk, answers={**ANSWERS, "since": wrong, "tablet": desk.tablet.pk})
        found = problem(api(cast.alice).post("tickets/", body), 400)
        assert found["errors"], found
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    "answers",
    [
        '{"since": "2026-11-20", "usable": "yes", "tablet": 1e400}',
        '{"since": ' + "[" * 1000 + "]" * 1000 + "}",
    ],
)
def test_answers_sent_as_json_text_in_a_form_are_read_as_strictly(cast, desk, api, answers: str) -> None:
    """The multipart declaration carries its answers as JSON text: read as a JSON body is,
    an unreadable one is a field error, not a crash."""
    found = problem(api(cast.alice).upload("tickets/", form(desk, [], answers=answers)), 400)
    assert found["errors"], found
    nothing_written()


def test_a_site_name_cannot_become_inf(cast, api) -> None:
    response = api(cast.adam).patch(f"sites/{cast.site_a.pk}/", '{"name": 1e400}')
    problem(response, 400)
    cast.site_a.refresh_from_db()
    assert cast.site_a.name == "Mairie de Versailles"


def test_outsiders_get_the_404_of_a_missing_site_whatever_the_body(cast, api) -> None:
    """Another member's site is looked up before the body is read: the outsider gets the
    404 of a site that does not exist, hostile body or not, and nothing changes."""
    for body in [DEEP_ARRAY, '{"name": 1e400}', '{"name": "Pris"}']:
        problem(api(cast.charlie).patch(f"sites/{cast.site_a.pk}/", body), 404)
    cast.site_a.refresh_from_db()
    assert cast.site_a.name == "Mairie de Versailles"
