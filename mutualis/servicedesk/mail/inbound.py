"""Email in: `receive` a message from any source (inbound hook, MTA pipe, IMAP).

First the message is stored, byte for byte, with a row saying what it is (InboundEmail),
in its own transaction; then it is processed in another. Processing adds a reply to the
ticket the message names, opens a ticket for a known person writing without one, or sets
the message aside for the operator's staff with a reason. Whatever fails while processing
leaves the message set aside ("error"), its traceback logged: nothing received is lost.

The checks, in order (the first that applies decides):
1. larger than MAIL_IN_MAX_BYTES: set aside unread ("oversized");
2. unreadable, or no sender address ("malformed");
3. a delivery report (bounce: RFC 3464, RFC 6533, or a server's own text) about one of
   our emails: recorded on that email, which a failure marks failed for good, and set
   aside ("bounce"); one naming no email of ours changes nothing ("auto_reply";
   inbound_bounce.py);
4. our own mail coming back ("loop"), a program's automatic reply ("auto_reply"), a
   From address a receiving server found forged (dmarc=fail: "spoofed");
5. more than DeskSettings.mail_per_sender_per_hour from this address in an hour
   ("rate_limited": a mail bomb, or two robots answering each other);
6. a sender who is not a person of the operator or its members ("unknown_sender");
7. a ticket named (signed headers or address, or "[#n]"): the sender must see it and may
   reply there, as on the ticket's page ("not_allowed" otherwise: a forged In-Reply-To
   never attaches); a closed ticket is set aside ("ticket_closed") rather than reopened
   or followed by a new ticket, so that a "thank you" does not open a request;
8. no ticket named: a new ticket on the sender's only site, of the operator's type for
   email requests ("choose_site", "no_email_type" when that cannot be decided).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from mutualis.people.models import User
from mutualis.registry.models import Operator

from .. import services
from ..catalogue import is_offered
from ..lifecycle import IllegalTransition
from ..models import DeskSettings, InboundEmail, InboundReason, InboundStatus, TicketChannel
from . import inbound_routing as routing
from .inbound_bounce import DeliveryReport, apply_report, read_report
from .inbound_parse import MalformedMailError, ParsedMail, clean_subject, parse, read_headers, spoofed
from .inbound_parse import automatic as automatic_reason
from .inbound_parse import loop as loop_reason

logger = logging.getLogger("mutualis.mail")

RATE_WINDOW = timedelta(hours=1)


def only_operator() -> Operator:
    """The installation's operator, for sources that do not name one (pipe, IMAP)."""
    operators = list(Operator.objects.order_by("pk")[:2])
    if len(operators) != 1:
        raise ImproperlyConfigured(
            "Email in needs to know the operator: name it (--operator <slug>) when there is not exactly one."
        )
    return operators[0]


def receive(raw: bytes, *, source: str, operator: Operator | None = None) -> InboundEmail:
    """Store a received message, then process it (see the module's docstring). Returns
    its row, as processing left it. A message already received (same Message-ID) is
    stored again as a duplicate and not processed twice."""
    operator = operator or only_operator()
    with translation.override(settings.LANGUAGE_CODE):
        inbound = _store(raw, source=source, operator=operator)
        if inbound.status == InboundStatus.RECEIVED:
            _process(inbound, raw)
        elif inbound.duplicate_of is not None and inbound.duplicate_of.status == InboundStatus.RECEIVED:
            # The first delivery was stored but its processing never ended (a crash): the
            # redelivery has it processed now (once: _process re-checks under a lock).
            _process(inbound.duplicate_of, None)
    inbound.refresh_from_db()
    return inbound


def _original(operator: Operator, message_id: str, digest: str) -> InboundEmail | None:
    received = InboundEmail.objects.filter(operator=operator).exclude(status=InboundStatus.DUPLICATE)
    if message_id:
        return received.filter(message_id=message_id).order_by("pk").first()
    # Without a Message-ID (RFC 5322 says SHOULD, not MUST), the same bytes are the same message.
    return received.filter(message_id="", sha256=digest).order_by("pk").first()


