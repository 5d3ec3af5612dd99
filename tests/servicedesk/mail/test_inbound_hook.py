"""The inbound hook, POST /api/v1/inbound-email/: a mail server hands over raw messages
with an operator admin's read-write token."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from django.test import Client

from mutualis.people.models import Membership
from mutualis.servicedesk.models import Comment, InboundEmail, InboundReason, InboundSource, InboundStatus

from .inbound_support import MailDesk, eml, simple, token_for

pytestmark = pytest.mark.django_db
URL = "/api/v1/inbound-email/"


def membership(user: Any) -> Membership:
    return Membership.objects.get(user=user)


def post(client: Client, raw: bytes, token: str | None, content_type: str = "message/rfc822") -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.post(URL, data=raw, content_type=content_type, **headers)


@pytest.fixture
def admin_token(mail_desk: MailDesk) -> str:
    return token_for(membership(mail_desk.cast.adam))


def test_a_reply_posted_by_the_mail_server_is_added_to_its_ticket(
    client: Client, mail_desk: MailDesk, admin_token: str
) -> None:
    response = post(client, eml("reply_gmail_fr.eml", mail_desk.ticket), admin_token)

    assert response.status_code == 202, response.content
    body = response.json()
    inbound = InboundEmail.objects.get()
    assert body == {
        "id": inbound.pk,
        "status": "replied",
        "reason": "",
        "detail": "",
        "ticket": mail_desk.ticket.number,
        "duplicate_of": None,
    }
    assert inbound.source == InboundSource.HOOK
    assert Comment.objects.get().author == mail_desk.cast.alice


def test_a_redelivery_is_answered_duplicate(client: Client, mail_desk: MailDesk, admin_token: str) -> None:
    raw = eml("reply_gmail_fr.eml", mail_desk.ticket)
    first = post(client, raw, admin_token).json()
    again = post(client, raw, admin_token)

    assert again.status_code == 202
    assert (again.json()["status"], again.json()["duplicate_of"]) == ("duplicate", first["id"])
    assert Comment.objects.count() == 1


def test_a_message_set_aside_is_still_accepted(client: Client, mail_desk: MailDesk, admin_token: str) -> None:
    response = post(client, eml("unknown_sender.eml"), admin_token)

    assert response.status_code == 202
    assert (response.json()["status"], response.json()["reason"]) == ("set_aside", "unknown_sender")


def test_without_a_token_it_is_a_401_problem(client: Client, mail_desk: MailDesk) -> None:
    response = post(client, eml("reply_gmail_fr.eml", mail_desk.ticket), None)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"] == "Bearer"
    assert not InboundEmail.objects.exists()


def test_a_browser_session_is_not_enough(client: Client, mail_desk: MailDesk, as_user) -> None:  # type: ignore[no-untyped-def]
    as_user(mail_desk.cast.adam)
    assert post(client, simple(), None).status_code == 401
    assert not InboundEmail.objects.exists()


@pytest.mark.parametrize(
    ("who", "can_write"),
    [("olivia", True), ("alice", True), ("adam", False)],
)
def test_only_a_read_write_token_of_an_operator_admin_may_post_mail(
    client: Client, mail_desk: MailDesk, who: str, can_write: bool
) -> None:
    token = token_for(membership(getattr(mail_desk.cast, who)), can_write=can_write)

    response = post(client, eml("reply_gmail_fr.eml", mail_desk.ticket), token)

    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert not InboundEmail.objects.exists()


def test_another_operators_token_cannot_attach_to_this_operators_tickets(
    client: Client, mail_desk: MailDesk
) -> None:
    oscar_token = token_for(membership(mail_desk.cast.oscar))

    response = post(client, eml("reply_gmail_fr.eml", mail_desk.ticket), oscar_token)

    assert response.status_code == 202
    inbound = InboundEmail.objects.get()
    assert inbound.operator == mail_desk.cast.other_operator  # oscar's desk reviews it, not ours
    assert inbound.status == InboundStatus.SET_ASIDE
    assert inbound.reason in (InboundReason.UNKNOWN_SENDER, InboundReason.NOT_ALLOWED)
    assert not Comment.objects.exists()


def test_another_content_type_is_a_415(client: Client, mail_desk: MailDesk, admin_token: str) -> None:
    response = post(client, b'{"raw": "From: x"}', admin_token, content_type="application/json")

    assert response.status_code == 415
    assert response["Content-Type"] == "application/problem+json"


def test_an_empty_body_is_a_400(client: Client, mail_desk: MailDesk, admin_token: str) -> None:
    response = post(client, b"", admin_token)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert not InboundEmail.objects.exists()


def test_over_the_size_limit_it_is_kept_and_set_aside(
    client: Client, mail_desk: MailDesk, admin_token: str, settings: Any
) -> None:
    settings.MAIL_IN_MAX_BYTES = 5_000
    settings.MAIL_IN_CEILING_BYTES = 10_000
    response = post(client, simple(body="x" * 6_000), admin_token)

    assert response.status_code == 202
    assert (response.json()["status"], response.json()["reason"]) == ("set_aside", "oversized")


def test_over_the_ceiling_it_is_a_413_and_not_kept(
    client: Client, mail_desk: MailDesk, admin_token: str, settings: Any
) -> None:
    settings.MAIL_IN_MAX_BYTES = 5_000
    settings.MAIL_IN_CEILING_BYTES = 10_000
    response = post(client, simple(body="x" * 12_000), admin_token)

    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 413
    assert not InboundEmail.objects.exists()


def test_the_default_limit_is_25_mb_and_a_larger_message_is_kept(
    client: Client, mail_desk: MailDesk, admin_token: str
) -> None:
    raw = simple(body=("x" * 76 + "\r\n") * (25_000_000 // 78 + 10))
    assert len(raw) > 25_000_000

    response = post(client, raw, admin_token)

    assert response.status_code == 202
    assert response.json()["reason"] == "oversized"
    assert InboundEmail.objects.get().size == len(raw)


def test_the_hook_is_in_the_openapi_schema(tmp_path: Path) -> None:
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    operation = yaml.safe_load(target.read_text())["paths"]["/api/v1/inbound-email/"]["post"]

    assert set(operation["requestBody"]["content"]) == {"message/rfc822"}
    assert set(operation["responses"]) == {"202", "400", "401", "403", "406", "413", "415"}
    assert {"apiToken": []} in operation["security"]
