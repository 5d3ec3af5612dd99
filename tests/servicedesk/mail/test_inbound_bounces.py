"""Delivery reports (bounces) of the service desk's own emails, received like any mail.

The email they are about is a real notification: alice's ticket gets a reply from the
desk, the job hands it to a real SMTP server (conftest.py), and the report quotes the
message as that server received it (whole, or its headers only), in the formats real
servers write (eml/dsn_*.eml: Postfix, Exim, Sendmail; eml/bounce_nonstandard.eml:
qmail's words, with the message attached). A report marks that email, and only that
one, and never reaches a ticket."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from mutualis.jobs import Job, JobState, run_pending
from mutualis.servicedesk.mail import identity
from mutualis.servicedesk.mail.inbound import receive
from mutualis.servicedesk.models import (
    DeliveryAction,
    InboundEmail,
    InboundReason,
    InboundSource,
    InboundStatus,
    OutboundEmail,
    OutboundState,
)

from .bounce_support import nothing_reached_a_ticket, report, sent_reply, unchanged
from .conftest import SmtpServer
from .inbound_support import MailDesk, simple

pytestmark = pytest.mark.django_db
PIPE = InboundSource.PIPE


@pytest.mark.parametrize(
    ("fixture", "status", "diagnostic"),
    [
        ("dsn_postfix_failed.eml", "5.1.1", "smtp; 550 5.1.1 <alice@versailles.example>: Recipient address"),
        ("dsn_exim_failed.eml", "5.0.0", "smtp; 550 5.2.1 Mailbox disabled for this recipient"),
        ("dsn_headers_only.eml", "5.2.2", "SMTP; 552 5.2.2 Mailbox full, over quota"),
        ("bounce_nonstandard.eml", "5.1.1", "Sorry, no mailbox here by that name. (#5.1.1)"),
    ],
)
def test_a_failure_report_marks_the_email_failed_and_stays_out_of_tickets(
    mail_desk: MailDesk, smtp_server: SmtpServer, fixture: str, status: str, diagnostic: str
) -> None:
    email, returned = sent_reply(mail_desk, smtp_server)

    inbound = receive(report(fixture, email, returned), source=PIPE, operator=mail_desk.cast.operator)

    email.refresh_from_db()
    assert (email.state, email.delivery_action, email.delivery_status) == (
        OutboundState.FAILED,
        DeliveryAction.FAILED,
        status,
    )
    assert email.delivery_diagnostic.startswith(diagnostic)
    assert email.delivery_reported_at is not None
    # Set aside, saying which email it is about, in French; never a reply, never a ticket.
    assert (inbound.status, inbound.reason, inbound.bounce_of) == (
        InboundStatus.SET_ASIDE,
        InboundReason.BOUNCE,
        email,
    )
    assert inbound.detail.startswith(
        f"Avis de remise du courriel « {email.subject} » à alice@versailles.example"
    )
    assert f"demande n° {mail_desk.ticket.number}, {email.message_id}" in inbound.detail
    assert f"non remis ({status}, " in inbound.detail
    assert "marqué en échec" in inbound.detail
    assert (inbound.ticket, inbound.comment) == (None, None)
    nothing_reached_a_ticket(mail_desk)


def test_a_delay_is_recorded_without_failing_and_a_later_failure_fails(
    mail_desk: MailDesk, smtp_server: SmtpServer
) -> None:
    email, returned = sent_reply(mail_desk, smtp_server)
    operator = mail_desk.cast.operator

    delayed = receive(report("dsn_postfix_delayed.eml", email, returned), source=PIPE, operator=operator)

    email.refresh_from_db()
    assert (email.state, email.delivery_action, email.delivery_status) == (
        OutboundState.SENT,
        DeliveryAction.DELAYED,
        "4.4.1",
    )
    assert "Connection timed out" in email.delivery_diagnostic
    assert (delayed.reason, delayed.bounce_of) == (InboundReason.BOUNCE, email)
    assert "retardé (4.4.1, X-Postfix; connect to mx.versailles.example" in delayed.detail
    assert "n’est pas marqué en échec" in delayed.detail

    receive(report("dsn_postfix_failed.eml", email, returned), source=PIPE, operator=operator)
    email.refresh_from_db()
    assert (email.state, email.delivery_action, email.delivery_status) == (
        OutboundState.FAILED,
        DeliveryAction.FAILED,
        "5.1.1",
    )

    # A delay reported after the failure (reports cross) does not undo it.
    late = report("dsn_postfix_delayed.eml", email, returned).replace(
        b"<20250304131231.7C3D4E5F6A@", b"<20250304131231.late@"
    )
    receive(late, source=PIPE, operator=operator)
    email.refresh_from_db()
    assert (email.state, email.delivery_action, email.delivery_status) == (
        OutboundState.FAILED,
        DeliveryAction.FAILED,
        "5.1.1",
    )
    nothing_reached_a_ticket(mail_desk)


@pytest.mark.parametrize("action", ["delivered", "relayed", "expanded"])
def test_a_report_of_delivery_is_not_a_failure(
    mail_desk: MailDesk, smtp_server: SmtpServer, action: str
) -> None:
    email, returned = sent_reply(mail_desk, smtp_server)
    raw = report("dsn_postfix_failed.eml", email, returned)
    raw = raw.replace(b"Action: failed", b"Action: " + action.encode()).replace(
        b"Status: 5.1.1", b"Status: 2.0.0"
    )

    inbound = receive(raw, source=PIPE, operator=mail_desk.cast.operator)

    email.refresh_from_db()
    assert (email.state, email.delivery_action, email.delivery_status) == (
        OutboundState.SENT,
        action,
        "2.0.0",
    )
    assert (inbound.reason, inbound.bounce_of) == (InboundReason.BOUNCE, email)
    assert "Rien à faire." in inbound.detail


def test_an_email_failed_by_a_report_is_not_sent_again(mail_desk: MailDesk, smtp_server: SmtpServer) -> None:
    """The relay took the email but the connection broke before its answer: the job will
    try again. The recipient's server reports it failed meanwhile: the retry sends nothing."""
    email, returned = sent_reply(mail_desk, smtp_server)
    OutboundEmail.objects.filter(pk=email.pk).update(
        state=OutboundState.FAILED, last_error="SMTPServerDisconnected"
    )
    Job.objects.filter(kwargs__email_id=email.pk).update(state=JobState.QUEUED)
    receive(report("dsn_postfix_failed.eml", email, returned), source=PIPE, operator=mail_desk.cast.operator)
    before = len(smtp_server.received)

    run_pending()

    assert len(smtp_server.received) == before
    email.refresh_from_db()
    assert (email.state, email.attempts) == (OutboundState.FAILED, 1)


