"""The members' list rows written in Python (`{% ticket_rows %}`) read exactly as the
template language wrote them, in French and English, for a member and for the operator's
staff, with text to escape."""

from __future__ import annotations

import re

import pytest
from django.template import engines
from django.utils import translation

from mutualis.servicedesk.models import Ticket
from tests.conftest import Cast

from .conftest import Desk
from .pages import broken_screen, camera

pytestmark = pytest.mark.django_db

# The rows as ticket_list.html wrote them before (each row's cells, in order), with the
# columns' names the cards of a phone draw before the values.
TEMPLATE_ROWS = (
    "{% load i18n short_dates %}{% for ticket in rows %}<tr>"
    "<td><a href=\"{% url 'servicedesk:ticket-detail' ticket.number %}\">"
    "{% blocktranslate with number=ticket.number %}n° {{ number }}{% endblocktranslate %}</a></td>"
    '<th scope="row">{{ ticket.title }}</th>'
    '<td><span class="state state-{{ ticket.state }}">{{ ticket.get_state_display|capfirst }}</span></td>'
    "<td data-label=\"{% translate 'Priority' %}\">{{ ticket.get_priority_display }}</td>"
    "<td data-label=\"{% translate 'Site' %}\">"
    '{{ ticket.site_name }}{% if staff %}<br><span class="muted">{{ ticket.member_name }}</span>{% endif %}</td>'
    "<td data-label=\"{% translate 'Category' %}\">"
    '{{ ticket.category_name }} <span class="muted">›</span> {{ ticket.incident_type_name }}</td>'
    "<td data-label=\"{% translate 'Declared' %}\">{{ ticket.created_at|short_date }}</td>"
    "<td data-label=\"{% translate 'Last change' %}\">{{ ticket.updated_at|short_datetime }}</td>"
    "</tr>{% endfor %}"
)
PYTHON_ROWS = "{% load ticket_rows %}{% ticket_rows rows staff %}"


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("staff", [False, True])
def test_the_rows_read_as_the_template_wrote_them(cast: Cast, desk: Desk, language: str, staff: bool) -> None:
    broken_screen(cast, desk, title="Écran <cassé> & « rayé »")
    camera(cast, desk)
    rows = list(Ticket.objects.for_lists().order_by("-pk"))
    engine = engines["django"]
    with translation.override(language):
        expected = engine.from_string(TEMPLATE_ROWS).render({"rows": rows, "staff": staff})
        found = engine.from_string(PYTHON_ROWS).render({"rows": rows, "staff": staff})
    assert re.sub(r"\n", "", found) == expected
    assert "Écran &lt;cassé&gt; &amp; « rayé »" in found
    assert ('<br><span class="muted">' in found) is staff


def test_the_list_page_shows_the_rows(cast: Cast, desk: Desk, as_user) -> None:
    ticket = broken_screen(cast, desk)
    page = as_user(cast.alice).get("/tickets/").content.decode()
    assert f'<a href="/tickets/{ticket.number}/">n° {ticket.number}</a>' in page
    empty = as_user(cast.alice).get("/tickets/?q=nothing-matches-this").content.decode()
    assert '<td colspan="8">' in empty
