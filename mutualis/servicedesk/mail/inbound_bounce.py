"""Delivery reports (bounces) about the service desk's own emails.

A mail server that cannot deliver one of our notifications sends a report back to the
desk's address. Two shapes are read:
- a delivery status notification (DSN, RFC 3464) in a `multipart/report;
  report-type=delivery-status` (RFC 6522): a `message/delivery-status` part with one block
  of fields per recipient (Final-Recipient, Action, Status, Diagnostic-Code: §2.3), then
  the message returned (`message/rfc822`) or its headers only (`text/rfc822-headers`);
- the non-standard report of an older server: from MAILER-DAEMON or postmaster, with the
  message returned attached. Its only machine-readable sign is an RFC 3463 status code
  ("550 5.1.1") in its text.

A report is matched to our email by the returned message's Message-ID, else by its own
In-Reply-To/References, exactly and within the operator the report was received for:
our Message-IDs are unique and unguessable (identity.message_id), so a report can only
change the email it names, and never by its subject. A report matching no email of ours
(a forged one, or backscatter for spam sent in our name) changes nothing.

Reading is bounded (parts, blocks, field and text lengths) and linear in the message's
size, like the rest of inbound parsing (inbound_parse.py): a report is read before we know
who sent it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.message import Message
from email.parser import BytesParser

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import DeliveryAction, InboundReason, OutboundEmail, OutboundState
from . import identity
from .inbound_parse import HEADER_BYTES, ParsedMail, body_text, decode_text, header_text

logger = logging.getLogger("mutualis.mail")

# Parts looked at (a report has three, a non-standard one a few): a message of thousands
# of parts is not walked to its end.
MAX_PARTS = 50
# Recipient blocks read from one report: ours are sent to one person each.
MAX_RECIPIENTS = 100
# A field value kept (a Diagnostic-Code can be folded over many lines).
MAX_FIELD = 1000
# The text of a non-standard report searched for a status code.
MAX_SCAN = 64 * 1024
# Message-IDs a report may name (the returned one, then In-Reply-To/References).
MAX_IDS = 10

_PARSER = BytesParser(policy=policy.default)
BOUNCE_SENDERS = frozenset({"mailer-daemon", "postmaster"})
RETURNED_TYPES = ("message/rfc822", "text/rfc822-headers")
# RFC 3463 §2: class.subject.detail; only 2, 4 and 5 are classes.
_STATUS = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})\b")
# A status code in prose ("550 5.1.1 User unknown", "(#5.1.1)"), not part of an IP
# address or a version number: no digit or dot around it. Bounded repeats: linear.
_STATUS_IN_TEXT = re.compile(r"(?<![\w.])([45]\.\d{1,3}\.\d{1,3})(?![\w.]?\d)")
_MESSAGE_ID = re.compile(r"<[^<>\s]{1,248}>")
_FIELD = re.compile(r"^([A-Za-z][A-Za-z0-9-]{0,40})[ \t]*:(.*)$")
ACTIONS = frozenset(DeliveryAction.values)


@dataclass(frozen=True)
class RecipientReport:
    """One per-recipient block (RFC 3464 §2.3), values as written, bounded."""

    recipient: str
    original_recipient: str
    action: str  # lowercased; one of DeliveryAction, or "" when missing or unknown
    status: str  # "5.1.1", or "" when missing or malformed
    diagnostic: str

    @property
    def fails_for_good(self) -> bool:
        """RFC 3464 §2.3.3: "failed" means the reporting server gave up. With a permanent
        status (5.x.x) the address will not work; with a transient one (4.x.x) the server
        tried until its queue lifetime ran out (Postfix: 4.4.1 after five days)."""
        return self.action == DeliveryAction.FAILED and self.status[:1] in {"4", "5"}

    def concerns(self, address: str) -> bool:
        address = address.lower()
        return address in {self.recipient.lower(), self.original_recipient.lower()}


@dataclass(frozen=True)
class DeliveryReport:
    standard: bool  # an RFC 3464 report; else a non-standard one from MAILER-DAEMON
    returned_message_id: str  # of the message returned, "" when it has none
    referenced_ids: tuple[str, ...]  # the report's own In-Reply-To/References
    recipients: tuple[RecipientReport, ...]

    def candidate_ids(self) -> list[str]:
        ids = [self.returned_message_id] if self.returned_message_id else []
        ids += [i for i in self.referenced_ids if i not in ids]
        return ids[:MAX_IDS]

    def verdict(self, address: str) -> RecipientReport | None:
        """The block that decides for our email to `address`: those naming it, else all
        (an address forwarded elsewhere is reported under its final address); a failure
        first, then a delay, then any other known action."""
        blocks = [r for r in self.recipients if r.concerns(address)] or list(self.recipients)
        for test in (
            lambda r: r.fails_for_good,
            lambda r: r.action == DeliveryAction.DELAYED,
            lambda r: r.action in ACTIONS,
        ):
            found = next((r for r in blocks if test(r)), None)
            if found is not None:
                return found
        return None


# Reading -------------------------------------------------------------------------------------
def _children(part: Message) -> list[Message]:
    payload = part.get_payload()
    return [p for p in payload if isinstance(p, Message)] if isinstance(payload, list) else []


def _parts(message: Message) -> Iterator[Message]:
    """The message's parts, depth first, at most MAX_PARTS, without entering a message
    returned or a delivery-status part (their content is read on its own)."""
    stack = [message]
    seen = 0
    while stack and seen < MAX_PARTS:
        part = stack.pop()
        seen += 1
        yield part
        if part.get_content_maintype() == "multipart":
            stack.extend(reversed(_children(part)))


def _clean(value: object) -> str:
    return header_text(str(value))[:MAX_FIELD]


def _raw_items(block: Message) -> list[tuple[str, str]]:
    try:
        return [(str(name), str(value)) for name, value in block.raw_items()]
    except Exception:  # an undecodable block says nothing
        return []


def _fields_from_text(text: str) -> list[list[tuple[str, str]]]:
    """Blocks of "Name: value" fields separated by blank lines (RFC 3464 §2.1), folded
    lines joined: for a delivery-status part the library left as text."""
    blocks: list[list[tuple[str, str]]] = [[]]
    for line in text[: MAX_RECIPIENTS * MAX_FIELD].splitlines():
        if not line.strip():
            if blocks[-1]:
                blocks.append([])
            continue
        if line[:1] in " \t" and blocks[-1]:
            name, value = blocks[-1][-1]
            blocks[-1][-1] = (name, (value + " " + line.strip())[:MAX_FIELD])
            continue
        match = _FIELD.match(line)
        if match:
            blocks[-1].append((match.group(1), match.group(2).strip()[:MAX_FIELD]))
    return [b for b in blocks if b]


def _status_blocks(part: Message) -> list[list[tuple[str, str]]]:
    children = _children(part)
    if children:
        return [_raw_items(block) for block in children[: MAX_RECIPIENTS + 1]]
    data = part.get_payload(decode=True)
    text = decode_text(data if isinstance(data, bytes) else b"", "us-ascii")
    return _fields_from_text(text)[: MAX_RECIPIENTS + 1]


def _address(value: str) -> str:
    """The address of `rfc822; someone@example` (RFC 3464 §2.3.2); other address types
    are kept as written."""
    kind, _sep, address = value.partition(";")
    return (address if _sep else kind).strip().strip("<>").strip()


def _recipient(block: list[tuple[str, str]]) -> RecipientReport | None:
    fields: dict[str, str] = {}
    for name, value in block:
        fields.setdefault(name.lower(), _clean(value))
    if "final-recipient" not in fields and "action" not in fields:
        return None  # the per-message block (Reporting-MTA, Arrival-Date…)
    action = fields.get("action", "").split(" ", 1)[0].lower()
    status = _STATUS.match(fields.get("status", ""))
    return RecipientReport(
        recipient=_address(fields.get("final-recipient", ""))[:254],
        original_recipient=_address(fields.get("original-recipient", ""))[:254],
        action=action if action in ACTIONS else "",
        status=status.group(0) if status else "",
        diagnostic=fields.get("diagnostic-code", ""),
    )


def _returned_message_id(part: Message) -> str:
    """The Message-ID of a returned message (message/rfc822) or of its headers
    (text/rfc822-headers, RFC 6522 §4)."""
    if part.get_content_type() == "message/rfc822":
        inner = _children(part)
        items = _raw_items(inner[0]) if inner else []
    else:
        data = part.get_payload(decode=True)
        head = data[:HEADER_BYTES] if isinstance(data, bytes) else b""
        try:
            items = _raw_items(_PARSER.parsebytes(head, headersonly=True))
        except Exception:  # unreadable headers name nothing
            items = []
    for name, value in items:
        if name.lower() == "message-id":
            match = _MESSAGE_ID.search(value)
            return match.group(0) if match else ""
    return ""


def _text_status(part: Message) -> RecipientReport | None:
    """A non-standard report's verdict: the first status code in its text."""
    data = part.get_payload(decode=True)
    head = data[:MAX_SCAN] if isinstance(data, bytes) else b""
    text = body_text(decode_text(head, part.get_content_charset()))
    match = _STATUS_IN_TEXT.search(text)
    if match is None:
        return None
    start = text.rfind("\n", 0, match.start()) + 1
    end = text.find("\n", match.end())
    line = header_text(text[start : end if end >= 0 else len(text)])[:MAX_FIELD]
    status = match.group(1)
    action = DeliveryAction.FAILED if status.startswith("5") else DeliveryAction.DELAYED
    return RecipientReport("", "", action, status, line)