# Reports naming nothing of ours -------------------------------------------------------------
@pytest.mark.parametrize("fixture", ["dsn_postfix_failed.eml", "bounce_qmail_inline.eml"])
def test_a_forged_report_naming_a_message_id_of_ours_that_does_not_exist_changes_nothing(
    mail_desk: MailDesk, smtp_server: SmtpServer, fixture: str
) -> None:
    email, returned = sent_reply(mail_desk, smtp_server)
    # Well formed and signed for the same ticket, but never sent: no email has it.
    forged_id = identity.message_id(email.operator_id, mail_desk.ticket.number)
    forged = returned.replace(email.message_id.encode(), forged_id.encode())

    inbound = receive(report(fixture, email, forged), source=PIPE, operator=mail_desk.cast.operator)

    unchanged(email)
    assert (inbound.status, inbound.reason, inbound.bounce_of) == (
        InboundStatus.SET_ASIDE,
        InboundReason.AUTO_REPLY,
        None,
    )
    # (A report quoting our email inline also names the ticket's thread id it copied.)
    assert inbound.detail.startswith(f"Un avis de remise nommant {forged_id}, ")
    assert inbound.detail.endswith(
        ", qu’aucun courriel de cet opérateur ne porte (falsifié, ou au sujet du courriel d’une "
        "autre installation) : aucun courriel n’a été modifié."
    )
    nothing_reached_a_ticket(mail_desk)


