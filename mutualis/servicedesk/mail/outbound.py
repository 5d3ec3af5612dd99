"""Sending the outbox: one job per email, through Django's email backend (SMTP in
production, the console in development).

The job is `servicedesk.send_email`; the jobs queue retries it with exponential backoff
when the mail server refuses or cannot be reached, and the email keeps each failure
(`attempts`, `last_error`) for the back-office. A recipient refused for good (a 5yz
reply to RCPT: no such mailbox) is not tried again; nor is one a delivery report later
says failed (inbound_bounce.py). A retried email keeps its Message-ID, so
a message the server took although the connection broke arrives twice at worst, and a
mail client shows it once.
"""

from __future__ import annotations

import logging
import smtplib
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import F
from django.utils import timezone

from mutualis.jobs import task

from ..models import DeliveryAction, OutboundEmail, OutboundState
from . import identity

logger = logging.getLogger("mutualis.servicedesk.mail")

SEND_EMAIL = "servicedesk.send_email"
# With the queue's 30 s doubled each time, 8 attempts span about two hours: a relay's
# restart or a short outage, not a lost email.
MAX_ATTEMPTS = 8


def build_message(email: OutboundEmail) -> EmailMessage:
    """The email as it leaves, with the headers that tie it to its ticket."""
    ticket = email.ticket
    thread = identity.thread_id(ticket.operator_id, ticket.number)
    headers = {
        "Message-ID": email.message_id,
        # RFC 5322 §3.6.4: every email of a ticket answers the ticket's own (never sent)
        # Message-ID, so mail clients show one conversation per ticket.
        "In-Reply-To": thread,
        "References": thread,
        # RFC 3834 §5: sent by a program, not a person; well-behaved vacation responders
        # do not answer it, and we do not answer theirs (mail/inbound).
        "Auto-Submitted": "auto-generated",
        # Exchange's own equivalent: no out-of-office or delivery receipts back.
        "X-Auto-Response-Suppress": "All",
        "X-Mutualis-Ticket": f"{ticket.operator_id}-{ticket.number}",
        "X-Mutualis-Event": email.event,
    }
    return EmailMessage(
        subject=f"{identity.subject_tag(ticket.number)} {email.subject}",
        body=email.body,
        from_email=formataddr((settings.SERVICEDESK_FROM_NAME, settings.SERVICEDESK_ADDRESS)),
        to=[email.to],
        reply_to=[identity.reply_address(ticket.operator_id, ticket.number)],
        headers=headers,
    )


@task(SEND_EMAIL, max_attempts=MAX_ATTEMPTS)
def send_email(*, email_id: int) -> None:
    """Hand one queued email to the mail server; raise (so the queue retries) if refused."""
    # Counting the attempt first, in its own statement, is what lets a change of state
    # update an email nobody tried to send yet (notifications._pending_state_email locks
    # rows with no attempt): this UPDATE waits for that transaction, and the text read
    # next is the updated one; an email being sent is no longer updated, a new one is made.
    # An email a delivery report says failed for good (mail/inbound_bounce.py) did leave,
    # though a retry was still due (the connection broke after the relay took it): not again.
    started = (
        OutboundEmail.objects.filter(pk=email_id)
        .exclude(state=OutboundState.SENT)
        .exclude(delivery_action=DeliveryAction.FAILED)
    )
    if not started.update(attempts=F("attempts") + 1):
        return  # deleted with its ticket, or a retry of an email that did leave
    email = OutboundEmail.objects.select_related("ticket").get(pk=email_id)
    try:
        get_connection(fail_silently=False).send_messages([build_message(email)])
    except smtplib.SMTPRecipientsRefused as exc:
        if not _permanently_refused(exc):
            _failed(email, exc)
            raise
        # RFC 5321 §4.2.1: after a 5yz reply "the SMTP client SHOULD NOT repeat the exact
        # request". The mailbox does not exist or takes no mail (a person who left): eight
        # more attempts over two hours would change nothing but the relay's opinion of us.
        _failed(email, exc)
        logger.warning("Email %s to %s refused for good, not retried: %s", email.pk, email.to, exc)
        return
    except (OSError, smtplib.SMTPException) as exc:
        _failed(email, exc)
        logger.warning("Email %s to %s not sent (attempt %s): %s", email.pk, email.to, email.attempts, exc)
        raise
    OutboundEmail.objects.filter(pk=email.pk).update(state=OutboundState.SENT, sent_at=timezone.now())


def _failed(email: OutboundEmail, exc: Exception) -> None:
    OutboundEmail.objects.filter(pk=email.pk).update(
        state=OutboundState.FAILED, last_error=f"{type(exc).__name__}: {exc}"
    )


def _permanently_refused(exc: smtplib.SMTPRecipientsRefused) -> bool:
    """Whether the relay refused every recipient with a permanent reply (5yz, RFC 5321
    §4.2.1); a 4yz (mailbox full, greylisting) is worth trying again."""
    codes = [code for code, _message in exc.recipients.values()]
    return bool(codes) and all(500 <= code < 600 for code in codes)
