"""A reply or a note sent twice (a double click, the form sent again after a lost answer, a
client retrying) is recorded once and announced once. The twelfth probe sent the desk's reply
form twice with the same CSRF token: two replies, two emails to the member."""

from __future__ import annotations

import pytest

from mutualis.servicedesk import services
from mutualis.servicedesk.models import Comment, OutboundEmail, Ticket
from tests.api.support import issue_token
from tests.conftest import Cast

from .conftest import Desk
from .pages import camera

pytestmark = pytest.mark.django_db

WORDS = "Un technicien passe demain matin."


@pytest.fixture
def ticket(cast: Cast, desk: Desk) -> Ticket:
    return camera(cast, desk)


def bodies(ticket: Ticket) -> list[str]:
    return list(ticket.comments.values_list("body", flat=True))


def test_the_reply_form_sent_twice_records_one_reply_and_one_email(
    cast: Cast, desk: Desk, ticket: Ticket, as_user
) -> None:
    client = as_user(desk.tess)
    first = client.post(f"/tickets/{ticket.number}/reply/", {"reply-body": WORDS})
    emails = OutboundEmail.objects.filter(ticket=ticket).count()
    again = client.post(f"/tickets/{ticket.number}/reply/", {"reply-body": f"  {WORDS}\n"})
    assert (first.status_code, again.status_code) == (302, 302)
    assert bodies(ticket) == [WORDS]
    assert OutboundEmail.objects.filter(ticket=ticket).count() == emails


def test_the_note_form_sent_twice_records_one_note(cast: Cast, desk: Desk, ticket: Ticket, as_user) -> None:
    client = as_user(desk.tess)
    for _ in range(2):
        client.post(f"/tickets/{ticket.number}/note/", {"note-body": "Prestataire relancé."})
    assert bodies(ticket) == ["Prestataire relancé."]


def test_a_reply_sent_twice_through_the_api_is_recorded_once(
    cast: Cast, desk: Desk, ticket: Ticket, client
) -> None:
    token = issue_token(cast.alice)[1]
    for _ in range(2):
        response = client.post(
            f"/api/v1/tickets/{ticket.number}/replies/",
            {"body": WORDS},
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 201
    assert bodies(ticket) == [WORDS]


def test_the_same_words_after_another_message_or_by_someone_else_are_new(
    cast: Cast, desk: Desk, ticket: Ticket
) -> None:
    services.reply(ticket=ticket, body="Merci.", by=cast.alice, as_staff=False)
    services.reply(ticket=ticket, body="Merci.", by=desk.tess, as_staff=True)
    services.reply(ticket=ticket, body="Merci.", by=cast.alice, as_staff=False)
    services.add_note(ticket=ticket, body="Merci.", by=desk.tess)
    assert bodies(ticket) == ["Merci."] * 4
    assert Comment.objects.filter(internal=True).count() == 1


def test_an_outsider_sending_the_same_reply_gets_404_and_writes_nothing(
    cast: Cast, desk: Desk, ticket: Ticket, as_user
) -> None:
    services.reply(ticket=ticket, body=WORDS, by=cast.alice, as_staff=False)
    client = as_user(cast.charlie)
    for _ in range(2):
        assert client.post(f"/tickets/{ticket.number}/reply/", {"reply-body": WORDS}).status_code == 404
    assert bodies(ticket) == [WORDS]
