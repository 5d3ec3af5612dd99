"""Where a received message goes: who sent it, which ticket it names, whether the sender
may write there, on which site a new request is opened, and which of its files are kept.

The sender's rights are the web pages' rights: a scope per active membership at the
operator (the tenancy door), `Ticket.objects.visible_to(scope)` and `can_reply`/
`can_declare`. A message naming a ticket its sender may not see is never attached to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext as _

from mutualis.people.models import Membership, User
from mutualis.people.tenancy import Scope
from mutualis.registry.models import Site

from ..attachments import CheckedFile, check_uploads
from ..models import DeskSettings, Ticket
from ..permissions import can_declare, can_reply
from . import identity
from .inbound_parse import MailFile, ParsedMail

# How far a chain of merged tickets is followed to the one that goes on.
MERGE_HOPS = 10


def find_sender(operator_id: int, address: str) -> User | None:
    """The active person with this address (compared without case, as at login) who holds
    an active role at the operator or one of its members."""
    if not address:
        return None
    return (
        User.objects.with_email(address)
        .filter(
            is_active=True,
            memberships__operator_id=operator_id,
            memberships__is_active=True,
        )
        .distinct()
        .first()
    )


def scopes_of(user: User, operator_id: int) -> list[Scope]:
    """The person's scopes at the operator, operator roles first (as `resolve_scope`)."""
    memberships = list(
        Membership.objects.active().filter(user=user, operator_id=operator_id).with_scope_related()
    )
    ordered = sorted(memberships, key=lambda m: (m.member_id is not None, m.pk))
    return [Scope.for_membership(m, user=user, memberships=tuple(ordered)) for m in ordered]


@dataclass(frozen=True)
class NamedTicket:
    """A ticket a message names, and how: signed headers or address, or a subject tag."""

    operator_id: int
    number: int
    how: str


def named_ticket(operator_id: int, mail: ParsedMail) -> NamedTicket | None:
    """The ticket the message names: In-Reply-To/References first (what mail programs
    keep), then a reply address among the recipients, then "[#n]" in the subject. A signed
    reference to another operator's ticket is returned too: the caller refuses it."""
    refs = identity.refs_in_headers(mail.in_reply_to, mail.references)
    if refs:
        ref = next((r for r in refs if r.operator_id == operator_id), refs[0])
        return NamedTicket(ref.operator_id, ref.number, "In-Reply-To/References")
    for address in mail.headers.to:
        found = identity.ref_in_address(address)
        if found is not None:
            return NamedTicket(found.operator_id, found.number, address)
    number = identity.number_in_subject(mail.headers.subject)
    if number is not None:
        return NamedTicket(operator_id, number, identity.subject_tag(number))
    return None


def ticket_of(operator_id: int, number: int) -> Ticket | None:
    """The operator's ticket numbered so; a ticket merged into another gives the one that
    goes on (a reply to the duplicate's mail belongs there)."""
    ticket = Ticket.objects.filter(operator_id=operator_id, number=number).first()
    hops = 0
    while ticket is not None and ticket.merged_into_id is not None and hops < MERGE_HOPS:
        ticket = Ticket.objects.filter(pk=ticket.merged_into_id).first()
        hops += 1
    return ticket


def reply_scope(user: User, operator_id: int, ticket: Ticket) -> Scope | None:
    """The first of the person's scopes that sees the ticket and may reply to it, as the
    ticket page decides (visible_to + can_reply); None when none does."""
    for scope in scopes_of(user, operator_id):
        if can_reply(scope) and Ticket.objects.visible_to(scope).filter(pk=ticket.pk).exists():
            return scope
    return None


@dataclass(frozen=True)
class SiteChoice:
    site: Site | None
    # When no site: a reason code of InboundReason and the sentence saying why.
    reason: str = ""
    detail: str = ""


def site_for_request(user: User, operator_id: int) -> SiteChoice:
    """Where a new request by email is declared: the person's only site (a site contact's,
    or their member's when it has one open site). Anything else is for a person to choose."""
    scopes = scopes_of(user, operator_id)
    declaring = [s for s in scopes if can_declare(s) and not s.is_operator_staff]
    if not declaring:
        if any(s.is_operator_staff for s in scopes):
            return SiteChoice(
                None,
                "choose_site",
                _("Sent by the operator's staff without a ticket number: choose the member's site."),
            )
        return SiteChoice(None, "not_allowed", _("The sender's role is read-only: they cannot declare."))
    sites: dict[int, Site] = {}
    for scope in declaring:
        for site in Site.objects.visible_to(scope).filter(is_active=True).order_by("pk")[:2]:
            sites[site.pk] = site
    if len(sites) == 1:
        return SiteChoice(next(iter(sites.values())))
    if not sites:
        return SiteChoice(None, "choose_site", _("The sender has no open site to declare for."))
    return SiteChoice(
        None, "choose_site", _("The sender declares for several sites: choose the one concerned.")
    )


def check_files(files: list[MailFile], desk: DeskSettings) -> tuple[list[CheckedFile], list[str]]:
    """The message's files checked one by one, as uploads are (content, type, size, the
    operator's limits): those accepted, and a sentence for each one refused. Unlike a
    form, one refused file does not refuse the others: the message is already sent."""
    max_bytes = desk.max_attachment_mb * 1_000_000
    checked: list[CheckedFile] = []
    refused: list[str] = []
    for mail_file in files:
        if len(checked) >= desk.max_attachments:
            refused.append(
                _("“%(name)s”: at most %(count)d files are kept per message.")
                % {"name": mail_file.name, "count": desk.max_attachments}
            )
            continue
        upload = SimpleUploadedFile(mail_file.name, mail_file.data, mail_file.content_type)
        try:
            checked.extend(check_uploads([upload], max_bytes=max_bytes, max_count=1))
        except ValidationError as exc:
            refused.append(" ".join(exc.messages))
    return checked, refused