def test_a_report_about_a_message_we_did_not_send_changes_nothing(
    mail_desk: MailDesk, smtp_server: SmtpServer
) -> None:
    email, returned = sent_reply(mail_desk, smtp_server)
    theirs = returned.replace(email.message_id.encode(), b"<CAF3x9k2@mail.gmail.com>")

    inbound = receive(
        report("dsn_exim_failed.eml", email, theirs, original_id="<CAF3x9k2@mail.gmail.com>"),
        source=PIPE,
        operator=mail_desk.cast.operator,
    )

    unchanged(email)
    assert (inbound.reason, inbound.bounce_of) == (InboundReason.AUTO_REPLY, None)
    assert "qui n’a pas été envoyé par le centre de services (<CAF3x9k2@mail.gmail.com>)" in inbound.detail


def test_the_subject_alone_never_matches(mail_desk: MailDesk, smtp_server: SmtpServer) -> None:
    """A report returning only a subject like ours (the headers cut, no Message-ID)."""
    email, returned = sent_reply(mail_desk, smtp_server)
    headers = b"Subject: [#%d] %s\nTo: %s\n" % (
        mail_desk.ticket.number,
        email.subject.encode(),
        email.to.encode(),
    )
    raw = report("dsn_headers_only.eml", email, returned).replace(
        returned.split(b"\n\n", 1)[0] + b"\n", headers
    )

    inbound = receive(raw, source=PIPE, operator=mail_desk.cast.operator)

    unchanged(email)
    assert (inbound.reason, inbound.bounce_of) == (InboundReason.AUTO_REPLY, None)
    assert "(aucun Message-ID)" in inbound.detail


def test_a_report_received_for_another_operator_changes_nothing(
    mail_desk: MailDesk, smtp_server: SmtpServer
) -> None:
    """Tenancy: the hook's token names the operator; a report about operator A's email
    posted for operator B does not reach A's email."""
    email, returned = sent_reply(mail_desk, smtp_server)

    inbound = receive(
        report("dsn_postfix_failed.eml", email, returned), source=PIPE, operator=mail_desk.cast.other_operator
    )

    unchanged(email)
    assert (inbound.operator, inbound.reason, inbound.bounce_of) == (
        mail_desk.cast.other_operator,
        InboundReason.AUTO_REPLY,
        None,
    )
    assert inbound.detail.startswith(
        f"Un avis de remise nommant {email.message_id}, qu’aucun courriel de cet"
    )


def test_a_report_names_only_its_own_email_never_another_of_the_ticket(
    mail_desk: MailDesk, smtp_server: SmtpServer
) -> None:
    email, returned = sent_reply(mail_desk, smtp_server)
    others = list(OutboundEmail.objects.exclude(pk=email.pk).values_list("pk", "state", "delivery_action"))
    assert others  # the team was told of the new ticket: same ticket, other emails

    receive(report("dsn_postfix_failed.eml", email, returned), source=PIPE, operator=mail_desk.cast.operator)

    email.refresh_from_db()
    assert email.state == OutboundState.FAILED
    assert (
        list(OutboundEmail.objects.exclude(pk=email.pk).values_list("pk", "state", "delivery_action"))
        == others
    )