def read_report(mail: ParsedMail) -> DeliveryReport | None:
    """The delivery report `mail` is, or None when it is not one."""
    message = mail.message
    standard = message.get_content_type() == "multipart/report"
    if standard and str(message.get_param("report-type") or "").lower() not in {"delivery-status", ""}:
        return None  # a read receipt (disposition-notification) or another report
    local = mail.headers.from_address.partition("@")[0]
    if not standard and local not in BOUNCE_SENDERS:
        return None
    blocks: list[list[tuple[str, str]]] = []
    returned: Message | None = None
    first_text: Message | None = None
    for part in _parts(message):
        content_type = part.get_content_type()
        if content_type == "message/delivery-status" and not blocks:
            blocks = _status_blocks(part)
        elif content_type in RETURNED_TYPES and returned is None:
            returned = part
        elif content_type == "text/plain" and first_text is None:
            first_text = part
    if standard and not blocks:
        return None  # no delivery-status part: not a DSN (RFC 6522 §3)
    if not standard and returned is None:
        return None  # a message from a postmaster, not a report of ours returned
    referenced = _MESSAGE_ID.findall(f"{mail.in_reply_to} {mail.references}")[:MAX_IDS]
    if standard:
        recipients = [r for r in map(_recipient, blocks[: MAX_RECIPIENTS + 1]) if r is not None]
    else:
        found = _text_status(first_text) if first_text is not None else None
        recipients = [found] if found is not None else []
    return DeliveryReport(
        standard=standard,
        returned_message_id=_returned_message_id(returned) if returned is not None else "",
        referenced_ids=tuple(referenced),
        recipients=tuple(recipients[:MAX_RECIPIENTS]),
    )


