"""Delivery reports whose status part is not plain RFC 3464 text: internationalized
reports (RFC 6533: message/global-delivery-status, then message/global or
message/global-headers, in UTF-8, possibly base64 or quoted-printable encoded), and the
message/delivery-status some servers encode although RFC 3464 §2.1 says not to.

Fixtures (eml/): dsn_global_postfix.eml (Postfix with SMTPUTF8, 8bit),
dsn_global_base64.eml (status in base64, returned headers in quoted-printable),
dsn_base64_status.eml and dsn_quoted_printable_status.eml (a message/delivery-status
wrongly encoded; the latter with a soft line break inside Diagnostic-Code)."""

from __future__ import annotations

import base64
import time

import pytest
from django.test import Client

from mutualis.servicedesk.mail.inbound import receive
from mutualis.servicedesk.mail.inbound_bounce import read_report
from mutualis.servicedesk.mail.inbound_parse import parse
from mutualis.servicedesk.models import (
    InboundReason,
    InboundSource,
    OutboundState,
)

from .bounce_support import nothing_reached_a_ticket, report, report_fails_its_email, sent_reply, unchanged
from .conftest import SmtpServer
from .inbound_support import MailDesk

pytestmark = pytest.mark.django_db
PIPE = InboundSource.PIPE
FOREIGN_ID = "<CAF3x9k2@mail.gmail.com>"


@pytest.mark.parametrize(
    ("fixture", "status", "diagnostic"),
    [
        (
            "dsn_global_postfix.eml",
            "5.1.1",
            "smtp; 550 5.1.1 <alice@versailles.example>: Destinataire inconnu, boîte aux lettres supprimée",
        ),
        ("dsn_global_base64.eml", "5.2.2", "smtp; 552 5.2.2 Boîte pleine : quota de 2 Go dépassé"),
        (
            "dsn_base64_status.eml",
            "5.1.1",
            "smtp; 550 5.1.1 <alice@versailles.example>: Recipient address rejected: User unknown",
        ),
        (
            "dsn_quoted_printable_status.eml",
            "5.1.1",
            "smtp; 550 5.1.1 <alice@versailles.example>: Recipient address rejected: "
            "User unknown in local recipient table (policy=strict)",
        ),
    ],
)
def test_an_encoded_or_internationalized_report_fails_the_email_it_names(
    mail_desk: MailDesk, smtp_server: SmtpServer, fixture: str, status: str, diagnostic: str
) -> None:
    _email, inbound = report_fails_its_email(mail_desk, smtp_server, fixture, status, diagnostic)

    assert f"non remis ({status}, {diagnostic[:40]}" in inbound.detail


def test_a_global_report_about_a_message_we_did_not_send_changes_nothing(
    mail_desk: MailDesk, smtp_server: SmtpServer
) -> None:
    email, returned = sent_reply(mail_desk, smtp_server)
    theirs = returned.replace(email.message_id.encode(), FOREIGN_ID.encode())

    for fixture in ("dsn_global_postfix.eml", "dsn_global_base64.eml", "dsn_base64_status.eml"):
        inbound = receive(report(fixture, email, theirs), source=PIPE, operator=mail_desk.cast.operator)

        assert (inbound.reason, inbound.bounce_of) == (InboundReason.AUTO_REPLY, None)
        assert f"qui n’a pas été envoyé par le centre de services ({FOREIGN_ID})" in inbound.detail
    unchanged(email)
    nothing_reached_a_ticket(mail_desk)


def test_a_global_report_received_for_another_operator_changes_nothing(
    mail_desk: MailDesk, smtp_server: SmtpServer
) -> None:
    email, returned = sent_reply(mail_desk, smtp_server)
    other = mail_desk.cast.other_operator

    for fixture in ("dsn_global_postfix.eml", "dsn_global_base64.eml", "dsn_quoted_printable_status.eml"):
        inbound = receive(report(fixture, email, returned), source=PIPE, operator=other)

        assert (inbound.operator, inbound.reason, inbound.bounce_of) == (
            other,
            InboundReason.AUTO_REPLY,
            None,
        )
        assert inbound.detail.startswith(f"Un avis de remise nommant {email.message_id}, qu’aucun courriel")
    unchanged(email)


