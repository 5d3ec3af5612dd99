"""Reading a received message with the standard library (RFC 5322, MIME RFC 2045-2049).

`read_headers` takes what the stored row shows (Message-ID, From, To, Subject) from any
input without failing; `parse` reads the whole message: its written text (text/plain
preferred, else the HTML as text; quoted history removed), its files, and the signs that
it was sent by a program (an automatic reply) or by ourselves (a loop).
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr

from django.conf import settings
from django.utils.translation import gettext as _

from . import identity
from .html_text import html_to_text
from .quoting import strip_quoted

# Headers are read from this much of the start of a message at most: enough for any
# real header block, and a message too large to parse is still listed by its headers.
HEADER_BYTES = 256 * 1024
# A reply or a description longer than this is cut (the whole message stays stored).
MAX_TEXT = 100_000
# Inline images referenced from the HTML (cid:) and smaller than this are signature
# logos and tracking pixels, not files the sender means to send.
INLINE_LOGO_BYTES = 16 * 1024

_PARSER = BytesParser(policy=policy.default)
_PREFIX = re.compile(
    r"^\s*((re|tr|fwd?|aw|wg|réf|ref|rép|rep|antw|sv|vs)\.?\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE
)
_AUTO_SUBJECT = re.compile(
    r"^\s*(réponse automatique|reponse automatique|absence du bureau|message d['’]absence|"
    r"automatic reply|auto[- ]?reply|out of (the )?office|autoreply|absent(e)?\b|"
    r"delivery status notification|undeliverable|non remis|mail delivery failed)",
    re.IGNORECASE,
)
_BULK_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})
# Where a message was delivered to, besides To and Cc: MTAs add these with the envelope
# recipient, which keeps a reply address even when the sender's program dropped it.
ADDRESS_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To")


# Control characters a message may carry (a NUL in a subject, a UTF-16 body labelled as
# UTF-8) but text never holds: PostgreSQL refuses a NUL in a text column, so one such byte
# would keep the whole message from being stored. Tab, line feed and carriage return stay.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def header_text(value: str) -> str:
    """A header's value as one line of text: runs of white space as one space, control
    characters shown as U+FFFD (an address with a NUL in it is nobody's address)."""
    return " ".join(_CONTROLS.sub("\ufffd", value).split())


def body_text(value: str) -> str:
    """A body's text without control characters (other than tab and line breaks)."""
    return _CONTROLS.sub("", value)


class MalformedMailError(ValueError):
    """A message that cannot be read as an email (no sender, unreadable structure)."""


@dataclass(frozen=True)
class HeaderSummary:
    message_id: str = ""
    from_address: str = ""
    from_name: str = ""
    to: tuple[str, ...] = ()
    subject: str = ""


@dataclass(frozen=True)
class MailFile:
    name: str
    content_type: str
    data: bytes
    inline: bool = False


@dataclass
class ParsedMail:
    message: EmailMessage
    headers: HeaderSummary
    in_reply_to: str
    references: str
    text: str
    files: list[MailFile] = field(default_factory=list)
    cut: bool = False  # the text was longer than MAX_TEXT


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # a header the library cannot decode reads as missing
        return ""
    return header_text(str(value)) if value is not None else ""


def _addresses(message: Message, name: str) -> list[tuple[str, str]]:
    """(name, address) pairs of an address header, decoded (RFC 2047 names)."""
    found: list[tuple[str, str]] = []
    try:
        values = message.get_all(name) or []
    except Exception:  # unreadable: no address
        return found
    for value in values:
        structured = getattr(value, "addresses", None)
        try:
            pairs = [(a.display_name, a.addr_spec) for a in structured] if structured is not None else []
        except Exception:  # fall back on a plain reading below
            pairs = []
        if not pairs:
            pairs = getaddresses([str(value)])
        found.extend((header_text(n), header_text(a)) for n, a in pairs if "@" in a)
    return found


def _first_message_id(value: str) -> str:
    match = re.search(r"<[^<>\s]+>", value)
    return match.group(0) if match else value.strip()


def _summary(message: Message) -> HeaderSummary:
    senders = _addresses(message, "From")
    name, address = senders[0] if senders else ("", "")
    if not address:
        # A bare address without angle brackets the structured parser did not accept.
        name, address = parseaddr(_header(message, "From"))
    recipients: list[str] = []
    for header in ADDRESS_HEADERS:
        recipients.extend(a for _n, a in _addresses(message, header) if a not in recipients)
    return HeaderSummary(
        message_id=_first_message_id(_header(message, "Message-ID"))[:500],
        from_address=address.lower()[:254] if "@" in address else "",
        from_name=name[:200],
        to=tuple(recipients),
        subject=_header(message, "Subject")[:500],
    )


def _header_block(raw: bytes) -> bytes:
    head = raw[:HEADER_BYTES]
    ends = [i for i in (head.find(b"\r\n\r\n"), head.find(b"\n\n")) if i >= 0]
    return head[: min(ends)] + b"\n\n" if ends else head


def all_headers(raw: bytes) -> list[tuple[str, str]]:
    """Every header of the message's header block, decoded, in order; never fails."""
    try:
        message = _PARSER.parsebytes(_header_block(raw), headersonly=True)
        return [(header_text(name), header_text(str(value))) for name, value in message.items()]
    except Exception:  # an unreadable header block shows as none
        return []


def read_headers(raw: bytes) -> HeaderSummary:
    """What the stored row shows, from the header block alone; never fails."""
    try:
        return _summary(_PARSER.parsebytes(_header_block(raw), headersonly=True))
    except Exception:  # anything unreadable leaves the fields empty
        return HeaderSummary()


# Charsets ----------------------------------------------------------------------------------
# Mail labelled Latin-1 or ASCII is most often Windows-1252 (curly quotes, €, œ): read it
# so, as browsers do (WHATWG Encoding, "latin1" and "ascii" labels).
_CHARSET_ALIASES = {"iso-8859-1": "cp1252", "latin1": "cp1252", "us-ascii": "cp1252", "ascii": "cp1252"}


def decode_text(data: bytes, charset: str | None) -> str:
    """Bytes of a text part as text: its declared charset, else UTF-8, else Windows-1252."""
    declared = (charset or "").strip().lower()
    for candidate in (_CHARSET_ALIASES.get(declared, declared), "utf-8"):
        if not candidate:
            continue
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError, ValueError):  # ValueError: a NUL in the label
            continue
    return data.decode("cp1252", errors="replace")


