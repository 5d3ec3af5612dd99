"""The operator's handling of a ticket, from the panel of the ticket page.

Each action is a POST through one verb of `services`. The ticket is found through the
tenancy door first (another member's or operator's ticket: 404), then the person must be
allowed to handle tickets (a member's user: 403). A refused verb (an illegal transition,
equipment of another member…) comes back as a message on the page; where what the person
typed is at fault (a merge's number, a note), the page is shown again with the form, its
field marked. The verbs are transactional, so nothing is half-written.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mutualis.people.tenancy import ScopedRequest
from mutualis.registry.models import Asset
from mutualis.web.decorators import member_area

from .. import lifecycle, services
from ..forms import (
    AssignForm,
    LinkAssetForm,
    MergeForm,
    NoteForm,
    PriorityForm,
    ReclassifyForm,
    RouteForm,
    TransitionForm,
    UnlinkAssetForm,
    ask_files_again,
)
from ..models import Priority, Ticket
from ..permissions import can_handle
from ..services.handling import MERGEABLE_STATES
from .common import error_text, visible_ticket
from .reply_templates import INSERT, NOTE
from .ticket import takes_replies, ticket_page, to_ticket
from .unsent import keep_other_box

# An action returns the message saying what was done, or a page to show instead.
Action = Callable[[ScopedRequest, Ticket], "str | HttpResponse"]


def staff_action(action: Action) -> Callable[[ScopedRequest, int], HttpResponse]:
    @member_area
    @require_POST
    @wraps(action)
    def view(request: ScopedRequest, number: int) -> HttpResponse:
        ticket = visible_ticket(request.scope, number)
        if not can_handle(request.scope):
            raise PermissionDenied
        try:
            done = action(request, ticket)
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            if isinstance(done, HttpResponse):
                return done
            messages.success(request, done)
        return to_ticket(ticket, "handling")

    return view


def _valid(form: forms.Form) -> dict[str, Any]:
    """The form's data, or its problems as a refusal (shown as a message on the page)."""
    if not form.is_valid():
        problems = [str(e) for errors in form.errors.values() for e in errors]
        raise ValidationError(problems)
    return form.cleaned_data


@staff_action
def take(request: ScopedRequest, ticket: Ticket) -> str:
    services.take(ticket=ticket, by=request.user)
    return _("You took n° %(number)s: it is in progress.") % {"number": ticket.number}


@staff_action
def assign(request: ScopedRequest, ticket: Ticket) -> str:
    data = _valid(AssignForm(request.scope, request.POST))
    person = data["assignee"]
    services.assign(ticket=ticket, assignee=person, by=request.user, team=data["team"])
    if person is None:
        return _("n° %(number)s is no longer assigned to anyone.") % {"number": ticket.number}
    return _("n° %(number)s is assigned to %(name)s.") % {"number": ticket.number, "name": person.full_name}


@staff_action
def transition(request: ScopedRequest, ticket: Ticket) -> str:
    data = _valid(TransitionForm(ticket, request.POST))
    target = data["to"]
    services.transition(ticket=ticket, to=target, by=request.user, as_staff=True, note=data["note"])
    return _("n° %(number)s is now %(state)s.") % {"number": ticket.number, "state": lifecycle.label(target)}


@staff_action
def priority(request: ScopedRequest, ticket: Ticket) -> str:
    value = int(_valid(PriorityForm(request.POST))["priority"])
    services.change_priority(ticket=ticket, priority=value, by=request.user)
    return _("Priority of n° %(number)s: %(priority)s.") % {
        "number": ticket.number,
        "priority": Priority(value).label,
    }


@staff_action
def reclassify(request: ScopedRequest, ticket: Ticket) -> str:
    incident_type = _valid(ReclassifyForm(request.scope, request.POST))["incident_type"]
    services.reclassify(ticket=ticket, incident_type=incident_type, by=request.user)
    return _("n° %(number)s is now classified as %(type)s.") % {
        "number": ticket.number,
        "type": incident_type,
    }