def test_a_large_encoded_report_is_read_in_bounded_time(mail_desk: MailDesk, smtp_server: SmtpServer) -> None:
    """alice's block first, its Diagnostic-Code folded over 30,000 lines, then 20,000
    more recipients, all in base64 (1.4 MB): decoded only as far as what is read."""
    email, returned = sent_reply(mail_desk, smtp_server)
    raw = report("dsn_global_base64.eml", email, returned)
    head, rest = raw.split(b"Content-Transfer-Encoding: base64\n\n", 1)
    status = (
        b"Reporting-MTA: dns; smtp-out.agglo-seine.example\n\nFinal-Recipient: utf-8; alice@versailles.example\n"
        b"Action: failed\nStatus: 5.2.2\nDiagnostic-Code: smtp; 552 5.2.2" + b"\n x" * 30_000 + b"\n"
    )
    status += b"".join(
        b"\nFinal-Recipient: utf-8; x%d@ailleurs.example\nAction: delayed\nStatus: 4.0.0\n" % i
        for i in range(20_000)
    )
    raw = (
        head
        + b"Content-Transfer-Encoding: base64\n\n"
        + base64.encodebytes(status)
        + rest[rest.index(b"--=_dsn_77c1") :]
    )

    started = time.monotonic()
    inbound = receive(raw, source=PIPE, operator=mail_desk.cast.operator)
    elapsed = time.monotonic() - started

    assert elapsed < 10.0, f"{elapsed:.1f} s"
    assert (inbound.reason, inbound.bounce_of) == (InboundReason.BOUNCE, email)
    email.refresh_from_db()
    assert (email.state, email.delivery_status) == (OutboundState.FAILED, "5.2.2")
    assert email.delivery_diagnostic.startswith("smtp; 552 5.2.2 x x x")
    assert len(email.delivery_diagnostic) <= 1000


def test_a_utf8_address_is_read_with_its_escapes_decoded() -> None:
    """RFC 6533 §3: a utf-8 address outside message/global-delivery-status writes its
    non-ASCII characters as \\x{HEX}; inside, as UTF-8."""
    raw = (
        b"From: MAILER-DAEMON@relay.example\nTo: support@mutualis.localhost\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n--b\n'
        b"Content-Type: text/plain\n\nNot delivered.\n--b\nContent-Type: message/global-delivery-status\n\n"
        b"Reporting-MTA: dns; relay.example\n\nFinal-Recipient: utf-8; jos\\x{E9}@mairie.example\n"
        b"Original-Recipient: utf-8; jos\xc3\xa9.martin@mairie.example\nAction: failed\nStatus: 5.1.1\n"
        b"--b--\n"
    )

    found = read_report(parse(raw))

    assert found is not None
    [block] = found.recipients
    assert (block.recipient, block.original_recipient, block.status) == (
        "josé@mairie.example",
        "josé.martin@mairie.example",
        "5.1.1",
    )


def test_the_list_of_failed_email_shows_a_global_reports_diagnostic(
    client: Client, mail_desk: MailDesk, smtp_server: SmtpServer, as_user
) -> None:  # type: ignore[no-untyped-def]
    cast = mail_desk.cast
    email, returned = sent_reply(mail_desk, smtp_server)
    bounce = receive(report("dsn_global_base64.eml", email, returned), source=PIPE, operator=cast.operator)

    page = as_user(cast.adam).get("/backoffice/servicedesk/outboundemail/?state=failed").content.decode()
    assert page.count('data-delivery="failed"') == 1
    assert "<code>5.2.2</code> smtp; 552 5.2.2 Boîte pleine : quota de 2 Go dépassé" in page
    change = client.get(f"/backoffice/servicedesk/outboundemail/{email.pk}/change/").content.decode()
    assert f'href="/desk/mail/{bounce.pk}/"' in change
    # Another operator's admin sees neither the email nor its report.
    client = as_user(cast.oscar)
    assert (
        "Boîte pleine"
        not in client.get("/backoffice/servicedesk/outboundemail/?state=failed").content.decode()
    )
    assert client.get(f"/desk/mail/{bounce.pk}/").status_code == 404