# Back office -------------------------------------------------------------------------------
def test_the_review_lists_and_counts_reports_and_names_the_email(
    client: Client, mail_desk: MailDesk, smtp_server: SmtpServer, as_user
) -> None:  # type: ignore[no-untyped-def]
    email, returned = sent_reply(mail_desk, smtp_server)
    bounce = receive(
        report("dsn_postfix_failed.eml", email, returned), source=PIPE, operator=mail_desk.cast.operator
    )

    page = as_user(mail_desk.cast.olivia).get("/desk/mail/").content.decode()
    assert f'data-mail="{bounce.pk}"' in page
    assert '<li data-reason="bounce" data-count="1">' in page
    assert "Avis de remise d’un courriel envoyé par le centre de services" in page
    filtered = client.get("/desk/mail/?reason=bounce").content.decode()
    assert filtered.count("data-mail=") == 1
    detail = client.get(f"/desk/mail/{bounce.pk}/").content.decode()
    assert email.message_id.replace("<", "&lt;").replace(">", "&gt;") in detail
    assert "non remis (5.1.1," in detail
    assert (
        f'<dd data-bounce-of="{email.pk}">le courriel « {email.subject} » à alice@versailles.example'
        in detail
    )
    assert f'href="/tickets/{mail_desk.ticket.number}/"' in detail
    # Never a reply nor a request, even by hand: only "discard" is offered, and only works.
    assert "/attach/" not in detail
    assert "/open/" not in detail
    assert "Un avis de remise n’est pas le message d’une personne" in detail
    client.post(f"/desk/mail/{bounce.pk}/attach/", {"attach-number": mail_desk.ticket.number})
    client.post(
        f"/desk/mail/{bounce.pk}/open/",
        {"open-site": mail_desk.cast.site_a.pk, "open-incident_type": mail_desk.request_type.pk},
    )
    bounce.refresh_from_db()
    assert bounce.status == InboundStatus.SET_ASIDE
    nothing_reached_a_ticket(mail_desk)
    client.post(f"/desk/mail/{bounce.pk}/discard/")
    bounce.refresh_from_db()
    assert bounce.status == InboundStatus.DISCARDED


def test_the_list_of_failed_email_shows_the_report_to_operator_admins_only(
    client: Client, mail_desk: MailDesk, smtp_server: SmtpServer, as_user
) -> None:  # type: ignore[no-untyped-def]
    cast = mail_desk.cast
    email, returned = sent_reply(mail_desk, smtp_server)
    bounce = receive(report("dsn_postfix_failed.eml", email, returned), source=PIPE, operator=cast.operator)

    page = as_user(cast.adam).get("/backoffice/servicedesk/outboundemail/?state=failed").content.decode()
    assert page.count('data-delivery="failed"') == 1
    assert "non remis : renvoyé par le serveur de messagerie du destinataire" in page.lower()
    assert (
        "<code>5.1.1</code> smtp; 550 5.1.1 &lt;alice@versailles.example&gt;: Recipient address rejected"
        in page
    )
    assert client.get("/backoffice/servicedesk/outboundemail/?delivery_action=failed").status_code == 200
    change = client.get(f"/backoffice/servicedesk/outboundemail/{email.pk}/change/").content.decode()
    assert f'href="/desk/mail/{bounce.pk}/"' in change

    # The addresses of members' people are in it: no desk agent, no member, no other operator.
    assert as_user(cast.olivia).get("/backoffice/servicedesk/outboundemail/").status_code == 403
    assert as_user(cast.alice).get("/backoffice/servicedesk/outboundemail/").status_code == 302
    client = as_user(cast.oscar)
    assert email.to not in client.get("/backoffice/servicedesk/outboundemail/?state=failed").content.decode()
    response = client.get(f"/backoffice/servicedesk/outboundemail/{email.pk}/change/", follow=True)
    assert response.redirect_chain[-1][0] == "/backoffice/"  # the admin's "no such object"
    assert email.message_id not in response.content.decode()


