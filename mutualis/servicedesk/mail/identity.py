"""How an email names its ticket, so a reply finds its way back.

Every notification about a ticket carries:
- a `Message-ID` `<t.{operator}.{number}.{unique}.{signature}@{domain}>`, quoted back by
  mail clients in `In-Reply-To` and `References` (RFC 5322 §3.6.4);
- a `Reply-To` `{local}+t{operator}-{number}-{signature}@{domain}` (sub-addressing,
  RFC 5233), for clients that drop the headers;
- `[#{number}]` in the subject, for people who write a new message by hand.

The signature is an HMAC of (operator, number) with the project's secret: a forged
reference to a ticket the sender never received mail about does not verify. Whoever
sends, the inbound side still checks the sender may see the ticket (tenancy) before
attaching anything.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

_SALT = "mutualis.servicedesk.mail"
_SIG_LEN = 12  # hex chars of the HMAC: 48 bits, far beyond guessing by mail


@dataclass(frozen=True)
class TicketRef:
    operator_id: int
    number: int


def _signature(operator_id: int, number: int) -> str:
    # Hex: mail systems may lowercase addresses.
    return salted_hmac(_SALT, f"{operator_id}:{number}", algorithm="sha256").hexdigest()[:_SIG_LEN]


def _verified(operator_id: str, number: str, signature: str) -> TicketRef | None:
    ref = TicketRef(int(operator_id), int(number))
    if constant_time_compare(_signature(ref.operator_id, ref.number), signature.lower()):
        return ref
    return None


def domain() -> str:
    return settings.SERVICEDESK_ADDRESS.rsplit("@", 1)[1]


def message_id(operator_id: int, number: int) -> str:
    """A new, unique Message-ID for one email about the ticket."""
    unique = secrets.token_hex(6)
    return f"<t.{operator_id}.{number}.{unique}.{_signature(operator_id, number)}@{domain()}>"


def thread_id(operator_id: int, number: int) -> str:
    """The ticket's own Message-ID, never sent as a message of its own: every email about
    the ticket lists it in `References`, so mail clients thread them together."""
    return f"<t.{operator_id}.{number}.thread.{_signature(operator_id, number)}@{domain()}>"


def reply_address(operator_id: int, number: int) -> str:
    local, at_domain = settings.SERVICEDESK_ADDRESS.rsplit("@", 1)
    return f"{local}+t{operator_id}-{number}-{_signature(operator_id, number)}@{at_domain}"


def subject_tag(number: int) -> str:
    return f"[#{number}]"


# Bounded repeats: each "<t." is tried over at most a few hundred characters, so a long
# run of look-alikes ("<t.1.1.a.a@<t.1.1.a.a@…", in a References header or a bounce's text)
# is read in linear time; unbounded, each try ran to the end of the text (the square).
_MESSAGE_ID = re.compile(
    r"<t\.(\d{1,20})\.(\d{1,20})\.[0-9a-z]{1,40}\.([0-9a-f]{1,64})@([^<>\s]{1,253})>", re.IGNORECASE
)
_ADDRESS = re.compile(r"\+t(\d+)-(\d+)-([0-9a-f]+)@", re.IGNORECASE)
_SUBJECT = re.compile(r"\[#(\d+)\]")


def refs_in_headers(*values: str | None) -> list[TicketRef]:
    """Verified ticket references found in `In-Reply-To`/`References` values, in order;
    Message-IDs of other domains or with a wrong signature are ignored."""
    found: list[TicketRef] = []
    for value in values:
        for operator_id, number, signature, at_domain in _MESSAGE_ID.findall(value or ""):
            if at_domain.lower() != domain().lower():
                continue
            ref = _verified(operator_id, number, signature)
            if ref is not None and ref not in found:
                found.append(ref)
    return found


def ref_in_address(address: str) -> TicketRef | None:
    """The verified ticket of a reply address (`support+t1-42-…@`), if it is one."""
    match = _ADDRESS.search(address or "")
    return _verified(*match.groups()) if match else None


def number_in_subject(subject: str) -> int | None:
    """The ticket number a person wrote as `[#1234]` in a subject (not signed: the sender
    must then be allowed to see that ticket of the operator)."""
    match = _SUBJECT.search(subject or "")
    return int(match.group(1)) if match else None


def is_ours(message_id_value: str | None) -> bool:
    """Whether a Message-ID was made by us (a loop: our own mail coming back)."""
    match = _MESSAGE_ID.search(message_id_value or "")
    return bool(match and match.group(4).lower() == domain().lower())


def message_ids_in(text: str, *, limit: int) -> list[str]:
    """The Message-IDs of our form and domain written in `text` (a bounce quoting our
    email in its body), in order, each once, at most `limit`. Not verified: only an exact
    match with an email we sent gives one a meaning."""
    found: list[str] = []
    ours = domain().lower()
    for match in _MESSAGE_ID.finditer(text):
        if match.group(4).lower() == ours and match.group(0) not in found:
            found.append(match.group(0))
            if len(found) >= limit:
                break
    return found


# The first line of every notification's text. Inbound mail keeps what is written above it
# and drops the quoted rest (with the usual "Le … a écrit :" / "On … wrote:" markers).
REPLY_ABOVE = "##- Répondez au-dessus de cette ligne / Reply above this line -##"
