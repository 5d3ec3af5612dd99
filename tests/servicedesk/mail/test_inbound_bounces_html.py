"""Delivery reports written in HTML alone, with no text/plain part: a gateway's report
attaching our message (eml/bounce_html_attached.eml, from MAILER-DAEMON) and one copying
our message's headers into its HTML (eml/bounce_html_inline.eml, an automatic postmaster,
the headers escaped as HTML writes them). Their status code is read from the HTML's text,
as from a text report's; they were set aside as reports with no verdict, or not read as
reports at all."""

from __future__ import annotations

import pytest

from mutualis.servicedesk.mail.inbound import receive
from mutualis.servicedesk.models import InboundReason, InboundSource, OutboundState

from .bounce_support import report, report_fails_its_email, sent_reply, unchanged
from .conftest import SmtpServer
from .inbound_support import MailDesk

pytestmark = pytest.mark.django_db


def test_an_html_report_attaching_our_email_fails_it(mail_desk: MailDesk, smtp_server: SmtpServer) -> None:
    to = mail_desk.cast.alice.email
    diagnostic = f"Erreur 550 5.1.1 <{to}>: adresse inconnue"  # a table's row, read as a line
    email, inbound = report_fails_its_email(
        mail_desk, smtp_server, "bounce_html_attached.eml", "5.1.1", diagnostic
    )
    assert f"demande n° {mail_desk.ticket.number}, {email.message_id}" in inbound.detail


def test_an_html_report_copying_our_headers_fails_our_email(
    mail_desk: MailDesk, smtp_server: SmtpServer
) -> None:
    email, inbound = report_fails_its_email(
        mail_desk, smtp_server, "bounce_html_inline.eml", "5.2.1", "#550 5.2.1 Mailbox disabled ##"
    )
    assert "non remis (5.2.1, " in inbound.detail
    assert email.message_id in inbound.detail  # found only in the copy of its headers


def test_an_html_report_for_another_operator_changes_nothing(
    mail_desk: MailDesk, smtp_server: SmtpServer
) -> None:
    """The outsider: the same report received for another operator names no email of its."""
    email, returned = sent_reply(mail_desk, smtp_server)
    for fixture in ("bounce_html_attached.eml", "bounce_html_inline.eml"):
        inbound = receive(
            report(fixture, email, returned),
            source=InboundSource.PIPE,
            operator=mail_desk.cast.other_operator,
        )
        assert inbound.bounce_of is None
        assert inbound.ticket_id is None
    unchanged(email)
    assert email.state == OutboundState.SENT


def test_a_persons_html_message_quoting_our_headers_is_no_report(
    mail_desk: MailDesk, smtp_server: SmtpServer
) -> None:
    """Sent by a person (a Return-Path, not automatic), the same HTML changes nothing."""
    email, returned = sent_reply(mail_desk, smtp_server)
    raw = report("bounce_html_inline.eml", email, returned)
    raw = raw.replace(b"Return-Path: <>", b"Return-Path: <chef@caserne-nord.example>")
    raw = raw.replace(b"From: postmaster@", b"From: chef@").replace(b"Auto-Submitted: auto-replied\n", b"")
    inbound = receive(raw, source=InboundSource.PIPE, operator=mail_desk.cast.operator)
    assert inbound.reason != InboundReason.BOUNCE
    assert inbound.bounce_of is None
    unchanged(email)