@staff_action
def route(request: ScopedRequest, ticket: Ticket) -> str:
    team = _valid(RouteForm(request.scope, request.POST))["team"]
    services.route_to_team(ticket=ticket, team=team, by=request.user)
    return _("n° %(number)s is given to the team %(team)s.") % {"number": ticket.number, "team": team}


@staff_action
def link_asset(request: ScopedRequest, ticket: Ticket) -> str:
    tag = _valid(LinkAssetForm(request.POST))["inventory_tag"].strip()
    # Looked up among the equipment the person may see; the verb refuses equipment of
    # another member than the ticket's.
    asset = Asset.objects.visible_to(request.scope).filter(inventory_tag__iexact=tag).first()
    if asset is None:
        raise ValidationError(_("No equipment has the inventory tag %(tag)s.") % {"tag": tag})
    services.link_asset(ticket=ticket, asset=asset, by=request.user)
    return _("Equipment %(tag)s is linked to n° %(number)s.") % {
        "tag": asset.inventory_tag,
        "number": ticket.number,
    }


@staff_action
def unlink_asset(request: ScopedRequest, ticket: Ticket) -> str:
    asset = _valid(UnlinkAssetForm(ticket, request.POST))["asset"]
    services.unlink_asset(ticket=ticket, asset=asset, by=request.user)
    return _("Equipment %(tag)s is no longer linked to n° %(number)s.") % {
        "tag": asset.inventory_tag,
        "number": ticket.number,
    }


@staff_action
def merge(request: ScopedRequest, ticket: Ticket) -> str | HttpResponse:
    """A refused number comes back in its field, like the note's refusals: the page again
    (400), the number kept, the field marked invalid with its error linked to it (Django's
    aria-invalid and aria-describedby), the error saying what to type (WCAG 3.3.1, 3.3.3;
    RGAA 11.10, 11.11). Only a refusal about this ticket itself is a message."""
    form = MergeForm(request.POST)
    if not form.is_valid():
        return ticket_page(request, ticket, merge=form)
    number = form.cleaned_data["into"]
    # Among the tickets the person may see: another operator's n° is "no ticket", word for
    # word as one that does not exist.
    into = Ticket.objects.visible_to(request.scope).filter(number=number).first()
    try:
        if into is None:
            raise ValidationError(_("There is no ticket n° %(number)s.") % {"number": number})
        services.merge(duplicate=ticket, into=into, by=request.user)
    except ValidationError as exc:
        ticket.refresh_from_db(fields=["state"])
        if ticket.state not in MERGEABLE_STATES:
            raise  # this ticket can no longer be merged (the page was old): nothing to retype
        what_to_do = _("Type the number of another ticket of %(member)s, still open or resolved.") % {
            "member": ticket.member.name
        }
        form.add_error("into", f"{error_text(exc)} {what_to_do}")
        return ticket_page(request, ticket, merge=form)
    return _("n° %(number)s is closed as a duplicate of n° %(into)s.") % {
        "number": ticket.number,
        "into": into.number,
    }


@staff_action
def note(request: ScopedRequest, ticket: Ticket) -> str | HttpResponse:
    if INSERT in request.POST:  # a template inserted without JavaScript: nothing is added
        return ticket_page(request, ticket, inserting=NOTE)
    form = NoteForm(ticket, request.POST, request.FILES)
    if not form.is_valid():
        ask_files_again(form)
        return ticket_page(request, ticket, note=form)
    services.add_note(
        ticket=ticket, body=form.cleaned_data["body"], by=request.user, files=form.cleaned_data["files"]
    )
    kept = keep_other_box(request, ticket, sent=NOTE, other_shown=takes_replies(request.scope, ticket))
    done = _("Internal note added to n° %(number)s.") % {"number": ticket.number}
    return " ".join(filter(None, [done, kept]))
