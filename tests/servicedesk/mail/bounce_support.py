"""What the delivery-report tests share: a real notification sent through the test SMTP
server, and a report about it built from an eml/ fixture.

A fixture's placeholders: {{TO}} (the email's recipient), {{ORIGINAL_ID}} (its
Message-ID), {{RETURNED_MESSAGE}} (the message as the server received it),
{{RETURNED_HEADERS}} (its header block), {{RETURNED_HEADERS_QP}} (the same,
quoted-printable, for a report that encodes it: RFC 6533 §6) and {{RETURNED_HEADERS_HTML}}
(the same, escaped, for a report written in HTML)."""

from __future__ import annotations

import html
import quopri

from mutualis.jobs import run_pending
from mutualis.servicedesk import services
from mutualis.servicedesk.mail.inbound import receive
from mutualis.servicedesk.models import (
    Comment,
    DeliveryAction,
    InboundEmail,
    InboundReason,
    InboundSource,
    InboundStatus,
    NotificationEvent,
    OutboundEmail,
    OutboundState,
    Ticket,
)

from .conftest import SmtpServer
from .inbound_support import EML, MailDesk


def sent_reply(mail_desk: MailDesk, smtp_server: SmtpServer) -> tuple[OutboundEmail, bytes]:
    """The desk's reply to alice, sent through the SMTP server: the email, and the
    message as the server received it."""
    cast = mail_desk.cast
    services.reply(ticket=mail_desk.ticket, body="Nous passons demain.", by=cast.olivia, as_staff=True)
    run_pending()
    email = OutboundEmail.objects.get(recipient=cast.alice, event=NotificationEvent.STAFF_REPLY)
    assert email.state == OutboundState.SENT
    [received] = [r for r in smtp_server.to(cast.alice.email) if r.message["Message-ID"] == email.message_id]
    return email, received.message.as_bytes()


def report(name: str, email: OutboundEmail, returned: bytes, *, original_id: str | None = None) -> bytes:
    """The report's bytes, returning `returned` (or its header block) about `email`."""
    headers = returned.split(b"\n\n", 1)[0] + b"\n"
    values = {
        "TO": email.to.encode(),
        "ORIGINAL_ID": (original_id or email.message_id).encode(),
        "RETURNED_MESSAGE": returned,
        "RETURNED_HEADERS": headers,
        "RETURNED_HEADERS_QP": quopri.encodestring(headers),
        "RETURNED_HEADERS_HTML": html.escape(headers.decode("ascii", "surrogateescape")).encode(
            "ascii", "surrogateescape"
        ),
    }
    raw = (EML / name).read_bytes()
    for key, value in values.items():
        raw = raw.replace(b"{{" + key.encode() + b"}}", value)
    return raw


def nothing_reached_a_ticket(mail_desk: MailDesk) -> None:
    assert not Comment.objects.filter(ticket=mail_desk.ticket, body__icontains="delivery").exists()
    assert not Comment.objects.exclude(author=mail_desk.cast.olivia).exists()
    assert Ticket.objects.count() == 1


def unchanged(email: OutboundEmail) -> None:
    """The email is as the relay left it: sent, no delivery report recorded."""
    email.refresh_from_db()
    assert (email.state, email.delivery_action, email.delivery_status, email.delivery_diagnostic) == (
        OutboundState.SENT,
        "",
        "",
        "",
    )


def report_fails_its_email(
    mail_desk: MailDesk, smtp_server: SmtpServer, fixture: str, status: str, diagnostic: str
) -> tuple[OutboundEmail, InboundEmail]:
    """Send a reply, receive the report `fixture` about it, and check that it failed that
    email for good with `status` and `diagnostic`, set aside as a report, on no ticket."""
    email, returned = sent_reply(mail_desk, smtp_server)
    inbound = receive(
        report(fixture, email, returned), source=InboundSource.PIPE, operator=mail_desk.cast.operator
    )
    email.refresh_from_db()
    assert (email.state, email.delivery_action, email.delivery_status, email.delivery_diagnostic) == (
        OutboundState.FAILED,
        DeliveryAction.FAILED,
        status,
        diagnostic,
    )
    assert (inbound.status, inbound.reason, inbound.bounce_of) == (
        InboundStatus.SET_ASIDE,
        InboundReason.BOUNCE,
        email,
    )
    nothing_reached_a_ticket(mail_desk)
    return email, inbound
