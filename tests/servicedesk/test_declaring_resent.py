"""A declaration sent again through the API (a client retrying after a lost answer) is
answered with the ticket already recorded, as the pages do (test_pages_declare.py); never
with another person's ticket. Sent at the same instant: test_declaring_twice_postgres.py."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from mutualis.servicedesk.models import Ticket
from tests.api.desk_support import ANSWERS, photo
from tests.api.support import Api, issue_token
from tests.conftest import Cast
from tests.factories import SiteFactory

from .conftest import Desk

pytestmark = pytest.mark.django_db


def speaking_as(client: Client, user) -> Api:  # type: ignore[no-untyped-def]
    return Api(client, issue_token(user)[1])


def declaration(desk: Desk) -> dict[str, object]:
    return {
        "site": desk.college.pk,
        "incident_type": desk.broken_screen.pk,
        "title": "Écran fissuré",
        "description": "Tombée en classe.",
        "answers": {**ANSWERS, "tablet": desk.tablet.pk},
    }


def test_the_same_declaration_sent_again_is_answered_with_the_ticket_recorded(
    client: Client, cast: Cast, desk: Desk
) -> None:
    api = speaking_as(client, cast.alice)
    first = api.post("tickets/", declaration(desk))
    again = api.post("tickets/", declaration(desk))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert again["Location"] == first["Location"]
    ticket = Ticket.objects.get()
    assert ticket.events.filter(kind="created").count() == 1
    # With a file the ticket does not hold, nothing sent is dropped: a new ticket.
    body = {
        **declaration(desk),
        "answers": json.dumps({**ANSWERS, "tablet": desk.tablet.pk}),  # JSON text in a form
    }
    with_photo = api.upload("tickets/", {**body, "attachments": [photo()]})
    assert with_photo.status_code == 201, with_photo.content
    assert Ticket.objects.count() == 2


def test_another_members_user_sending_the_same_words_is_not_led_to_the_ticket(
    client: Client, cast: Cast, desk: Desk
) -> None:
    first = speaking_as(client, cast.alice).post("tickets/", declaration(desk)).json()
    outsider = speaking_as(client, cast.charlie)
    refused = outsider.post("tickets/", declaration(desk))
    assert refused.status_code == 400  # alice's site is not charlie's to name
    assert str(first["number"]) not in refused.content.decode()
    assert "Location" not in refused
    # The same words on a site of his own member: his own ticket.
    station_b = SiteFactory(member=cast.member_b, kind=desk.station_kind, name="Caserne de Nanterre")
    words = {"incident_type": desk.camera_offline.pk, "title": "Caméra du parking"}
    alices = speaking_as(client, cast.alice).post("tickets/", {**words, "site": desk.station.pk})
    charlies = outsider.post("tickets/", {**words, "site": station_b.pk})
    assert (alices.status_code, charlies.status_code) == (201, 201)
    assert charlies.json()["number"] != alices.json()["number"]
    assert Ticket.objects.get(number=charlies.json()["number"]).requester == cast.charlie
