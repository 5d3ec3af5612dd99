from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from mutualis.people.models import Membership, User
from mutualis.people.roles import Role
from mutualis.people.tenancy import Scope
from mutualis.registry.models import Asset, Site

from ..attachments import CheckedFile
from ..catalogue import is_offered
from ..mail import notifications
from ..models import IncidentType, Ticket, TicketChannel, TicketEventKind
from ..selectors import resent_declaration
from . import deadlines
from .files import keep_files
from .records import next_number, record, refresh_search


@dataclass(frozen=True)
class Declaration:
    """What a declaration led to: a new ticket, or (`resent`) the one it repeats."""

    ticket: Ticket
    resent: bool = False


@transaction.atomic
def declare(
    *,
    scope: Scope,
    site: Site,
    incident_type: IncidentType,
    title: str,
    description: str = "",
    answers: list[dict[str, Any]] | None = None,
    assets: list[Asset] | None = None,
    files: list[CheckedFile] | None = None,
    by: User,
    requester: User | None = None,
    channel: str = TicketChannel.WEB,
) -> Declaration:
    """A person's declaration (the pages, the API): `open_ticket`, unless it repeats word
    for word one just recorded for the same requester (selectors.resent_declaration), which
    is then answered instead of a second ticket.

    Two identical declarations may arrive at the same instant (a double click, a phone
    sending again on a flaky network): each would look for the other before either is
    written, and find nothing. So the requester's row is locked first, in the transaction
    that writes the ticket: the second waits until the first is committed, then finds it.
    FOR NO KEY UPDATE is enough to queue declarations, and does not hold up what only
    references the person (their replies, the events they write). SQLite has no row
    locks, but its transactions here begin IMMEDIATE (settings): the write lock, taken at
    BEGIN, queues them the same way."""
    declaring = requester if requester is not None else by
    list(User.objects.select_for_update(no_key=True).filter(pk=declaring.pk).values_list("pk", flat=True))
    answers = answers or []
    files = files or []
    resent = resent_declaration(
        scope,
        requester=declaring,
        site_id=site.pk,
        incident_type_id=incident_type.pk,
        title=title,
        description=description,
        answers=answers,
        file_digests=[f.sha256 for f in files],
    )
    if resent is not None:
        return Declaration(resent, resent=True)
    ticket = open_ticket(
        site=site,
        incident_type=incident_type,
        title=title,
        description=description,
        answers=answers,
        assets=assets,
        files=files,
        by=by,
        requester=requester,
        channel=channel,
    )
    return Declaration(ticket)


@transaction.atomic
def open_ticket(
    *,
    site: Site,
    incident_type: IncidentType,
    title: str,
    description: str = "",
    answers: list[dict[str, Any]] | None = None,
    assets: list[Asset] | None = None,
    files: list[CheckedFile] | None = None,
    by: User | None,
    requester: User | None = None,
    channel: str = TicketChannel.WEB,
    priority: int | None = None,
) -> Ticket:
    """Declare an incident on a site. The caller has checked that `by` may see the site; the
    answers come from the type's form (answers.answers_from); files are already checked.
    Everything is written or nothing."""
    title = " ".join(title.split())
    if not title:
        raise ValidationError({"title": _("Give the ticket a short title saying what is wrong.")})
    if not is_offered(site, incident_type):
        raise ValidationError(
            {
                "incident_type": _("“%(type)s” is not offered for %(site)s.")
                % {"type": incident_type, "site": site}
            }
        )
    assets = list(dict.fromkeys(assets or []))
    foreign = [a for a in assets if a.site_id != site.pk]
    if foreign:
        raise ValidationError(
            {
                "assets": _(
                    "%(tags)s is not equipment of %(site)s: name only equipment of the site concerned."
                )
                % {"tags": ", ".join(a.inventory_tag for a in foreign), "site": site}
            }
        )
    if incident_type.asset_required and not assets:
        raise ValidationError({"assets": _("Say which piece of equipment is concerned.")})
    if requester is not None and requester != by and not _follows(requester, site):
        raise ValidationError(
            {
                "requester": _("The requester must be someone of %(member)s who sees %(site)s.")
                % {"member": site.member, "site": site}
            }
        )
    now = timezone.now()
    ticket = Ticket.objects.create(
        operator_id=site.operator_id,
        number=next_number(site.operator_id),
        member_id=site.member_id,
        site=site,
        incident_type=incident_type,
        category_id=incident_type.category_id,
        title=title[:200],
        description=description.strip(),
        answers=answers or [],
        priority=priority or incident_type.default_priority,
        team_id=incident_type.default_team_id,
        requester=requester if requester is not None else by,
        channel=channel,
        created_at=now,
        updated_at=now,
        **deadlines.for_new_ticket(
            site=site,
            category_id=incident_type.category_id,
            priority=priority or incident_type.default_priority,
            created_at=now,
        ),
    )
    record(ticket, TicketEventKind.CREATED, by=by, new=ticket.state, at=now)
    if assets:
        ticket.assets.add(*assets)
        for asset in assets:
            record(
                ticket,
                TicketEventKind.ASSET_LINKED,
                by=by,
                new=str(asset.pk),
                new_label=asset.inventory_tag,
                at=now,
            )
    if files:
        keep_files(ticket, files, by=by)
    refresh_search(ticket, new=True)
    notifications.announce_created(ticket, by=by)
    return ticket


def _follows(user: User, site: Site) -> bool:
    """Whether `user` will see a ticket of `site` (a role at its member; a site contact, at
    that site): someone declaring for another names a person who can follow the ticket."""
    roles = Membership.objects.active().filter(user=user, member_id=site.member_id)
    return roles.filter(~Q(role=Role.SITE_CONTACT) | Q(sites=site)).exists()
