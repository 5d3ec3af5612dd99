"""The whole loop of issue 4, through real parts: a member declares, the acknowledgement
arrives at a real SMTP server, the technician asks a question (the service level's clock
stops while the ticket waits for the member), the member answers from her mail program,
the mail server hands the answer to the inbound hook, and it lands on the same ticket,
which goes back to the technician with its deadlines pushed by the time spent waiting."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid

import pytest
from django.test import Client

from mutualis.jobs import run_pending
from mutualis.people.models import Membership
from mutualis.servicedesk import services
from mutualis.servicedesk.calendars import add_business_time
from mutualis.servicedesk.models import (
    Comment,
    InboundEmail,
    InboundStatus,
    Ticket,
    TicketChannel,
    TicketState,
)
from tests.conftest import Cast
from tests.servicedesk.conftest import Desk
from tests.servicedesk.service_levels import Clock, Levels, at

from .conftest import Received, SmtpServer
from .inbound_support import token_for

pytestmark = pytest.mark.django_db
H = dt.timedelta(hours=1)


def answer(notification: Received, text: str) -> bytes:
    """Alice's answer as her mail program writes it: threaded, quoting what she got."""
    received = notification.message
    reply = EmailMessage(policy=SMTP)
    reply["From"] = f"Alice <{notification.rcpt_tos[0]}>"
    reply["To"] = str(received["Reply-To"])
    reply["Subject"] = f"RE: {notification.subject}"
    reply["Message-ID"] = make_msgid(domain="versailles.example")
    reply["In-Reply-To"] = str(received["Message-ID"])
    reply["References"] = f"{received['References']} {received['Message-ID']}"
    quoted = "\n".join(f"> {line}" for line in notification.text.splitlines())
    reply.set_content(f"{text}\n\nLe mer. 11 mars 2026 à 10:00, Service desk a écrit :\n{quoted}\n")
    return reply.as_bytes()


def test_declare_mail_answer_by_mail_and_the_clock_stops_while_waiting(
    cast: Cast, desk: Desk, levels: Levels, clock: Clock, smtp_server: SmtpServer, client: Client
) -> None:
    # Tuesday 10 March 2026, 09:00: Alice declares a broken screen.
    ticket = services.open_ticket(
        site=desk.college,
        incident_type=desk.broken_screen,
        title="Écran fissuré",
        description="Tombée en salle 12.",
        answers=[],
        assets=[desk.tablet],
        by=cast.alice,
    )
    run_pending()
    receipt = smtp_server.to(cast.alice.email)
    assert len(receipt) == 1
    assert f"[#{ticket.number}]" in receipt[0].subject
    assert str(ticket.number) in receipt[0].text
    due = Ticket.objects.get(pk=ticket.pk).resolve_due
    assert due is not None

    # 09:30 the technician takes it; 10:00 asks Alice a question and waits for her.
    clock.set("2026-03-10T09:30")
    services.take(ticket=ticket, by=desk.tess)
    clock.set("2026-03-10T10:00")
    services.transition(
        ticket=ticket,
        to=TicketState.WAITING_MEMBER,
        by=desk.tess,
        as_staff=True,
        note="Pouvez-vous nous donner le numéro de série de la tablette ?",
    )
    run_pending()
    question = [r for r in smtp_server.to(cast.alice.email) if "numéro de série" in r.text]
    assert len(question) == 1
    waiting = Ticket.objects.get(pk=ticket.pk)
    assert (waiting.state, waiting.sla_paused_at) == (TicketState.WAITING_MEMBER, at("2026-03-10T10:00"))

    # Wednesday 10:00 (7 h 30 of office time later) her answer comes back by mail.
    clock.set("2026-03-11T10:00")
    token = token_for(Membership.objects.get(user=cast.adam))  # the operator admin's token
    response = client.post(
        "/api/v1/inbound-email/",
        data=answer(question[0], "Bonjour,\nLe numéro de série est SN-4471-B.\nAlice"),
        content_type="message/rfc822",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 202, response.content
    assert response.json()["status"] == InboundStatus.REPLIED
    assert response.json()["ticket"] == ticket.number

    inbound = InboundEmail.objects.get()
    assert inbound.ticket_id == ticket.pk
    comment = Comment.objects.filter(ticket=ticket, author=cast.alice).get()
    assert comment.body == "Bonjour,\nLe numéro de série est SN-4471-B.\nAlice"  # the quote is gone
    assert comment.channel == TicketChannel.EMAIL
    resumed = Ticket.objects.get(pk=ticket.pk)
    assert resumed.state == TicketState.IN_PROGRESS
    assert resumed.sla_paused_at is None
    assert resumed.sla_paused_time == 7.5 * H
    assert resumed.resolve_due == add_business_time(levels.office, due, 7.5 * H, holiday_region="")

    # The technician is told, by mail too, that Alice answered.
    run_pending()
    told = [r for r in smtp_server.to(desk.tess.email) if "SN-4471-B" in r.text]
    assert len(told) == 1
    assert f"[#{ticket.number}]" in told[0].subject
