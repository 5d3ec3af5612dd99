"""Notifications, as people receive them: through a real SMTP server (conftest.py),
parsed as a mail client would. Who gets what, with which headers, in which words."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mutualis.jobs import Job, JobState, run_pending
from mutualis.people.roles import Role
from mutualis.servicedesk import services
from mutualis.servicedesk.mail import identity
from mutualis.servicedesk.mail.notifications import (
    ANNOUNCE_CREATED,
    notify_sla_alerts,
    write_created_notices,
)
from mutualis.servicedesk.mail.preferences import set_preferences
from mutualis.servicedesk.models import (
    EmailTemplate,
    NotificationEvent,
    OutboundEmail,
    OutboundState,
    Ticket,
)
from mutualis.servicedesk.sla import SlaAlert
from tests.conftest import Cast
from tests.factories import MembershipFactory

from ..conftest import Desk
from .conftest import Collector, Received, SmtpServer, free_port

pytestmark = pytest.mark.django_db

PARIS = zoneinfo.ZoneInfo("Europe/Paris")

SECRET_NOTE = "Le prestataire facture 4 000 € : ne pas le dire au membre"


def declare(cast: Cast, desk: Desk) -> Ticket:
    return services.open_ticket(
        site=desk.college,
        incident_type=desk.broken_screen,
        title="Écran fissuré en salle 12",
        description="La vitre est fêlée depuis la récréation.",
        assets=[desk.tablet],
        by=cast.alice,
    )


def deliver() -> None:
    """What a worker does: run the jobs that are due (the emails' sending)."""
    run_pending()


def only(received: list[Received]) -> Received:
    assert len(received) == 1, [r.subject for r in received]
    return received[0]


def test_a_new_ticket_is_acknowledged_to_its_requester_with_every_header(
    cast: Cast, desk: Desk, smtp_server: SmtpServer
) -> None:
    ticket = declare(cast, desk)
    deliver()
    mail = only(smtp_server.to(cast.alice.email))
    message = mail.message
    assert mail.mail_from == settings.SERVICEDESK_ADDRESS
    assert mail.rcpt_tos == [cast.alice.email]
    assert message["From"].addresses[0].addr_spec == settings.SERVICEDESK_ADDRESS
    assert mail.subject == f"[#{ticket.number}] Votre demande n° {ticket.number} a bien été enregistrée"
    # The Message-ID names the ticket, signed; In-Reply-To/References the ticket's thread.
    assert re.fullmatch(
        rf"<t\.{ticket.operator_id}\.{ticket.number}\.[0-9a-f]+\.[0-9a-f]{{12}}@mutualis\.localhost>",
        message["Message-ID"],
    )
    ref = identity.TicketRef(ticket.operator_id, ticket.number)
    assert identity.refs_in_headers(message["Message-ID"]) == [ref]
    thread = identity.thread_id(ticket.operator_id, ticket.number)
    assert message["In-Reply-To"] == thread
    assert message["References"] == thread
    assert message["Reply-To"] == identity.reply_address(ticket.operator_id, ticket.number)
    assert identity.ref_in_address(message["Reply-To"]) == ref
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-Mutualis-Ticket"] == f"{ticket.operator_id}-{ticket.number}"
    lines = mail.text.splitlines()
    assert lines[0] == identity.REPLY_ABOVE
    assert f"Votre demande n° {ticket.number} « Écran fissuré en salle 12 » pour Collège Hoche" in mail.text
    assert "a bien été prise en compte" in mail.text
    assert f"{settings.SITE_URL}/tickets/{ticket.number}/" in mail.text
    assert f"{settings.SITE_URL}/accounts/notifications/" in mail.text
    # The outbox says it left, with the Message-ID it left with.
    email = OutboundEmail.objects.get(ticket=ticket, recipient=cast.alice)
    assert (email.event, email.state, email.attempts) == ("created", OutboundState.SENT, 1)
    assert email.message_id == message["Message-ID"]
    assert email.sent_at is not None


def test_the_acknowledgement_gives_the_deadlines_when_the_ticket_has_them(
    cast: Cast, desk: Desk, smtp_server: SmtpServer
) -> None:
    ticket = declare(cast, desk)
    # A service level's deadlines (set by the SLA part when a policy applies), there when
    # the job writes the acknowledgement.
    due = dt.datetime(2030, 3, 4, 14, 0, tzinfo=PARIS)
    Ticket.objects.filter(pk=ticket.pk).update(take_charge_due=due, resolve_due=due + dt.timedelta(days=2))
    deliver()
    text = only(smtp_server.to(cast.alice.email)).text
    assert "Elle sera prise en charge au plus tard le lundi 4 mars 2030 à 14h00." in text
    assert "Sa résolution est prévue au plus tard le mercredi 6 mars 2030 à 14h00." in text


def test_the_team_hears_of_a_new_ticket_in_its_queue(cast: Cast, desk: Desk, smtp_server: SmtpServer) -> None:
    ticket = declare(cast, desk)
    deliver()
    mail = only(smtp_server.to(desk.tess.email))
    assert mail.subject == (
        f"[#{ticket.number}] Nouvelle demande n° {ticket.number} pour Support tablettes : Écran fissuré en salle 12"
    )
    assert "La vitre est fêlée depuis la récréation." in mail.text
    # Nobody else: the desk agent and the admin are in no team.
    assert {r.rcpt_tos[0] for r in smtp_server.received} == {cast.alice.email, desk.tess.email}


def test_a_declaration_queues_its_notices_and_a_job_writes_them_once(
    cast: Cast, desk: Desk, smtp_server: SmtpServer
) -> None:
    ticket = declare(cast, desk)
    # The person declaring does not wait for the emails: one job, in the same transaction.
    assert not OutboundEmail.objects.filter(ticket=ticket).exists()
    job = Job.objects.get(name=ANNOUNCE_CREATED)
    assert job.kwargs == {"ticket_id": ticket.pk, "by_id": cast.alice.pk}
    deliver()
    assert OutboundEmail.objects.filter(ticket=ticket).count() == 2
    # A job run again (a worker lost after writing them) writes nothing more.
    assert write_created_notices(ticket_id=ticket.pk, by_id=cast.alice.pk) == []
    deliver()
    assert OutboundEmail.objects.filter(ticket=ticket).count() == 2
    assert len(smtp_server.received) == 2


def test_the_notices_of_a_new_ticket_take_as_many_queries_for_a_large_team(cast: Cast, desk: Desk) -> None:
    def notices_for_new_ticket() -> int:
        ticket = declare(cast, desk)
        with CaptureQueriesContext(connection) as queries:
            emails = write_created_notices(ticket_id=ticket.pk, by_id=cast.alice.pk)
        assert len(emails) == 1 + desk.team.members.count()
        return len(queries)

    few = notices_for_new_ticket()
    for _ in range(12):
        desk.team.members.add(
            MembershipFactory(member=None, operator=cast.operator, role=Role.TECHNICIAN).user
        )
    assert notices_for_new_ticket() == few


def test_a_staff_reply_reaches_the_requester_and_not_its_author(
    cast: Cast, desk: Desk, smtp_server: SmtpServer
) -> None:
    ticket = declare(cast, desk)
    deliver()
    smtp_server.received.clear()
    services.reply(
        ticket=ticket, body="Nous passons jeudi à 9 h, prévoyez l'accès.", by=desk.tess, as_staff=True
    )
    deliver()
    mail = only(smtp_server.received)
    assert mail.rcpt_tos == [cast.alice.email]
    assert mail.subject == f"[#{ticket.number}] Nouvelle réponse à votre demande n° {ticket.number}"
    assert "Nous passons jeudi à 9 h, prévoyez l'accès." in mail.text  # plain text: no &#x27;
    assert mail.text.splitlines()[0] == identity.REPLY_ABOVE


def test_a_member_reply_goes_to_the_team_then_to_the_assignee_only(
    cast: Cast, desk: Desk, smtp_server: SmtpServer
) -> None:
    ticket = declare(cast, desk)
    other = MembershipFactory(member=None, operator=cast.operator, role=Role.TECHNICIAN).user
    desk.team.members.add(other)
    deliver()
    smtp_server.received.clear()
    services.reply(ticket=ticket, body="Une deuxième vitre est fêlée.", by=cast.alice, as_staff=False)
    deliver()
    assert {r.rcpt_tos[0] for r in smtp_server.received} == {desk.tess.email, other.email}
    smtp_server.received.clear()

    services.assign(ticket=ticket, assignee=desk.tess, by=cast.olivia)
    deliver()
    assigned = only(smtp_server.to(desk.tess.email))
    assert "vous est attribuée" in assigned.subject
    smtp_server.received.clear()
    services.reply(ticket=ticket, body="Et la coque aussi.", by=cast.alice, as_staff=False)
    deliver()
    mail = only(smtp_server.received)
    assert mail.rcpt_tos == [desk.tess.email]
    assert "Et la coque aussi." in mail.text


def test_internal_notes_never_reach_a_member(cast: Cast, desk: Desk, smtp_server: SmtpServer) -> None:
    ticket = declare(cast, desk)
    services.add_note(ticket=ticket, body=SECRET_NOTE, by=desk.tess)
    services.reply(ticket=ticket, body="Nous commandons la pièce.", by=desk.tess, as_staff=True)
    services.transition(ticket=ticket, to="resolved", by=desk.tess, as_staff=True, note="Vitre remplacée.")
    deliver()
    assert smtp_server.to(cast.alice.email)
    for mail in smtp_server.received:
        assert "facture" not in mail.text
    assert not OutboundEmail.objects.filter(body__contains="facture").exists()


def test_taking_a_ticket_tells_the_requester_once_with_the_latest_state(
    cast: Cast, desk: Desk, smtp_server: SmtpServer
) -> None:
    ticket = declare(cast, desk)
    deliver()
    smtp_server.received.clear()
    services.take(ticket=ticket, by=desk.tess)  # new → assigned → in progress, in one change
    deliver()
    mail = only(smtp_server.to(cast.alice.email))
    assert mail.subject == f"[#{ticket.number}] Votre demande n° {ticket.number} : en cours"
    assert "est passée de « nouveau » à « en cours »" in mail.text


def test_an_email_being_sent_is_not_rewritten_a_new_one_follows(cast: Cast, desk: Desk) -> None:
    ticket = declare(cast, desk)
    services.transition(ticket=ticket, to="waiting_member", by=desk.tess, as_staff=True)
    first = OutboundEmail.objects.get(recipient=cast.alice, event="state_changed")
    # A worker took it (its attempt is counted before it reads the text and sends it).
    OutboundEmail.objects.filter(pk=first.pk).update(attempts=1)
    services.transition(ticket=ticket, to="in_progress", by=desk.tess, as_staff=True)
    emails = OutboundEmail.objects.filter(recipient=cast.alice, event="state_changed").order_by("pk")
    assert [e.context["state_code"] for e in emails] == ["waiting_member", "in_progress"]
    assert emails[0].body == first.body


def test_resolving_with_a_message_sends_one_email_with_the_message_and_the_survey(
    cast: Cast, desk: Desk, smtp_server: SmtpServer
) -> None:
    ticket = declare(cast, desk)
    services.take(ticket=ticket, by=desk.tess)
    deliver()
    smtp_server.received.clear()
    services.transition(
        ticket=ticket, to="resolved", by=desk.tess, as_staff=True, note="La vitre a été remplacée."
    )
    deliver()
    mail = only(smtp_server.to(cast.alice.email))
    assert mail.subject == f"[#{ticket.number}] Votre demande n° {ticket.number} est résolue"
    assert "La vitre a été remplacée." in mail.text
    assert f"{settings.SITE_URL}/satisfaction/" in mail.text
    assert "dans les 14 jours" in mail.text


def test_waiting_for_the_member_asks_them_to_answer(cast: Cast, desk: Desk, smtp_server: SmtpServer) -> None:
    ticket = declare(cast, desk)
    deliver()
    smtp_server.received.clear()
    services.transition(
        ticket=ticket, to="waiting_member", by=desk.tess, as_staff=True, note="Quelle salle ?"
    )
    deliver()
    text = only(smtp_server.to(cast.alice.email)).text
    assert "attendent une réponse de votre part" in text
    assert "Quelle salle ?" in text


def test_whoever_makes_a_change_is_not_told_of_it(cast: Cast, desk: Desk, smtp_server: SmtpServer) -> None:
    ticket = declare(cast, desk)
    deliver()
    smtp_server.received.clear()
    services.transition(ticket=ticket, to="cancelled", by=cast.alice, as_staff=False)
    services.reply(ticket=declare(cast, desk), body="Précision", by=cast.alice, as_staff=False)
    deliver()
    assert not smtp_server.to(cast.alice.email)[1:]  # only the second ticket's receipt
    assert OutboundEmail.objects.filter(recipient=cast.alice, event="state_changed").count() == 0


def test_a_notification_switched_off_is_not_sent(cast: Cast, desk: Desk, smtp_server: SmtpServer) -> None:
    set_preferences(user=cast.alice, enabled={NotificationEvent.CREATED, NotificationEvent.RESOLVED})
    set_preferences(user=desk.tess, enabled={NotificationEvent.ASSIGNED})
    ticket = declare(cast, desk)
    services.reply(ticket=ticket, body="Nous arrivons.", by=desk.tess, as_staff=True)
    deliver()
    # Alice kept the receipt, switched replies off; Tess switched team notices off.
    assert [r.subject for r in smtp_server.to(cast.alice.email)] == [
        f"[#{ticket.number}] Votre demande n° {ticket.number} a bien été enregistrée"
    ]
    assert not smtp_server.to(desk.tess.email)


def test_a_requester_who_left_the_member_is_told_nothing(
    cast: Cast, desk: Desk, smtp_server: SmtpServer
) -> None:
    ticket = declare(cast, desk)
    deliver()  # the acknowledgement, while she is still a member
    cast.alice.memberships.update(is_active=False)
    services.reply(ticket=ticket, body="Nous arrivons.", by=desk.tess, as_staff=True)
    deliver()
    assert [r.message["X-Mutualis-Event"] for r in smtp_server.to(cast.alice.email)] == ["created"]


def test_a_requester_who_left_before_the_notices_were_written_gets_none(
    cast: Cast, desk: Desk, smtp_server: SmtpServer
) -> None:
    declare(cast, desk)
    cast.alice.memberships.update(is_active=False)
    deliver()
    assert not smtp_server.to(cast.alice.email)
    # The team still hears of the ticket.
    assert "Nouvelle demande" in only(smtp_server.to(desk.tess.email)).subject


def test_emails_are_written_in_the_recipients_language(
    cast: Cast, desk: Desk, smtp_server: SmtpServer
) -> None:
    cast.alice.language = "en"
    cast.alice.save(update_fields=["language"])
    ticket = declare(cast, desk)
    services.take(ticket=ticket, by=desk.tess)
    deliver()
    subjects = [r.subject for r in smtp_server.to(cast.alice.email)]
    assert subjects == [
        f"[#{ticket.number}] Your request no. {ticket.number} has been received",
        f"[#{ticket.number}] Your request no. {ticket.number}: in progress",
    ]
    # Tess reads French.
    assert "Nouvelle demande" in only(smtp_server.to(desk.tess.email)).subject


def test_the_operators_own_wording_is_used(cast: Cast, desk: Desk, smtp_server: SmtpServer) -> None:
    EmailTemplate.objects.create(
        operator=cast.operator,
        event="created",
        language="fr",
        subject="Bien reçu : {{ title }}",
        body="Merci {{ recipient }} ! Le n° {{ number }} est enregistré pour {{ site }}.",
    )
    EmailTemplate.objects.create(
        operator=cast.other_operator, event="created", language="fr", subject="Autre", body="Autre"
    )
    ticket = declare(cast, desk)
    deliver()
    mail = only(smtp_server.to(cast.alice.email))
    assert mail.subject == f"[#{ticket.number}] Bien reçu : Écran fissuré en salle 12"
    lines = mail.text.splitlines()
    assert lines[0] == identity.REPLY_ABOVE
    assert (
        lines[2] == f"Merci {cast.alice.full_name} ! Le n° {ticket.number} est enregistré pour Collège Hoche."
    )


def test_nothing_is_queued_when_the_change_is_rolled_back(cast: Cast, desk: Desk) -> None:
    def change_failing_late() -> None:
        with transaction.atomic():
            declare(cast, desk)
            raise RuntimeError("a later step of the same change fails")

    with pytest.raises(RuntimeError):
        change_failing_late()
    assert not OutboundEmail.objects.exists()
    # Neither the job writing the new ticket's notices nor any sending: nothing to run.
    assert not Job.objects.exists()
    assert run_pending().done == 0


@dataclass(frozen=True)
class Alert:
    """An SLA alert as the sweep gives it (mutualis.servicedesk.sla.SlaAlert)."""

    ticket_id: int
    target: str
    level: str
    due_at: dt.datetime


def test_deadline_alerts_reach_the_assignee_the_team_and_the_supervisors(
    cast: Cast, desk: Desk, smtp_server: SmtpServer
) -> None:
    ticket = declare(cast, desk)
    other = MembershipFactory(member=None, operator=cast.operator, role=Role.TECHNICIAN).user
    desk.team.members.add(other)
    services.assign(ticket=ticket, assignee=other, by=cast.olivia)
    supervisor = MembershipFactory(member=None, operator=cast.operator, role=Role.SUPERVISOR).user
    elsewhere = MembershipFactory(member=None, operator=cast.other_operator, role=Role.SUPERVISOR).user
    deliver()
    smtp_server.received.clear()

    due = dt.datetime(2030, 3, 4, 14, 0, tzinfo=PARIS)
    notify_sla_alerts([Alert(ticket.pk, "resolve", "breach", due)])
    deliver()
    recipients = sorted(r.rcpt_tos[0] for r in smtp_server.received)
    assert recipients == sorted([desk.tess.email, other.email, supervisor.email])
    assert elsewhere.email not in recipients
    assert cast.alice.email not in recipients  # members never get the desk's alerts
    mail = smtp_server.to(supervisor.email)[0]
    assert mail.subject == (f"[#{ticket.number}] Échéance dépassée : demande n° {ticket.number} (résolution)")
    assert "elle était fixée au lundi 4 mars 2030 à 14h00" in mail.text
    assert f"Attribué à : {other.full_name}" in mail.text

    smtp_server.received.clear()
    set_preferences(user=supervisor, enabled={NotificationEvent.SLA_BREACH})
    notify_sla_alerts([Alert(ticket.pk, "take_charge", "warning", due)])
    deliver()
    assert sorted(r.rcpt_tos[0] for r in smtp_server.received) == sorted([desk.tess.email, other.email])
    assert "Échéance proche" in smtp_server.received[0].subject
    assert "L’échéance de prise en charge" in smtp_server.received[0].text


def test_the_sweeps_alerts_are_accepted_as_they_are(cast: Cast, desk: Desk, smtp_server: SmtpServer) -> None:
    ticket = declare(cast, desk)
    deliver()
    smtp_server.received.clear()
    alert = SlaAlert(
        ticket_id=ticket.pk,
        ticket_number=ticket.number,
        operator_id=ticket.operator_id,
        target="take_charge",
        level="warning",
        due_at=timezone.now() + dt.timedelta(minutes=30),
        team_id=desk.team.pk,
        assignee_id=None,
    )
    notify_sla_alerts([alert])
    deliver()
    assert [r.rcpt_tos for r in smtp_server.received] == [[desk.tess.email]]


@pytest.mark.django_db(transaction=True)
def test_a_mail_server_down_loses_nothing_the_job_retries(
    cast: Cast, desk: Desk, closed_smtp_port: int, settings: Any
) -> None:
    # No test transaction here: as in production, the job's failure is recorded for good.
    ticket = declare(cast, desk)
    report = run_pending()
    # The job writing the notices is done; the two emails' sending failed and waits.
    assert (report.retried, report.done) == (2, 1)
    emails = OutboundEmail.objects.filter(ticket=ticket)
    assert {(e.state, e.attempts) for e in emails} == {(OutboundState.FAILED, 1)}
    assert all("ConnectionRefusedError" in e.last_error for e in emails)
    jobs = Job.objects.filter(name="servicedesk.send_email")
    assert {(j.state, j.attempts) for j in jobs} == {(JobState.QUEUED, 1)}

    # The relay is back: the next run, after the backoff, delivers with the same Message-ID.
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        settings.EMAIL_PORT = controller.port
        later = timezone.now() + dt.timedelta(minutes=5)
        report = run_pending(now=later)
    finally:
        controller.stop()
    assert report.done >= 2  # the emails, and any periodic sweep then due
    assert Job.objects.filter(name="servicedesk.send_email", state=JobState.DONE).count() == 2
    assert {(e.state, e.attempts) for e in emails.all()} == {(OutboundState.SENT, 2)}
    assert sorted(r.message["Message-ID"] for r in collector.received) == sorted(
        emails.values_list("message_id", flat=True)
    )


@dataclass
class RefusingCollector(Collector):
    """A relay that refuses one mailbox, for good (550) or for now (452)."""

    refused: str = ""
    reply: str = "550 5.1.1 <{address}>: Recipient address rejected: User unknown"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        if address == self.refused:
            return self.reply.format(address=address)
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("reply", "retried"),
    [
        ("550 5.1.1 <{address}>: Recipient address rejected: User unknown", False),
        ("452 4.2.2 <{address}>: Mailbox full", True),
    ],
)
def test_a_mailbox_refused_for_good_is_not_tried_again(
    cast: Cast, desk: Desk, settings: Any, reply: str, retried: bool
) -> None:
    """RFC 5321 §4.2.1: after a 5yz reply the client should not repeat the request; a 4yz
    is temporary and retried. The others' emails leave either way."""
    collector = RefusingCollector(refused=cast.alice.email, reply=reply)
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        ticket = declare(cast, desk)
        run_pending()
    finally:
        controller.stop()
    assert [r.rcpt_tos for r in collector.received] == [[desk.tess.email]]
    refused = OutboundEmail.objects.get(ticket=ticket, recipient=cast.alice)
    assert (refused.state, refused.attempts) == (OutboundState.FAILED, 1)
    assert reply.split()[0] in refused.last_error
    job = Job.objects.get(name="servicedesk.send_email", kwargs__email_id=refused.pk)
    assert job.state == (JobState.QUEUED if retried else JobState.DONE)
