"""The same declaration sent twice at the same instant (a double click, a phone sending
again on a flaky network), through the pages and through the API: one ticket, and the
second request answered as a resend. On the real PostgreSQL server, each request in its
own thread with its own connection (collected only there: see conftest.py)."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from mutualis.people.roles import Role
from mutualis.servicedesk.models import Ticket
from mutualis.servicedesk.services import declaring
from tests.api.desk_support import ANSWERS
from tests.api.support import Api, issue_token
from tests.conftest import Cast, login
from tests.factories import MembershipFactory, SiteFactory
from tests.threads import together

from .conftest import Desk
from .pages import photo

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

# Between a request's look for the same declaration and the commit of its ticket, a few
# milliseconds; here half a second, so that without a lock both requests, released
# together, would look before either commits, every time rather than now and then.
WIDENED = 0.5


@pytest.fixture
def slow_numbering(monkeypatch: pytest.MonkeyPatch) -> None:
    numbered = declaring.next_number

    def next_number(operator_id: int) -> int:
        time.sleep(WIDENED)
        return numbered(operator_id)

    monkeypatch.setattr(declaring, "next_number", next_number)


def test_a_double_click_on_send_records_one_ticket(cast: Cast, desk: Desk, slow_numbering: None) -> None:
    url = f"/tickets/new/?site={desk.college.pk}&type={desk.broken_screen.pk}"
    body = {
        "title": "Écran fissuré",
        "description": "Tombée en classe.",
        "answer-since": "2026-01-12",
        "answer-usable": "no",
        "answer-tablet": desk.tablet.pk,
    }
    cast.alice.language = "en"
    cast.alice.save(update_fields=["language"])
    # alice's two connections: each its own session, so that each keeps its own message.
    browsers = [login(Client(), cast.alice), login(Client(), cast.alice)]
    responses = together([lambda b=b: b.post(url, {**body, "files": [photo()]}) for b in browsers])

    ticket = Ticket.objects.get()
    assert [r.status_code for r in responses] == [302, 302]
    assert {r["Location"] for r in responses} == {f"/tickets/{ticket.number}/"}
    assert ticket.attachments.count() == 1
    assert ticket.events.filter(kind="created").count() == 1
    pages = [browser.get(f"/tickets/{ticket.number}/").content.decode() for browser in browsers]
    recorded = [f"Your request n° {ticket.number} is recorded." in page for page in pages]
    resent = [
        f"already recorded a moment ago as n° {ticket.number}, and is kept once." in page for page in pages
    ]
    assert sorted(zip(recorded, resent, strict=True)) == [(False, True), (True, False)]


def test_a_client_retrying_at_once_through_the_api_records_one_ticket(
    cast: Cast, desk: Desk, slow_numbering: None
) -> None:
    token = issue_token(cast.alice)[1]
    body = {
        "site": desk.college.pk,
        "incident_type": desk.broken_screen.pk,
        "title": "Écran fissuré",
        "answers": {**ANSWERS, "tablet": desk.tablet.pk},
    }
    clients = [Api(Client(), token), Api(Client(), token)]
    responses = together([lambda api=api: api.post("tickets/", body) for api in clients])

    ticket = Ticket.objects.get()
    assert sorted(r.status_code for r in responses) == [200, 201]
    assert {r.json()["number"] for r in responses} == {ticket.number}
    assert {r["Location"] for r in responses} == {f"http://testserver/api/v1/tickets/{ticket.number}/"}


def test_different_people_sending_the_same_words_at_once_get_a_ticket_each(
    cast: Cast, desk: Desk, slow_numbering: None
) -> None:
    """The requester's lock queues only the requester's own declarations: another person
    of the member, and a person of another member on their own site, are not led to
    alice's ticket."""
    station_b = SiteFactory(member=cast.member_b, kind=desk.station_kind, name="Caserne de Nanterre")
    anne = MembershipFactory(
        member=cast.member_a, role=Role.MEMBER_AGENT, user__email="anne@versailles.example"
    )
    people = [cast.alice, anne.user, cast.charlie]
    words = {"incident_type": desk.camera_offline.pk, "title": "Caméra du parking"}
    alice, colleague, outsider = (Api(Client(), issue_token(person)[1]) for person in people)
    responses = together(
        [
            lambda: alice.post("tickets/", {**words, "site": desk.station.pk}),
            lambda: colleague.post("tickets/", {**words, "site": desk.station.pk}),
            lambda: outsider.post("tickets/", {**words, "site": station_b.pk}),
        ]
    )
    assert [r.status_code for r in responses] == [201, 201, 201], [r.content for r in responses]
    assert len({r.json()["number"] for r in responses}) == 3
    assert sorted(Ticket.objects.values_list("requester__email", flat=True)) == sorted(
        p.email for p in people
    )
