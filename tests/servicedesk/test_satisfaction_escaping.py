"""A satisfaction comment is text: HTML in it is shown as written, never run, on every
page that shows it (the link's pages, the ticket page, the operator's results)."""

from __future__ import annotations

import pytest
from django.test import Client

from mutualis.servicedesk import services
from mutualis.servicedesk.models import Ticket, TicketState
from mutualis.servicedesk.satisfaction import rate, survey_url
from tests.conftest import Cast

from .conftest import Desk
from .pages import broken_screen

pytestmark = pytest.mark.django_db

COMMENT = '<script>alert("x")</script><img src=x onerror=alert(1)>\nMerci & bravo'
ESCAPED = (
    "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;<br>Merci &amp; bravo"
)


@pytest.fixture
def rated(cast: Cast, desk: Desk) -> Ticket:
    ticket = broken_screen(cast, desk)
    services.transition(ticket=ticket, to=TicketState.RESOLVED, by=desk.tess, as_staff=True)
    ticket.refresh_from_db()
    rate(ticket=ticket, rating=2, comment=COMMENT, by=cast.alice)
    return ticket


def test_a_comment_with_html_is_escaped_everywhere(cast: Cast, rated: Ticket, as_user) -> None:  # type: ignore[no-untyped-def]
    path = survey_url(rated).split("://", 1)[1].split("/", 1)[1]
    pages = {
        "survey": Client().get(f"/{path}"),
        "thanks": Client().get(f"/{path}thanks/"),
        "ticket (member)": as_user(cast.alice).get(f"/tickets/{rated.number}/"),
        "ticket (staff)": as_user(cast.olivia).get(f"/tickets/{rated.number}/"),
        "results": as_user(cast.olivia).get("/desk/satisfaction/"),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        page = response.content.decode()
        assert "<script>alert" not in page, name
        assert "<img src=x" not in page, name
        if name != "survey":  # the survey shows the comment in its form's text area, escaped too
            assert ESCAPED in page, name
        else:
            assert "&lt;script&gt;" in page
