"""What the email-in tests share: a desk with a type for requests by email, alice's ticket
(member A), and the .eml fixtures of eml/ with their ticket placeholders filled in.

The fixtures are real messages as mail programs write them. Only what depends on the
database is a placeholder, replaced here: {{NUMBER}} (the ticket's number),
{{MESSAGE_ID}} and {{THREAD_ID}} (the Message-IDs of a notification about it, signed with
the test SECRET_KEY), {{REPLY_ADDRESS}} and {{OUR_MESSAGE_ID}}.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from mutualis.people.models import ApiToken, Membership
from mutualis.servicedesk import services
from mutualis.servicedesk.mail import identity
from mutualis.servicedesk.models import DeskSettings, IncidentType, Ticket
from tests.conftest import Cast
from tests.servicedesk.factories import CategoryFactory, IncidentTypeFactory

EML = Path(__file__).resolve().parent / "eml"
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


@dataclass
class MailDesk:
    cast: Cast
    request_type: IncidentType  # "Autre demande": what a new email opens
    screen: IncidentType
    ticket: Ticket  # alice's, on member A's only site


@pytest.fixture
def mail_desk(cast: Cast) -> MailDesk:
    kind = cast.site_a.kind  # member A has one site, the town hall: alice's new requests go there
    request_type = IncidentTypeFactory(
        category=CategoryFactory(operator=cast.operator, name="Demandes"),
        name="Autre demande",
        site_kinds=[kind],
    )
    screen = IncidentTypeFactory(
        category=CategoryFactory(operator=cast.operator, name="Tablette"),
        name="Écran cassé",
        site_kinds=[kind],
    )
    DeskSettings.objects.create(operator=cast.operator, email_incident_type=request_type)
    ticket = services.open_ticket(
        site=cast.site_a, incident_type=screen, title="Écran cassé – tablette du CDI", by=cast.alice
    )
    return MailDesk(cast=cast, request_type=request_type, screen=screen, ticket=ticket)


def eml(name: str, ticket: Ticket | None = None, *, new_id: bool = False) -> bytes:
    """The fixture's bytes, its placeholders naming `ticket`; `new_id`: a fresh Message-ID
    (the same message sent again by the person, not redelivered)."""
    raw = (EML / name).read_bytes()
    if ticket is not None:
        operator, number = ticket.operator_id, ticket.number
        values = {
            "NUMBER": str(number),
            "MESSAGE_ID": identity.message_id(operator, number),
            "THREAD_ID": identity.thread_id(operator, number),
            "REPLY_ADDRESS": identity.reply_address(operator, number),
            "OUR_MESSAGE_ID": identity.message_id(operator, number),
        }
        for key, value in values.items():
            raw = raw.replace(b"{{" + key.encode() + b"}}", value.encode())
    if new_id:
        raw = _with_message_id(raw, f"<{uuid.uuid4().hex}@test.example>")
    return raw


def _with_message_id(raw: bytes, message_id: str) -> bytes:
    lines = raw.split(b"\n")
    for index, line in enumerate(lines):
        if line.lower().startswith(b"message-id:"):
            ending = b"\r" if line.endswith(b"\r") else b""
            lines[index] = b"Message-ID: " + message_id.encode() + ending
            return b"\n".join(lines)
        if not line.strip():  # end of the headers: add one
            lines.insert(
                index, b"Message-ID: " + message_id.encode() + (b"\r" if line.endswith(b"\r") else b"")
            )
            return b"\n".join(lines)
    return raw


def simple(
    *,
    sender: str = "alice@versailles.example",
    subject: str = "Question",
    body: str = "Bonjour,\nUne question.\n",
    headers: dict[str, str] | None = None,
    message_id: str | None = None,
) -> bytes:
    """A plain UTF-8 message, for the cases where the content does not matter."""
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    message_id = message_id or f"<{uuid.uuid4().hex}@test.example>"
    return (
        f"From: {sender}\r\nTo: support@mutualis.localhost\r\nSubject: {subject}\r\n"
        f"Date: Mon, 10 Mar 2025 09:00:00 +0100\r\nMessage-ID: {message_id}\r\n{extra}"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Transfer-Encoding: 8bit\r\n\r\n{body}"
    ).encode()


def token_for(membership: Membership, *, can_write: bool = True) -> str:
    _token, secret = ApiToken.issue(membership=membership, name="mail server", can_write=can_write)
    return secret
