"""The signed link of the "resolved" email: the requester rates without logging in, and
the link opens that ticket's survey only, for a limited time, showing nothing else."""

from __future__ import annotations

import time
from unittest import mock

import pytest
from django.core import signing
from django.test import Client

from mutualis.people.models import User
from mutualis.servicedesk import services
from mutualis.servicedesk.models import SatisfactionRating, Ticket, TicketState
from mutualis.servicedesk.satisfaction import survey_url
from mutualis.servicedesk.satisfaction.links import SALT
from tests.conftest import Cast

from .conftest import Desk
from .pages import broken_screen, camera

pytestmark = pytest.mark.django_db

SITE = "https://mutualis.example.fr"


@pytest.fixture(autouse=True)
def _site_url(settings) -> None:  # type: ignore[no-untyped-def]
    settings.SITE_URL = SITE


@pytest.fixture
def ticket(cast: Cast, desk: Desk) -> Ticket:
    ticket = broken_screen(cast, desk)
    services.transition(ticket=ticket, to=TicketState.RESOLVED, by=desk.tess, as_staff=True)
    return ticket


def path_of(ticket: Ticket) -> str:
    url = survey_url(ticket)
    assert url.startswith(f"{SITE}/satisfaction/")
    return url.removeprefix(SITE)


def english() -> Client:
    # An anonymous visitor whose browser asks for English: the source texts.
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def test_the_link_is_absolute_and_opens_without_login(ticket: Ticket) -> None:
    response = english().get(path_of(ticket))
    assert response.status_code == 200
    page = response.content.decode()
    assert f"Request n° {ticket.number}" in page
    assert "Écran fissuré" in page
    assert "<fieldset" in page
    assert "<legend>" in page
    for label in ("1 – very dissatisfied", "3 – neither satisfied nor dissatisfied", "5 – very satisfied"):
        assert label in page
    assert page.count('type="radio"') == 5
    assert "<textarea" in page
    assert "csrfmiddlewaretoken" in page
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_the_page_shows_the_number_and_title_and_nothing_else(cast: Cast, desk: Desk, ticket: Ticket) -> None:
    services.reply(ticket=ticket, body="Le technicien passe jeudi", by=desk.tess, as_staff=True)
    services.add_note(ticket=ticket, body="Note interne secrète", by=cast.olivia)
    page = english().get(path_of(ticket)).content.decode()
    for secret in (
        "Tombée en classe.",  # the description
        "Collège Hoche",  # the site
        "Versailles",  # the member
        "TAB-0001",  # the equipment
        "Utilisable",  # the answers
        "Le technicien passe jeudi",
        "Note interne secrète",
        cast.alice.email,
        cast.alice.full_name,
        desk.tess.full_name,
        "Support tablettes",
    ):
        assert secret not in page, secret


def test_the_requester_rates_through_the_link_then_is_thanked(cast: Cast, ticket: Ticket) -> None:
    client, path = english(), path_of(ticket)
    response = client.post(path, {"rating-rating": "4", "rating-comment": "Très bien"})
    assert response.status_code == 302
    assert response["Location"] == f"{path}thanks/"
    rating = SatisfactionRating.objects.get()
    assert (rating.ticket, rating.rating, rating.comment) == (ticket, 4, "Très bien")
    assert (rating.rated_by, rating.channel) == (cast.alice, "email_link")
    thanks = client.get(response["Location"]).content.decode()
    assert "Thank you for your answer" in thanks
    assert "4 – satisfied" in thanks
    assert "Très bien" in thanks
    assert f'href="{path}"' in thanks  # to change it


def test_opening_the_link_again_shows_the_rating_to_change(ticket: Ticket) -> None:
    client, path = english(), path_of(ticket)
    client.post(path, {"rating-rating": "2", "rating-comment": "Trop long"})
    page = client.get(path).content.decode()
    assert (
        '<input type="radio" name="rating-rating" value="2" id="id_rating-rating_1" required checked>' in page
    )
    assert page.count(" checked>") == 1
    assert "Trop long</textarea>" in page
    assert "You have already rated this request" in page
    client.post(path, {"rating-rating": "5", "rating-comment": ""})
    rating = SatisfactionRating.objects.get()
    assert (rating.rating, rating.comment) == (5, "")