def _store(raw: bytes, *, source: str, operator: Operator) -> InboundEmail:
    headers = read_headers(raw)
    digest = hashlib.sha256(raw).hexdigest()
    inbound = InboundEmail(
        operator=operator,
        source=source,
        sha256=digest,
        size=len(raw),
        message_id=headers.message_id,
        from_address=headers.from_address,
        from_name=headers.from_name,
        to=", ".join(headers.to)[:2000],
        subject=headers.subject,
    )
    # The file first: a file without its row is harmless, a row without its file is not.
    inbound.raw.save(f"{digest}.eml", ContentFile(raw), save=False)
    original = _original(operator, headers.message_id, digest)
    if original is None:
        try:
            with transaction.atomic():
                inbound.save()
        except IntegrityError:
            # Another delivery of the same message was stored in the meantime.
            inbound.pk = None
            original = _original(operator, headers.message_id, digest)
        else:
            logger.info(
                "mail %s received (%s, %d bytes) from %s: %s",
                inbound.pk,
                source,
                inbound.size,
                inbound.from_address or "?",
                inbound.message_id or "no Message-ID",
            )
            return inbound
    inbound.status = InboundStatus.DUPLICATE
    inbound.duplicate_of = original
    inbound.save()
    logger.info(
        "mail %s is a duplicate of mail %s (%s)",
        inbound.pk,
        getattr(original, "pk", None),
        inbound.message_id,
    )
    return inbound


def _process(inbound: InboundEmail, raw: bytes | None) -> None:
    try:
        with transaction.atomic():
            current = InboundEmail.objects.select_for_update().get(pk=inbound.pk)
            if current.status != InboundStatus.RECEIVED:
                return  # processed by another delivery meanwhile
            if raw is None:
                with current.raw.open("rb") as stored:
                    raw = stored.read()
            _decide(current, raw)
    except Exception as exc:
        logger.exception("mail %s: error while processing; set aside", inbound.pk)
        detail = _("Processing failed (%(error)s); the message is kept: handle it by hand.") % {
            "error": f"{type(exc).__name__}: {exc}"[:300]
        }
        InboundEmail.objects.filter(pk=inbound.pk, status=InboundStatus.RECEIVED).update(
            status=InboundStatus.SET_ASIDE, reason=InboundReason.ERROR, detail=detail
        )


def set_aside(inbound: InboundEmail, reason: str, detail: str) -> None:
    inbound.status = InboundStatus.SET_ASIDE
    inbound.reason = reason
    inbound.detail = detail
    inbound.save()
    logger.warning(
        "mail %s from %s set aside: %s (%s)", inbound.pk, inbound.from_address or "?", reason, detail
    )


