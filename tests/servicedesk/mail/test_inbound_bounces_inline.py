"""Non-standard delivery reports that copy our message into their own text instead of
attaching it: qmail ("Hi. This is the qmail-send program", eml/bounce_qmail_inline.eml),
Exim before its DSN format (eml/bounce_exim_inline.eml, and its delay warning
eml/bounce_exim_inline_delayed.eml), Exchange's text NDR (eml/bounce_exchange_text.eml).

Such a report names our email only by the Message-ID written in the copy: it counts only
when it comes from a program (null Return-Path, MAILER-DAEMON, an automatic postmaster)
and that Message-ID is one of the operator's emails. A person's message quoting our
headers, or a report naming an email we never sent, changes nothing."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from mutualis.servicedesk.mail import identity
from mutualis.servicedesk.mail.inbound import receive
from mutualis.servicedesk.models import (
    DeliveryAction,
    InboundReason,
    InboundSource,
    InboundStatus,
    OutboundState,
)

from .bounce_support import report, report_fails_its_email, sent_reply, unchanged
from .conftest import SmtpServer
from .inbound_support import MailDesk, simple

pytestmark = pytest.mark.django_db
PIPE = InboundSource.PIPE
QMAIL_STATUS = b"Sorry, no mailbox here by that name. (#5.1.1)"


@pytest.mark.parametrize(
    ("fixture", "status", "diagnostic"),
    [
        ("bounce_qmail_inline.eml", "5.1.1", "Sorry, no mailbox here by that name. (#5.1.1)"),
        (
            "bounce_exim_inline.eml",
            "5.2.1",
            "host mx.versailles.example [192.0.2.25]: 550 5.2.1 Mailbox disabled for this recipient",
        ),
        ("bounce_exchange_text.eml", "5.1.1", "#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##"),
    ],
)
def test_a_report_quoting_our_email_inline_fails_it(
    mail_desk: MailDesk, smtp_server: SmtpServer, fixture: str, status: str, diagnostic: str
) -> None:
    email, inbound = report_fails_its_email(mail_desk, smtp_server, fixture, status, diagnostic)

    assert f"demande n° {mail_desk.ticket.number}, {email.message_id}" in inbound.detail
    assert f"non remis ({status}, " in inbound.detail


def test_a_temporary_inline_report_is_recorded_as_delayed_only(
    mail_desk: MailDesk, smtp_server: SmtpServer
) -> None:
    email, returned = sent_reply(mail_desk, smtp_server)

    inbound = receive(
        report("bounce_exim_inline_delayed.eml", email, returned),
        source=PIPE,
        operator=mail_desk.cast.operator,
    )

    email.refresh_from_db()
    assert (email.state, email.delivery_action, email.delivery_status) == (
        OutboundState.SENT,
        DeliveryAction.DELAYED,
        "4.2.2",
    )
    assert "452 4.2.2 Mailbox full, try again later" in email.delivery_diagnostic
    assert (inbound.reason, inbound.bounce_of) == (InboundReason.BOUNCE, email)
    assert "n’est pas marqué en échec" in inbound.detail


def test_a_status_code_in_the_copy_of_our_email_is_not_read_as_the_reports(
    mail_desk: MailDesk, smtp_server: SmtpServer
) -> None:
    """qmail without a code in its words; the copy's Received line names "Exim 4.94.2",
    which reads like a status: the report is kept with its email named, nothing else."""
    email, returned = sent_reply(mail_desk, smtp_server)
    raw = report("bounce_qmail_inline.eml", email, returned).replace(
        QMAIL_STATUS, b"Sorry, I couldn't find any host by that name."
    )
    raw = raw.replace(
        b"Received: (qmail 30211",
        b"Received: from relay.mutualis.localhost by mx.mairie-chaville.example with esmtp (Exim 4.94.2)\n"
        b"Received: (qmail 30211",
    )

    inbound = receive(raw, source=PIPE, operator=mail_desk.cast.operator)

    unchanged(email)
    assert (inbound.reason, inbound.bounce_of) == (InboundReason.BOUNCE, email)
    assert "aucun état de remise ne peut y être lu" in inbound.detail


# Forged or foreign -------------------------------------------------------------------------
def test_an_inline_report_received_for_another_operator_changes_nothing(
    mail_desk: MailDesk, smtp_server: SmtpServer
) -> None:
    email, returned = sent_reply(mail_desk, smtp_server)
    other = mail_desk.cast.other_operator

    for fixture in ("bounce_qmail_inline.eml", "bounce_exchange_text.eml"):
        inbound = receive(report(fixture, email, returned), source=PIPE, operator=other)

        assert (inbound.operator, inbound.reason, inbound.bounce_of) == (
            other,
            InboundReason.AUTO_REPLY,
            None,
        )
    unchanged(email)


def test_an_inline_report_about_a_message_we_did_not_send_is_an_automatic_reply(
    mail_desk: MailDesk, smtp_server: SmtpServer
) -> None:
    email, returned = sent_reply(mail_desk, smtp_server)
    theirs = returned.replace(email.message_id.encode(), b"<CAF3x9k2@mail.gmail.com>")
    theirs = theirs.replace(identity.thread_id(email.operator_id, mail_desk.ticket.number).encode(), b"")

    inbound = receive(
        report("bounce_qmail_inline.eml", email, theirs), source=PIPE, operator=mail_desk.cast.operator
    )

    unchanged(email)
    assert (inbound.reason, inbound.bounce_of) == (InboundReason.AUTO_REPLY, None)
    assert inbound.detail == "Return-Path: <> (un avis de remise)"


@pytest.mark.parametrize(
    ("sender", "outcome"),
    [
        # alice pastes the report she was sent a copy of: her message, a new request.
        ("alice@versailles.example", InboundStatus.OPENED),
        # The postmaster is a person too (RFC 5321 §4.5.1), pasting our headers to ask.
        ("postmaster@cc-boucle.example", InboundReason.UNKNOWN_SENDER),
    ],
)
def test_a_person_quoting_our_message_id_and_a_status_changes_nothing(
    mail_desk: MailDesk, smtp_server: SmtpServer, sender: str, outcome: str
) -> None:
    """Written by a person (their own envelope sender, no Auto-Submitted): the
    Message-ID of our email and "5.1.1" in the text do not make it a report."""
    email, returned = sent_reply(mail_desk, smtp_server)
    raw = report("bounce_exchange_text.eml", email, returned)
    for line, written in [
        (b"Return-Path: <>", f"Return-Path: <{sender}>".encode()),
        (b"From: postmaster@cc-boucle.example", f"From: {sender}".encode()),
        (
            b"Subject: Undeliverable: Reponse a votre demande",
            "Subject: Reçu ce message, une erreur ?".encode(),
        ),
        (b"Auto-Submitted: auto-replied\n", b""),
        (b"X-MS-Exchange-Message-Is-Ndr:\n", b""),
    ]:
        assert line in raw
        raw = raw.replace(line, written)

    inbound = receive(raw, source=PIPE, operator=mail_desk.cast.operator)

    unchanged(email)
    assert inbound.bounce_of is None
    assert outcome in {inbound.status, inbound.reason}


def test_a_text_of_message_id_look_alikes_is_read_in_linear_time(mail_desk: MailDesk) -> None:
    """64 KB of "<t.1.1.a.a@" from MAILER-DAEMON: each look-alike was tried to the end
    of the text (seconds per 64 KB, growing as the square); now a bounded stretch."""
    raw = simple(
        sender="MAILER-DAEMON@ailleurs.example",
        subject="failure notice",
        body="Sorry. (#5.1.1)\n" + "<t.1.1.a.a@" * 6_000 + "\n",
        headers={"Return-Path": "<>"},
    )

    started = time.monotonic()
    inbound = receive(raw, source=PIPE, operator=mail_desk.cast.operator)
    elapsed = time.monotonic() - started

    assert elapsed < 2.0, f"{elapsed:.1f} s"
    assert (inbound.reason, inbound.bounce_of) == (InboundReason.AUTO_REPLY, None)


# Back office -------------------------------------------------------------------------------
def test_the_list_of_failed_email_shows_an_inline_reports_status(
    client: Client, mail_desk: MailDesk, smtp_server: SmtpServer, as_user
) -> None:  # type: ignore[no-untyped-def]
    cast = mail_desk.cast
    email, returned = sent_reply(mail_desk, smtp_server)
    bounce = receive(report("bounce_qmail_inline.eml", email, returned), source=PIPE, operator=cast.operator)

    page = as_user(cast.adam).get("/backoffice/servicedesk/outboundemail/?state=failed").content.decode()
    assert page.count('data-delivery="failed"') == 1
    assert "<code>5.1.1</code> Sorry, no mailbox here by that name. (#5.1.1)" in page
    detail = as_user(cast.olivia).get(f"/desk/mail/{bounce.pk}/").content.decode()
    assert "non remis (5.1.1, Sorry, no mailbox here by that name. (#5.1.1))" in detail
    assert f'<dd data-bounce-of="{email.pk}">' in detail
    client = as_user(cast.oscar)
    assert (
        "no mailbox here"
        not in client.get("/backoffice/servicedesk/outboundemail/?state=failed").content.decode()
    )
    assert client.get(f"/desk/mail/{bounce.pk}/").status_code == 404
