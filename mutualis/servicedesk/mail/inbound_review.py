"""The review of set-aside mail by the operator's staff: attach a message as a reply to a
ticket, open a ticket from it, or discard it. The raw message is kept whatever is decided.

A message attached by hand is still posted as its sender's, so the sender must be a
person who may reply to that ticket (the tenancy door, as on the ticket's page): a
reviewer cannot put words in a member's mouth on another member's ticket.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mutualis.people.models import User
from mutualis.registry.models import Site

from .. import services
from ..models import (
    Comment,
    DeskSettings,
    InboundEmail,
    InboundReason,
    InboundStatus,
    IncidentType,
    Ticket,
    TicketChannel,
)
from ..models.inbound import TO_REVIEW
from . import inbound_routing as routing
from .inbound import body_with_notes
from .inbound_parse import MalformedMailError, ParsedMail, clean_subject, parse

logger = logging.getLogger("mutualis.mail")


def _locked_for_review(inbound: InboundEmail) -> InboundEmail:
    current = InboundEmail.objects.select_for_update().get(pk=inbound.pk)
    if current.status not in TO_REVIEW:
        raise ValidationError(
            _("This message was already handled (%(status)s).") % {"status": current.get_status_display()}
        )
    return current


def _locked_for_a_ticket(inbound: InboundEmail) -> InboundEmail:
    current = _locked_for_review(inbound)
    if current.reason == InboundReason.BOUNCE:
        # A mail server's delivery report (inbound_bounce.py): nobody wrote it.
        raise ValidationError(
            _("A delivery report is not a person's message: it is never added to a ticket.")
        )
    return current


def read_message(inbound: InboundEmail) -> ParsedMail:
    """The stored message, read again; ValidationError when it cannot be read as an email."""
    with inbound.raw.open("rb") as stored:
        raw = stored.read()
    try:
        return parse(raw)
    except MalformedMailError as exc:
        raise ValidationError(
            _("This message cannot be read as an email; download it to see what it holds.")
        ) from exc


def _reviewed(current: InboundEmail, status: str, *, by: User, notes: list[str], **fields: object) -> None:
    for name, value in fields.items():
        setattr(current, name, value)
    current.status = status
    current.reviewed_by = by
    current.reviewed_at = timezone.now()
    current.notes = "\n".join(filter(None, [current.notes, *notes]))
    current.save()
    logger.info("mail %s reviewed by %s: %s", current.pk, by.email, status)


@transaction.atomic
def attach_as_reply(*, inbound: InboundEmail, ticket: Ticket, by: User) -> Comment:
    """Post the message as its sender's reply to `ticket` (a ticket the reviewer sees)."""
    current = _locked_for_a_ticket(inbound)
    if ticket.operator_id != current.operator_id:
        raise ValidationError(_("This ticket belongs to another operator."))
    sender = routing.find_sender(current.operator_id, current.from_address)
    if sender is None:
        raise ValidationError(
            _(
                "%(address)s is not a person of the operator or its members: the message cannot be posted as theirs. Create their account first, or write the reply yourself."
            )
            % {"address": current.from_address or "?"}
        )
    scope = routing.reply_scope(sender, current.operator_id, ticket)
    if scope is None:
        raise ValidationError(
            _(
                "%(name)s may not reply to n° %(number)s: the ticket is not one of their member or site, or their role is read-only."
            )
            % {"name": sender.full_name or sender.email, "number": ticket.number}
        )
    mail = read_message(current)
    checked, refused = routing.check_files(mail.files, DeskSettings.for_operator(current.operator_id))
    body = body_with_notes(mail.text, refused, has_files=bool(checked))
    if not body:
        raise ValidationError(_("Nothing is written above the quoted message."))
    comment = services.reply(
        ticket=ticket,
        body=body,
        by=sender,
        as_staff=scope.is_operator_staff,
        files=checked,
        channel=TicketChannel.EMAIL,
    )
    _reviewed(
        current, InboundStatus.REPLIED, by=by, notes=refused, ticket=ticket, comment=comment, sender=sender
    )
    return comment


@transaction.atomic
def open_ticket_from(*, inbound: InboundEmail, site: Site, incident_type: IncidentType, by: User) -> Ticket:
    """Open a ticket on `site` (a site the reviewer sees) from the message. A known sender
    is its requester (they must follow the site); otherwise the reviewer is, and the
    description says whom the request came from."""
    current = _locked_for_a_ticket(inbound)
    if site.operator_id != current.operator_id:
        raise ValidationError(_("This site belongs to another operator."))
    sender = routing.find_sender(current.operator_id, current.from_address)
    mail = read_message(current)
    checked, refused = routing.check_files(mail.files, DeskSettings.for_operator(current.operator_id))
    description = body_with_notes(mail.text, refused, has_files=bool(checked))
    if sender is None:
        origin = _("Received by email from %(sender)s.") % {
            "sender": f"{current.from_name} <{current.from_address}>"
            if current.from_name
            else current.from_address
        }
        description = f"{origin}\n\n{description}".strip()
    ticket = services.open_ticket(
        site=site,
        incident_type=incident_type,
        title=clean_subject(current.subject) or _("Request by email"),
        description=description,
        files=checked,
        by=by,
        requester=sender,
        channel=TicketChannel.EMAIL,
    )
    _reviewed(current, InboundStatus.OPENED, by=by, notes=refused, ticket=ticket, sender=sender)
    return ticket


@transaction.atomic
def discard(*, inbound: InboundEmail, by: User) -> InboundEmail:
    """Mark the message as seen and left aside for good; it stays stored."""
    current = _locked_for_review(inbound)
    _reviewed(current, InboundStatus.DISCARDED, by=by, notes=[])
    return current