def test_the_review_of_a_report_stays_with_the_operators_staff(
    client: Client, mail_desk: MailDesk, smtp_server: SmtpServer, as_user
) -> None:  # type: ignore[no-untyped-def]
    cast = mail_desk.cast
    email, returned = sent_reply(mail_desk, smtp_server)
    bounce = receive(report("dsn_postfix_failed.eml", email, returned), source=PIPE, operator=cast.operator)

    as_user(cast.olivia)  # the desk's agent reviews it
    assert f'data-mail="{bounce.pk}"' in client.get("/desk/mail/?reason=bounce").content.decode()
    as_user(cast.alice)  # the member whose address bounced
    assert client.get("/desk/mail/?reason=bounce").status_code == 403
    assert client.get(f"/desk/mail/{bounce.pk}/").status_code == 403
    as_user(cast.oscar)  # another operator's admin
    assert f'data-mail="{bounce.pk}"' not in client.get("/desk/mail/?status=all").content.decode()
    assert client.get(f"/desk/mail/{bounce.pk}/").status_code == 404
    assert client.get(f"/desk/mail/{bounce.pk}/raw/").status_code == 404


# Hostile reports ----------------------------------------------------------------------------
SECONDS = 10.0


def test_a_report_of_many_recipients_and_long_fields_is_read_in_bounded_time(
    mail_desk: MailDesk, smtp_server: SmtpServer
) -> None:
    email, returned = sent_reply(mail_desk, smtp_server)
    raw = report("dsn_postfix_failed.eml", email, returned)
    # alice's Diagnostic-Code folded over 30,000 lines, then 10,000 more recipients (1 MB):
    # a report is read whatever its size, only its first blocks and characters are kept.
    raw = raw.replace(
        b"Diagnostic-Code: smtp; 550 5.1.1", b"Diagnostic-Code: smtp; 550 5.1.1" + b"\n x" * 30_000, 1
    )
    blocks = b"".join(
        b"\nFinal-Recipient: rfc822; x%d@ailleurs.example\nAction: delayed\nStatus: 4.0.0\n" % i
        for i in range(10_000)
    )
    end = b"virtual mailbox table\n"
    raw = raw.replace(end, end + blocks, 1)

    started = time.monotonic()
    inbound = receive(raw, source=PIPE, operator=mail_desk.cast.operator)
    elapsed = time.monotonic() - started

    assert elapsed < SECONDS
    assert (inbound.reason, inbound.bounce_of) == (InboundReason.BOUNCE, email)
    email.refresh_from_db()
    assert (email.state, email.delivery_status) == (OutboundState.FAILED, "5.1.1")
    assert email.delivery_diagnostic.startswith("smtp; 550 5.1.1 x x x")
    assert len(email.delivery_diagnostic) == 1000
    assert len(inbound.detail) < 1000


def test_a_status_code_in_an_ip_address_is_not_read_as_one(
    mail_desk: MailDesk, smtp_server: SmtpServer
) -> None:
    email, returned = sent_reply(mail_desk, smtp_server)
    raw = report("bounce_nonstandard.eml", email, returned).replace(
        b"Sorry, no mailbox here by that name. (#5.1.1)", b"Connected to 10.5.1.20 but sender was rejected."
    )

    inbound = receive(raw, source=PIPE, operator=mail_desk.cast.operator)

    unchanged(email)
    assert (inbound.reason, inbound.bounce_of) == (InboundReason.BOUNCE, email)
    assert "aucun état de remise ne peut y être lu" in inbound.detail

    # A postmaster writing to the desk, nothing returned: a person's message, not a report.
    raw = simple(sender="postmaster@versailles.example", subject="Coupure prévue", body="Coupure samedi.\n")
    assert receive(raw, source=PIPE, operator=mail_desk.cast.operator).reason == InboundReason.UNKNOWN_SENDER


def test_emails_are_named_with_the_french_colon() -> None:
    """The back office names an email « address : subject », the space French sets."""
    inbound = InboundEmail(from_address="chef@college.example", subject="Écran cassé")
    outbound = OutboundEmail(to="chef@college.example", subject="Demande n° 12 résolue")
    assert str(inbound) == "chef@college.example : Écran cassé"
    assert str(outbound) == "chef@college.example : Demande n° 12 résolue"