def _unflow(text: str, *, delsp: bool) -> str:
    """Join the soft line breaks of format=flowed text (RFC 3676 §4.1-4.4)."""
    out: list[str] = []
    pending = ""
    for line in text.split("\n"):
        line = line.removesuffix("\r")
        if line.startswith(" "):
            line = line[1:]  # space-stuffing (§4.4)
        if line.endswith(" ") and line != "-- ":
            pending += line[:-1] if delsp else line
        else:
            out.append(pending + line)
            pending = ""
    if pending:
        out.append(pending)
    return "\n".join(out)


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    text = decode_text(data, part.get_content_charset())
    if part.get_content_subtype() == "html":
        return html_to_text(text)
    if str(part.get_param("format") or "").lower() == "flowed":
        text = _unflow(text, delsp=(str(part.get_param("delsp") or "")).lower() == "yes")
    return text


# Files -------------------------------------------------------------------------------------
def _leaves(part: Message) -> list[Message]:
    """The leaf parts, without going inside an attached message (kept as one file)."""
    if part.is_multipart() and part.get_content_type() != "message/rfc822":
        payload = part.get_payload()
        children = payload if isinstance(payload, list) else []
        return [leaf for child in children if isinstance(child, Message) for leaf in _leaves(child)]
    return [part]


def _file_name(part: Message, index: int) -> str:
    try:
        name = part.get_filename()
    except Exception:  # an undecodable name is replaced
        name = None
    if name:
        return header_text(str(name))
    extension = mimetypes.guess_extension(part.get_content_type()) or ".bin"
    if part.get_content_type() == "message/rfc822":
        extension = ".eml"
    return f"piece-jointe-{index}{extension}"


def _files(message: EmailMessage, body: Message | None, html: str) -> list[MailFile]:
    files: list[MailFile] = []
    for index, part in enumerate(_leaves(message), start=1):
        if part is body:
            continue
        disposition = part.get_content_disposition()
        maintype = part.get_content_maintype()
        if maintype == "multipart" or (
            maintype == "text" and disposition != "attachment" and not part.get_filename()
        ):
            continue  # the other alternative of the body, or text that is not a file
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload()
            first = inner[0] if isinstance(inner, list) and inner else None
            data = first.as_bytes() if isinstance(first, Message) else b""
        else:
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
        content_id = _first_message_id(str(part.get("Content-ID") or "")).strip("<>")
        inline = disposition != "attachment" and bool(content_id) and f"cid:{content_id}" in html
        if inline and len(data) < INLINE_LOGO_BYTES:
            continue
        files.append(MailFile(_file_name(part, index), part.get_content_type(), data, inline=inline))
    # Files sent as attachments come first: they have the attachment quota before images
    # pasted into the text.
    return sorted(files, key=lambda f: f.inline)


def _html_source(message: EmailMessage) -> str:
    """The HTML of the message as sent (to find which images it shows inline)."""
    part = message.get_body(preferencelist=("html",))
    if part is None:
        return ""
    payload = part.get_payload(decode=True)
    return decode_text(payload if isinstance(payload, bytes) else b"", part.get_content_charset())