def test_a_form_without_a_rating_says_what_is_missing(ticket: Ticket) -> None:
    response = english().post(path_of(ticket), {"rating-comment": "Bien"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Please correct the following:" in page
    assert "Choose a rating from 1 to 5." in page
    assert 'href="#id_rating-rating"' in page
    assert 'id="id_rating-rating"' in page
    assert not SatisfactionRating.objects.exists()


def test_the_form_is_protected_against_cross_site_posts(ticket: Ticket) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(path_of(ticket), {"rating-rating": "1"})
    assert response.status_code == 403
    assert not SatisfactionRating.objects.exists()


def test_once_closed_the_link_shows_the_rating_and_refuses_a_change(desk: Desk, ticket: Ticket) -> None:
    client, path = english(), path_of(ticket)
    client.post(path, {"rating-rating": "3"})
    services.transition(ticket=ticket, to=TicketState.CLOSED, by=desk.tess, as_staff=True)
    page = client.get(path).content.decode()
    assert "3 – neither satisfied nor dissatisfied" in page
    assert "its rating can no longer be changed" in page
    assert 'type="radio"' not in page
    response = client.post(path, {"rating-rating": "1"})
    assert response.status_code == 409
    assert SatisfactionRating.objects.get().rating == 3


def test_a_reopened_ticket_is_not_rated_meanwhile(cast: Cast, ticket: Ticket) -> None:
    path = path_of(ticket)
    services.transition(ticket=ticket, to=TicketState.IN_PROGRESS, by=cast.alice, as_staff=False)
    page = english().get(path).content.decode()
    assert "not resolved yet" in page
    assert english().post(path, {"rating-rating": "5"}).status_code == 409
    assert not SatisfactionRating.objects.exists()


def test_a_tampered_link_is_refused_with_a_clear_page(ticket: Ticket) -> None:
    path = path_of(ticket)
    token = path.split("/")[2]
    payload, rest = token.split(":", 1)
    tampered = [
        token[:-1] + ("A" if token[-1] != "A" else "B"),  # the signature
        payload[:-1] + ("A" if payload[-1] != "A" else "B") + ":" + rest,  # the ticket named
        token[: len(token) // 2],  # cut when copied
        "nonsense",
        signing.dumps({"t": ticket.pk, "r": ticket.requester_id}, salt="another.salt"),
        signing.dumps({"t": ticket.pk, "r": ticket.requester_id}, salt=SALT, key="another-secret"),
        signing.dumps([ticket.pk], salt=SALT),
    ]
    for token in tampered:
        for method in ("get", "post"):
            response = getattr(english(), method)(f"/satisfaction/{token}/", {"rating-rating": "1"})
            assert response.status_code == 400, token
            assert "This link does not work" in response.content.decode()
            assert "Écran fissuré" not in response.content.decode()
        assert english().get(f"/satisfaction/{token}/thanks/").status_code == 400
    assert not SatisfactionRating.objects.exists()


def test_an_expired_link_says_so(ticket: Ticket) -> None:
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 31 * 86400):
        path = path_of(ticket)
    response = english().get(path)
    assert response.status_code == 410
    page = response.content.decode()
    assert "This link has expired" in page
    assert "30 days" in page
    assert "Écran fissuré" not in page
    assert english().post(path, {"rating-rating": "5"}).status_code == 410
    assert not SatisfactionRating.objects.exists()
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 29 * 86400):
        young = path_of(ticket)
    assert english().get(young).status_code == 200


def test_a_link_rates_its_own_ticket_only(cast: Cast, desk: Desk, ticket: Ticket) -> None:
    other = camera(cast, desk)
    services.transition(ticket=other, to=TicketState.RESOLVED, by=desk.tess, as_staff=True)
    english().post(path_of(other), {"rating-rating": "1"})
    assert list(SatisfactionRating.objects.values_list("ticket_id", "rating")) == [(other.pk, 1)]
    # A valid signature over another ticket's id: the number in the link is not a key.
    forged = signing.dumps({"t": ticket.pk, "r": cast.charlie.pk}, salt=SALT)
    assert english().get(f"/satisfaction/{forged}/").status_code == 400


def test_the_link_stops_working_when_the_ticket_changes_requester(cast: Cast, ticket: Ticket) -> None:
    path = path_of(ticket)
    Ticket.objects.filter(pk=ticket.pk).update(requester=cast.charlie)
    assert english().get(path).status_code == 400


def test_anyone_holding_the_link_answers_as_the_requester(cast: Cast, ticket: Ticket, as_user) -> None:
    # The link is the key, whoever follows it (a colleague to whom the email was forwarded,
    # or someone logged in as another person): the answer is the requester's.
    client = as_user(cast.charlie)
    client.post(path_of(ticket), {"rating-rating": "5"})
    assert SatisfactionRating.objects.get().rated_by == cast.alice


def test_no_link_when_the_operator_itself_is_the_requester(cast: Cast, desk: Desk) -> None:
    phoned = services.open_ticket(
        site=desk.station, incident_type=desk.camera_offline, title="Appel", by=cast.olivia
    )
    assert phoned.requester == cast.olivia
    assert survey_url(phoned) == ""
    nobody = camera(cast, desk)
    nobody.requester = None
    assert survey_url(nobody) == ""


def test_the_requester_is_named_by_the_link_not_by_the_page(cast: Cast, ticket: Ticket) -> None:
    requester: User | None = ticket.requester
    assert requester == cast.alice
    english().post(path_of(ticket), {"rating-rating": "4", "rated_by": cast.charlie.pk})
    assert SatisfactionRating.objects.get().rated_by == cast.alice