# Acting --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BounceOutcome:
    """What the received report becomes: set aside with this reason and sentence; `email`
    is ours it was about (None: it named none)."""

    reason: str
    detail: str
    email: OutboundEmail | None


def _about(email: OutboundEmail) -> str:
    return _(
        "Delivery report of the email “%(subject)s” to %(to)s (ticket n° %(number)s, %(message_id)s)"
    ) % {
        "subject": email.subject[:120],
        "to": email.to,
        "number": email.ticket.number,
        "message_id": email.message_id,
    }


def _status_text(report: RecipientReport) -> str:
    status = report.status or "?"
    if report.diagnostic:
        return f"{status}, {report.diagnostic[:300]}"
    return status


@transaction.atomic
def apply_report(*, operator_id: int, report: DeliveryReport) -> BounceOutcome:
    """Record the report on the operator's email it names: a failure (RFC 3464 Action
    "failed") fails the email for good, a delay or a delivery is recorded only. A failure
    already recorded is kept over any later report (they can arrive in any order)."""
    ids = report.candidate_ids()
    email = (
        OutboundEmail.objects.named_by(operator_id, ids)
        .select_for_update(of=("self",))
        .select_related("ticket")
        .order_by("pk")
        .first()
    )
    if email is None:
        named = ", ".join(ids) or _("no Message-ID")
        if any(identity.is_ours(i) for i in ids):
            why = _(
                "A delivery report naming %(ids)s, which no email of this operator has (forged, or about another installation's email): no email was changed."
            )
        else:
            why = _(
                "A delivery report about a message the service desk did not send (%(ids)s): no email was changed."
            )
        return BounceOutcome(InboundReason.AUTO_REPLY, why % {"ids": named}, None)
    verdict = report.verdict(email.to)
    about = _about(email)
    if verdict is None or not verdict.action:
        detail = _(
            "%(about)s: no delivery status can be read from it; read the report. The email is not marked as failed."
        )
        return BounceOutcome(InboundReason.BOUNCE, detail % {"about": about}, email)
    kept_failure = email.delivery_action == DeliveryAction.FAILED and not verdict.fails_for_good
    if not kept_failure:
        email.delivery_action = verdict.action
        email.delivery_status = verdict.status
        email.delivery_diagnostic = verdict.diagnostic
        email.delivery_reported_at = timezone.now()
        fields = ["delivery_action", "delivery_status", "delivery_diagnostic", "delivery_reported_at"]
        if verdict.fails_for_good:
            email.state = OutboundState.FAILED
            fields.append("state")
        email.save(update_fields=fields)
        logger.info(
            "email %s to %s: delivery report %s %s", email.pk, email.to, verdict.action, verdict.status or "?"
        )
    if verdict.fails_for_good:
        detail = _(
            "%(about)s: not delivered (%(status)s). The email is marked as failed: tell the person another way."
        )
    elif kept_failure:
        detail = _("%(about)s: %(action)s (%(status)s), after a report of failure, which is kept.")
    elif verdict.action == DeliveryAction.DELAYED:
        detail = _(
            "%(about)s: delayed (%(status)s); the recipient's server keeps trying. The email is not marked as failed."
        )
    else:
        detail = _("%(about)s: %(action)s (%(status)s). Nothing to do.")
    values = {"about": about, "status": _status_text(verdict), "action": DeliveryAction(verdict.action).label}
    return BounceOutcome(InboundReason.BOUNCE, detail % values, email)