def _decide(inbound: InboundEmail, raw: bytes) -> None:
    limit = settings.MAIL_IN_MAX_BYTES
    if inbound.size > limit:
        set_aside(
            inbound,
            InboundReason.OVERSIZED,
            _("%(size).1f MB, over the limit of %(limit)d MB: not read. Download the message to see it.")
            % {"size": inbound.size / 1_000_000, "limit": limit // 1_000_000},
        )
        return
    try:
        mail = parse(raw)
    except MalformedMailError as exc:
        set_aside(inbound, InboundReason.MALFORMED, str(exc))
        return
    inbound.text = mail.text
    if mail.cut:
        inbound.notes = _("The text was cut at %(count)d characters.") % {"count": len(mail.text)}
    report = read_report(mail)
    if report is not None:
        _bounce(inbound, mail, report)
        return
    why = loop_reason(mail.message, mail.headers)
    if why:
        set_aside(inbound, InboundReason.LOOP, why)
        return
    why = automatic_reason(mail.message, mail.headers.subject)
    if why:
        set_aside(inbound, InboundReason.AUTO_REPLY, why)
        return
    why = spoofed(mail.message)
    if why:
        set_aside(inbound, InboundReason.SPOOFED, why)
        return
    desk = DeskSettings.for_operator(inbound.operator_id)
    recent = (
        InboundEmail.objects.from_address_since(
            inbound.operator_id, inbound.from_address, timezone.now() - RATE_WINDOW
        )
        .exclude(pk=inbound.pk)
        .exclude(status=InboundStatus.DUPLICATE)
        .count()
    )
    if recent >= desk.mail_per_sender_per_hour:
        set_aside(
            inbound,
            InboundReason.RATE_LIMITED,
            _("%(count)d messages from this address in the last hour; %(limit)d are processed.")
            % {"count": recent + 1, "limit": desk.mail_per_sender_per_hour},
        )
        return
    sender = routing.find_sender(inbound.operator_id, inbound.from_address)
    if sender is None:
        set_aside(
            inbound,
            InboundReason.UNKNOWN_SENDER,
            _("No active person of the operator or its members has the address %(address)s.")
            % {"address": inbound.from_address},
        )
        return
    inbound.sender = sender
    named = routing.named_ticket(inbound.operator_id, mail)
    if named is not None:
        _reply(inbound, mail, named, desk, sender)
    else:
        _open(inbound, mail, desk, sender)


def _bounce(inbound: InboundEmail, mail: ParsedMail, report: DeliveryReport) -> None:
    """A delivery report never becomes a reply or a ticket: it is recorded on the email
    of ours it names, then set aside. One whose From a receiving server found forged
    changes nothing."""
    why = spoofed(mail.message)
    if why:
        set_aside(inbound, InboundReason.SPOOFED, why)
        return
    outcome = apply_report(operator_id=inbound.operator_id, report=report)
    inbound.bounce_of = outcome.email
    set_aside(inbound, outcome.reason, outcome.detail)


def body_with_notes(text: str, refused: list[str], *, has_files: bool) -> str:
    """What a reply or a description says: the text, then which files were not kept."""
    parts = [text.strip()] if text.strip() else []
    if not parts and has_files:
        parts.append(_("(Files sent by email.)"))
    if refused:
        parts.append(_("Files not attached:") + "\n" + "\n".join(f"- {line}" for line in refused))
    return "\n\n".join(parts)


def _reply(
    inbound: InboundEmail, mail: ParsedMail, named: routing.NamedTicket, desk: DeskSettings, sender: User
) -> None:
    if named.operator_id != inbound.operator_id:
        set_aside(
            inbound,
            InboundReason.NOT_ALLOWED,
            _("The message names a ticket of another operator (%(how)s): not attached.") % {"how": named.how},
        )
        return
    ticket = routing.ticket_of(inbound.operator_id, named.number)
    scope = routing.reply_scope(sender, inbound.operator_id, ticket) if ticket is not None else None
    if ticket is None or scope is None:
        # The same words whether the ticket exists or not: this is read by staff, but the
        # sender must not learn from any later answer which numbers exist.
        set_aside(
            inbound,
            InboundReason.NOT_ALLOWED,
            _(
                "The message names ticket n° %(number)s (%(how)s), which %(address)s may not see or reply to: not attached."
            )
            % {"number": named.number, "how": named.how, "address": inbound.from_address},
        )
        return
    inbound.ticket = ticket
    checked, refused = routing.check_files(mail.files, desk)
    body = body_with_notes(mail.text, refused, has_files=bool(checked))
    if not body:
        set_aside(inbound, InboundReason.EMPTY, _("Nothing is written above the quoted message."))
        return
    try:
        comment = services.reply(
            ticket=ticket,
            body=body,
            by=sender,
            as_staff=scope.is_operator_staff,
            files=checked,
            channel=TicketChannel.EMAIL,
        )
    except IllegalTransition as exc:
        set_aside(inbound, InboundReason.TICKET_CLOSED, " ".join(exc.messages))
        return
    inbound.comment = comment
    inbound.status = InboundStatus.REPLIED
    inbound.notes = "\n".join(filter(None, [inbound.notes, *refused]))
    inbound.save()
    logger.info("mail %s added as a reply to n° %s by %s", inbound.pk, ticket.number, sender.email)


def _open(inbound: InboundEmail, mail: ParsedMail, desk: DeskSettings, sender: User) -> None:
    choice = routing.site_for_request(sender, inbound.operator_id)
    if choice.site is None:
        set_aside(inbound, choice.reason, choice.detail)
        return
    incident_type = desk.email_incident_type
    if incident_type is None:
        set_aside(
            inbound,
            InboundReason.NO_EMAIL_TYPE,
            _("No incident type is set for requests by email (service desk settings)."),
        )
        return
    if not is_offered(choice.site, incident_type) or incident_type.asset_required:
        set_aside(
            inbound,
            InboundReason.NO_EMAIL_TYPE,
            _("“%(type)s”, the type for requests by email, cannot be declared for %(site)s.")
            % {"type": incident_type.name, "site": choice.site},
        )
        return
    checked, refused = routing.check_files(mail.files, desk)
    description = body_with_notes(mail.text, refused, has_files=bool(checked))
    title = clean_subject(mail.headers.subject)
    if not title and not description:
        set_aside(inbound, InboundReason.EMPTY, _("The message has neither a subject nor a text."))
        return
    ticket = services.open_ticket(
        site=choice.site,
        incident_type=incident_type,
        title=title or _("Request by email"),
        description=description,
        files=checked,
        by=sender,
        channel=TicketChannel.EMAIL,
    )
    inbound.ticket = ticket
    inbound.status = InboundStatus.OPENED
    inbound.notes = "\n".join(filter(None, [inbound.notes, *refused]))
    inbound.save()
    logger.info("mail %s opened n° %s for %s", inbound.pk, ticket.number, sender.email)