def _headers_too_long(raw: bytes) -> bool:
    """Whether the header block does not end within HEADER_BYTES. The standard library
    reads address headers slowly (a quarter of a millisecond per address): a To header of
    megabytes would hold processing for many minutes. Mail servers cut headers long before
    (Postfix: header_size_limit, 100 KB), so only a forged message is refused here."""
    head = raw[: HEADER_BYTES + 4]
    ends = [i for i in (head.find(b"\r\n\r\n"), head.find(b"\n\n")) if i >= 0]
    return min(ends) > HEADER_BYTES if ends else len(raw) > HEADER_BYTES


def parse(raw: bytes) -> ParsedMail:
    """Read the whole message; MalformedMailError when it is not a readable email."""
    if _headers_too_long(raw):
        raise MalformedMailError(
            _("The header block is over %(size)d KB: the message is not read.")
            % {"size": HEADER_BYTES // 1024}
        )
    try:
        message = _PARSER.parsebytes(raw)
        if not isinstance(message, EmailMessage):  # pragma: no cover - policy.default makes EmailMessage
            raise MalformedMailError("not an email message")
        headers = _summary(message)
        body = message.get_body(preferencelist=("plain", "html"))
        text = _part_text(body) if body is not None else ""
        files = _files(message, body, _html_source(message))
    except MalformedMailError:
        raise
    except Exception as exc:  # any failure of the library: an unreadable message
        raise MalformedMailError(f"{type(exc).__name__}: {exc}") from exc
    if not headers.from_address:
        raise MalformedMailError(_("The message has no sender address (From)."))
    cleaned = strip_quoted(body_text(text))
    return ParsedMail(
        message=message,
        headers=headers,
        in_reply_to=_header(message, "In-Reply-To"),
        references=_header(message, "References"),
        text=cleaned[:MAX_TEXT],
        files=files,
        cut=len(cleaned) > MAX_TEXT,
    )


# Who sent it ---------------------------------------------------------------------------------
def automatic(message: Message, subject: str) -> str | None:
    """Why the message looks sent by a program (RFC 3834 §5, de-facto headers), or None."""
    auto_submitted = _header(message, "Auto-Submitted").lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return f"Auto-Submitted: {auto_submitted}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder"):
        if message.get(name) is not None:
            # Out of the f-string: xgettext does not look inside one for messages.
            value = _header(message, name) or _("(present)")
            return f"{name}: {value}"
    precedence = _header(message, "Precedence").lower()
    if precedence in _BULK_PRECEDENCE:
        return f"Precedence: {precedence}"
    if _header(message, "Return-Path").replace(" ", "") == "<>":
        return "Return-Path: <> " + _("(a delivery report)")
    if message.get_content_type() == "multipart/report":
        return "Content-Type: multipart/report " + _("(a delivery report)")
    # The weaker sign: anchored at the start of the subject, after any "Re:".
    if _AUTO_SUBJECT.match(_PREFIX.sub("", subject)):
        return f"Subject: {subject[:120]}"
    return None


def _our_addresses() -> set[str]:
    ours = {settings.SERVICEDESK_ADDRESS.lower(), parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower()}
    return {a for a in ours if a}


def loop(message: Message, headers: HeaderSummary) -> str | None:
    """Why the message looks like one of ours coming back, or None."""
    if identity.is_ours(headers.message_id):
        return _("Message-ID %(id)s was made by the service desk.") % {"id": headers.message_id}
    if message.get("X-Mutualis-Ticket") is not None:
        return _("X-Mutualis-Ticket header: sent by the service desk.")
    local, _at, domain = settings.SERVICEDESK_ADDRESS.lower().rpartition("@")
    address = headers.from_address
    if address in _our_addresses() or (address.startswith(f"{local}+") and address.endswith(f"@{domain}")):
        return _("From: %(address)s is the service desk's own address.") % {"address": address}
    return None


_DMARC_FAIL = re.compile(r"\bdmarc\s*=\s*fail\b", re.IGNORECASE)


def spoofed(message: Message) -> str | None:
    """Why the From address looks forged, or None: a receiving server's verdict
    `dmarc=fail` in Authentication-Results (RFC 8601, RFC 7489). Only a failure is acted
    on, so a sender adding such a header themselves can only harm their own message; a
    "pass" is never trusted, as anyone can write one."""
    try:
        values = [str(v) for v in message.get_all("Authentication-Results") or []]
    except Exception:  # an undecodable header says nothing
        return None
    for value in values:
        if _DMARC_FAIL.search(value):
            return f"Authentication-Results: {' '.join(value.split())[:200]}"
    return None


def clean_subject(subject: str) -> str:
    """A subject as a ticket title: without Re:/TR:/Fwd: prefixes and ticket tags."""
    text = re.sub(r"\[#\d+\]", " ", subject)
    text = _PREFIX.sub("", " ".join(text.split()))
    return " ".join(text.split())
