"""Delivery reports (bounces) about the service desk's own emails.

A mail server that cannot deliver one of our notifications sends a report back to the
desk's address. Three shapes are read:
- a delivery status notification (DSN, RFC 3464) in a `multipart/report;
  report-type=delivery-status` (RFC 6522): a `message/delivery-status` part with one block
  of fields per recipient (Final-Recipient, Action, Status, Diagnostic-Code: §2.3), then
  the message returned (`message/rfc822`) or its headers only (`text/rfc822-headers`);
  or its internationalized form (RFC 6533): `message/global-delivery-status`, then
  `message/global` or `message/global-headers`, in UTF-8 and possibly base64 or
  quoted-printable encoded;
- the non-standard report of an older server: from MAILER-DAEMON or postmaster, with the
  message returned attached. Its only machine-readable sign is an RFC 3463 status code
  ("550 5.1.1") in its text;
- the non-standard report that copies our message into its own text (qmail, older Exim,
  Exchange's text NDR), from a program (null Return-Path, MAILER-DAEMON, an automatic
  postmaster): it names our email only by the Message-ID written in that copy.

A report is matched to our email by the returned message's Message-ID, else by its own
In-Reply-To/References, else by a Message-ID of ours copied in its text, exactly and
within the operator the report was received for: our Message-IDs are unique and
unguessable (identity.message_id), so a report can only change the email it names, and
never by its subject. A report matching no email of ours (a forged one, or backscatter
for spam sent in our name) changes nothing.

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
from email.errors import MissingHeaderBodySeparatorDefect
from email.message import Message
from email.parser import BytesParser

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import DeliveryAction, InboundReason, OutboundEmail, OutboundState
from . import identity
from .html_text import html_to_text
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
# RFC 6522 §3: the report-type names the second part; RFC 6533's UTF-8 DSN keeps
# "delivery-status" (Postfix) but the part's own name is accepted too.
REPORT_TYPES = frozenset({"delivery-status", "global-delivery-status", ""})
# RFC 3464 §2.1 and its UTF-8 form, RFC 6533 §4.
STATUS_TYPES = ("message/delivery-status", "message/global-delivery-status")
# RFC 6522 §4 (the message or its headers) and their UTF-8 forms (RFC 6532 §3.7, RFC 6533 §4).
RETURNED_TYPES = ("message/rfc822", "text/rfc822-headers", "message/global", "message/global-headers")
# RFC 6532 §3.5 and RFC 6533 §6 allow the global types a transfer encoding, for 7-bit
# paths; some MTAs apply one to message/delivery-status too, which RFC 3464 §2.1 forbids.
ENCODINGS = frozenset({"base64", "quoted-printable"})
# RFC 3463 §2: class.subject.detail; only 2, 4 and 5 are classes.
_STATUS = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})\b")
# A status code in prose ("550 5.1.1 User unknown", "(#5.1.1)"), not part of an IP
# address or a version number: no digit or dot around it. Bounded repeats: linear.
_STATUS_IN_TEXT = re.compile(r"(?<![\w.])([45]\.\d{1,3}\.\d{1,3})(?![\w.]?\d)")
_MESSAGE_ID = re.compile(r"<[^<>\s]{1,248}>")
_FIELD = re.compile(r"^([A-Za-z][A-Za-z0-9-]{0,40})[ \t]*:(.*)$")
# RFC 6533 §3: a non-ASCII character in a utf-8 address written as \x{HEX} (xtext form).
_UNICODE_ESCAPE = re.compile(r"\\x\{([0-9A-Fa-f]{1,6})\}")
# Where the copy of our message starts in a report that quotes it in its text: the line
# announcing it (qmail "--- Below this line is a copy of the message.", Exim "------ This is
# a copy of the message, including all the headers. ------", Exchange "Original message
# headers:") or the first line of its header block. The status is read above it only:
# the copy's headers hold look-alikes ("Exim 4.94.2" in a Received line, a subject).
_COPY_START = re.compile(
    r"^(?:.*\b(?:copy of the message|copy of your message|original message headers|"
    r"original message follows|headers of the message follow)\b"
    r"|(?:return-path|received|dkim-signature|content-type|mime-version|message-id|"
    r"subject|from|to|date)[ \t]*:)",
    re.IGNORECASE | re.MULTILINE,
)
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
    quoted_ids: tuple[str, ...] = ()  # Message-IDs of ours copied in its text

    def candidate_ids(self) -> list[str]:
        """The Message-IDs that may name our email, the most telling first."""
        ids = [self.returned_message_id] if self.returned_message_id else []
        ids += [i for i in (*self.referenced_ids, *self.quoted_ids) if i not in ids]
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


def _transfer_encoding(part: Message) -> str:
    try:
        return header_text(str(part.get("Content-Transfer-Encoding") or "")).lower()
    except Exception:  # an unreadable header: as if absent (7bit)
        return ""


def _child_body(child: Message) -> str:
    """A nested part's body as written, 8-bit bytes kept as the parser's surrogates
    (get_payload() without decoding would replace them)."""
    if _transfer_encoding(child) in {"", "7bit", "8bit", "binary"}:
        data = child.get_payload(decode=True)
        return data.decode("ascii", "surrogateescape") if isinstance(data, bytes) else ""
    body = child.get_payload()  # ASCII: encoded by the part around it
    return body if isinstance(body, str) else ""


def _source(part: Message, limit: int) -> str:
    """The lines of a message/* part as they were sent, about `limit` characters at most.

    The library reads every message/* part as a nested message (RFC 2046 §5.2.4 gives
    them no transfer encoding), and message/delivery-status as blocks of fields: an
    encoded part comes back cut into "headers" and "body" wherever a line looks like one
    (base64 is all body; a quoted-printable soft break can end the headers). Its lines
    are put back together in order, the blank lines where they were."""
    blocks = part.get_content_type() == "message/delivery-status"
    pieces: list[str] = []
    size = 0
    for child in _children(part):
        head = "".join(f"{name}: {value}\n" for name, value in _raw_items(child))
        # A blank line ended the headers unless a line that is no header did; between
        # the blocks of message/delivery-status, the blank line is the separator below.
        cut = any(isinstance(d, MissingHeaderBodySeparatorDefect) for d in child.defects)
        blank = "" if blocks or cut else "\n"
        pieces.append(head + blank + _child_body(child))
        size += len(pieces[-1]) + 1
        if size >= limit:
            break
    return ("\n" if blocks else "").join(pieces)[:limit]


def _content(part: Message, limit: int) -> bytes:
    """A report's part as bytes, its transfer encoding undone, the first `limit` bytes."""
    if not _children(part):  # a leaf (text/rfc822-headers): the library decodes it
        data = part.get_payload(decode=True)
        return data[:limit] if isinstance(data, bytes) else b""
    # Quoted-printable takes at most three characters per byte, base64 fewer.
    text = _source(part, 3 * limit + 2)
    if len(text) > 3 * limit:
        text = text[: text.rfind("\n") + 1]  # whole lines: a base64 line is decoded whole
    # Decoded as the library decodes any part (it tolerates bad base64 padding); the
    # bytes of an 8bit part come back as received (the parser kept them as surrogates).
    leaf = Message()
    leaf["Content-Transfer-Encoding"] = _transfer_encoding(part) or "8bit"
    leaf.set_payload(text)
    data = leaf.get_payload(decode=True)
    return data[:limit] if isinstance(data, bytes) else b""


def _status_blocks(part: Message) -> list[list[tuple[str, str]]]:
    children = _children(part)
    plain = part.get_content_type() == "message/delivery-status"
    if plain and children and _transfer_encoding(part) not in ENCODINGS:
        # The common case, RFC 3464 §2.1: the library read the blocks of fields.
        return [_raw_items(block) for block in children[: MAX_RECIPIENTS + 1]]
    # RFC 6533 §4: the fields of message/global-delivery-status are UTF-8; an encoded
    # part (RFC 6533 §6; or an MTA's wrongly encoded message/delivery-status) decoded.
    data = _content(part, MAX_RECIPIENTS * MAX_FIELD)
    text = decode_text(data, "us-ascii" if plain else "utf-8")
    return _fields_from_text(text)[: MAX_RECIPIENTS + 1]


def _address(value: str) -> str:
    """The address of `rfc822; someone@example` (RFC 3464 §2.3.2) or `utf-8; …` (RFC
    6533 §3, its \\x{HEX} escapes decoded); other address types are kept as written."""
    kind, _sep, address = value.partition(";")
    address = (address if _sep else kind).strip().strip("<>").strip()
    if kind.strip().lower() == "utf-8":
        address = _UNICODE_ESCAPE.sub(_unescaped, address)
    return address


def _unescaped(match: re.Match[str]) -> str:
    point = int(match.group(1), 16)
    return chr(point) if point <= 0x10FFFF and not 0xD800 <= point <= 0xDFFF else match.group(0)


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
    """The Message-ID of a returned message (message/rfc822, message/global) or of its
    headers (text/rfc822-headers, message/global-headers; RFC 6522 §4, RFC 6533 §4)."""
    inner = _children(part)
    if inner and _transfer_encoding(part) not in ENCODINGS:
        items = _raw_items(inner[0])
    else:
        try:
            items = _raw_items(_PARSER.parsebytes(_content(part, HEADER_BYTES), headersonly=True))
        except Exception:  # unreadable headers name nothing
            items = []
    for name, value in items:
        if name.lower() == "message-id":
            match = _MESSAGE_ID.search(value)
            return match.group(0) if match else ""
    return ""


def _scanned_text(part: Message | None) -> str:
    """The first MAX_SCAN bytes of a text part, as text; an HTML part's as its text (a
    report written in HTML alone: some gateways and webmail servers send no text/plain)."""
    if part is None:
        return ""
    data = part.get_payload(decode=True)
    head = data[:MAX_SCAN] if isinstance(data, bytes) else b""
    text = decode_text(head, part.get_content_charset())
    if part.get_content_type() == "text/html":
        text = html_to_text(text)
    return body_text(text)


def _text_status(text: str) -> RecipientReport | None:
    """A non-standard report's verdict: the first status code in its text."""
    match = _STATUS_IN_TEXT.search(text)
    if match is None:
        return None
    start = text.rfind("\n", 0, match.start()) + 1
    end = text.find("\n", match.end())
    line = header_text(text[start : end if end >= 0 else len(text)])[:MAX_FIELD]
    status = match.group(1)
    action = DeliveryAction.FAILED if status.startswith("5") else DeliveryAction.DELAYED
    return RecipientReport("", "", action, status, line)


def _sent_by_a_program(mail: ParsedMail, local: str) -> bool:
    """Whether a message without a returned part may be a report: sent with the null
    reverse-path of notifications (RFC 5321 §4.5.5, "Return-Path: <>" on delivery), or
    by MAILER-DAEMON, nobody's mailbox. Postmaster is a person's mailbox (RFC 5321
    §4.5.1): theirs counts only when marked automatic (Auto-Submitted, RFC 3834 §5)."""
    message = mail.message
    try:
        return_path = header_text(str(message.get("Return-Path") or ""))
        auto_submitted = header_text(str(message.get("Auto-Submitted") or "")).lower()
    except Exception:  # unreadable headers: not a sign of anything
        return False
    if return_path.replace(" ", "") == "<>" or local == "mailer-daemon":
        return True
    return local == "postmaster" and bool(auto_submitted) and not auto_submitted.startswith("no")


def read_report(mail: ParsedMail) -> DeliveryReport | None:
    """The delivery report `mail` is, or None when it is not one."""
    message = mail.message
    standard = message.get_content_type() == "multipart/report"
    if standard and str(message.get_param("report-type") or "").lower() not in REPORT_TYPES:
        return None  # a read receipt (disposition-notification) or another report
    local = mail.headers.from_address.partition("@")[0]
    status_part: Message | None = None
    returned: Message | None = None
    first_text: Message | None = None
    first_html: Message | None = None
    for part in _parts(message):
        content_type = part.get_content_type()
        if content_type in STATUS_TYPES and status_part is None:
            status_part = part
        elif content_type in RETURNED_TYPES and returned is None:
            returned = part
        elif content_type == "text/plain" and first_text is None:
            first_text = part
        elif content_type == "text/html" and first_html is None:
            first_html = part
    # The report's own words: its text, else its HTML (read as text by _scanned_text).
    first_text = first_text or first_html
    referenced = tuple(_MESSAGE_ID.findall(f"{mail.in_reply_to} {mail.references}")[:MAX_IDS])
    if standard:
        if status_part is None:
            return None  # no delivery-status part: not a DSN (RFC 6522 §3)
        blocks = [r for r in map(_recipient, _status_blocks(status_part)) if r is not None]
        returned_id = _returned_message_id(returned) if returned is not None else ""
        return DeliveryReport(True, returned_id, referenced, tuple(blocks[:MAX_RECIPIENTS]))
    if returned is not None and local in BOUNCE_SENDERS:
        found = _text_status(_scanned_text(first_text))
        verdict = (found,) if found is not None else ()
        return DeliveryReport(False, _returned_message_id(returned), referenced, verdict)
    if returned is not None or first_text is None or not _sent_by_a_program(mail, local):
        return None  # a person's message, or a report about no message
    # Our message copied into the text: named only by a Message-ID of ours found there,
    # one on a "Message-ID:" line first (the copy's own), then any other.
    text = _scanned_text(first_text)
    quoted = identity.message_ids_in(text, limit=MAX_IDS)
    if not quoted:
        return None  # an automatic message about no email of ours
    own = [i for i in quoted if _on_message_id_line(text, i)]
    quoted = own + [i for i in quoted if i not in own]
    copy = _COPY_START.search(text)
    found = _text_status(text[: copy.start() if copy is not None else len(text)])
    return DeliveryReport(
        False, "", referenced, (found,) if found is not None else (), quoted_ids=tuple(quoted)
    )


def _on_message_id_line(text: str, message_id: str) -> bool:
    at = text.find(message_id)
    line = text[text.rfind("\n", 0, at) + 1 : at]
    return line.replace(" ", "").lower().startswith("message-id:")


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
    named = (
        OutboundEmail.objects.named_by(operator_id, ids)
        .select_for_update(of=("self",))
        .select_related("ticket")
        .order_by("pk")
    )
    # The most telling Message-ID decides (the returned message's before one the
    # report's text or References merely mention).
    email = min(named, key=lambda e: ids.index(e.message_id), default=None)
    if email is None:
        names = ", ".join(ids) or _("no Message-ID")
        if any(identity.is_ours(i) for i in ids):
            why = _(
                "A delivery report naming %(ids)s, which no email of this operator has (forged, or about another installation's email): no email was changed."
            )
        else:
            why = _(
                "A delivery report about a message the service desk did not send (%(ids)s): no email was changed."
            )
        return BounceOutcome(InboundReason.AUTO_REPLY, why % {"ids": names}, None)
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
