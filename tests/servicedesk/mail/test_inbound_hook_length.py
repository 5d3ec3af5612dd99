"""The inbound hook reads the declared length of the body before the body: a length that is
no number ("²", a digit to str.isdigit() and no number to int(), was a 500) is left to the
body's own checks; one of more digits than any ceiling is a 413."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from mutualis.people.models import Membership
from mutualis.servicedesk.models import InboundEmail

from .inbound_support import MailDesk, simple, token_for

pytestmark = pytest.mark.django_db
URL = "/api/v1/inbound-email/"


def _post(client: Client, token: str | None, length: str) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.post(URL, data=simple(), content_type="message/rfc822", CONTENT_LENGTH=length, **headers)


@pytest.fixture
def admin_token(mail_desk: MailDesk) -> str:
    return token_for(Membership.objects.get(user=mail_desk.cast.adam))


@pytest.mark.parametrize("length", ["²", "abc", "-5"])
def test_a_length_that_is_no_number_is_no_server_error(client: Client, admin_token: str, length: str) -> None:
    response = _post(client, admin_token, length)
    # Django reads such a length as an empty body: the hook says so.
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert not InboundEmail.objects.exists()


@pytest.mark.parametrize("length", ["9" * 30, "9" * 5000])
def test_a_length_past_any_ceiling_is_a_413(client: Client, admin_token: str, length: str) -> None:
    response = _post(client, admin_token, length)
    assert response.status_code == 413
    assert not InboundEmail.objects.exists()


def test_an_outsider_gets_a_401_whatever_the_length(client: Client, mail_desk: MailDesk) -> None:
    assert _post(client, None, "²").status_code == 401
    assert not InboundEmail.objects.exists()
