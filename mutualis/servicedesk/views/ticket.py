"""The ticket page, and what a member does there: reply, cancel their new ticket, reopen a
resolved one. The operator's handling panel on the same page posts to `staff`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from mutualis.people.tenancy import Scope, ScopedRequest
from mutualis.web.decorators import member_area

from .. import services
from ..forms import (
    AssignForm,
    LinkAssetForm,
    MergeForm,
    NoteForm,
    PriorityForm,
    ReclassifyForm,
    ReopenForm,
    ReplyForm,
    RouteForm,
    TransitionForm,
    ask_files_again,
    chosen_names,
    say_files_not_kept,
)
from ..models import Ticket, TicketState
from ..permissions import can_handle, can_reply, member_may, reopen_deadline
from ..satisfaction.box import satisfaction_box
from ..selectors import ticket_files, timeline
from ..services.conversation import FINAL_STATES
from ..services.handling import MERGEABLE_STATES
from .common import error_text, visible_ticket
from .reply_templates import INSERT, NOTE, REPLY, template_picker
from .service_level import service_level
from .timeline import lines
from .unsent import Unsent, keep_other_box, take_kept

# The reply's and the note's boxes are one form of the page, which each of their controls
# names (`form=`, ticket_detail.html), each box's buttons posting it to that box's view: a
# page shown again (a template inserted, a send refused) keeps what was typed in both boxes,
# not only in the one whose button was pressed. Each view reads its own box only; once it
# has sent it, the page that follows its redirect shows the other box's text back (unsent.py).
WRITING_FORM = "ticket-writing"


def ticket_page(
    request: ScopedRequest, ticket: Ticket, *, inserting: str | None = None, **forms_: forms.Form
) -> HttpResponse:
    """The page, with the forms a failed POST hands back (bound, with their errors), or,
    `inserting` into the reply or the note, with what was typed in both and a template."""
    scope = request.scope
    staff = scope.is_operator_staff
    replying = takes_replies(scope, ticket)
    shown = [box for box, has in ((REPLY, replying), (NOTE, can_handle(scope))) if has]
    # What each box holds: what it was posted with (the page shown again), or, on the page
    # that follows the other box's send, what it held then.
    kept = take_kept(request, ticket, shown=shown) if request.method == "GET" else {}
    texts = {box: request.POST[f"{box}-body"] for box in shown if f"{box}-body" in request.POST}
    texts.update({box: unsent.text for box, unsent in kept.items()})
    # Reply templates are the operator's, for its staff handling the ticket: a member's user
    # gets no list, and their `?reply_template=` is not even read; nothing is offered to
    # insert, so their insert button is a 404, as an id not offered is.
    if can_handle(scope):
        picker = template_picker(request, ticket, reply_box=replying, typed=texts, inserting=inserting)
    elif inserting is not None:
        raise Http404
    else:
        picker = None
    focus = None
    if picker is not None and picker.chosen is not None:
        texts.update(picker.prefill)
        focus = picker.into
    reply_form = forms_.get(REPLY) or (
        _shown_again(
            ReplyForm(ticket), request, text=texts.get(REPLY), focus=focus == REPLY, kept=kept.get(REPLY)
        )
        if replying
        else None
    )
    context: dict[str, Any] = {
        "ticket": ticket,
        "staff": staff,
        "lines": lines(timeline(ticket, staff=staff)),
        "files": list(ticket_files(ticket, staff=staff)),
        "assets": list(ticket.assets.select_related("asset_type").order_by("inventory_tag")),
        "writing_form": WRITING_FORM,
        "reply_form": reply_form,
        "template_picker": picker,
        "may_cancel": not staff and member_may(scope, ticket, TicketState.CANCELLED),
        "may_reopen": not staff
        and ticket.state == TicketState.RESOLVED
        and member_may(scope, ticket, TicketState.IN_PROGRESS),
        "reopen_until": reopen_deadline(ticket),
        "reopen_form": forms_.get("reopen") or ReopenForm(),
        "can_reply": can_reply(scope),
        "satisfaction": satisfaction_box(scope, ticket, forms_.get("rating")),
        **service_level(ticket, staff=staff),
    }
    if can_handle(scope):
        note_form = forms_.get(NOTE) or _shown_again(
            NoteForm(ticket), request, text=texts.get(NOTE), focus=focus == NOTE, kept=kept.get(NOTE)
        )
        context.update(_staff_panel(request, ticket, forms_), note_form=note_form)
    for box in (context["reply_form"], context.get("note_form")):
        for field in box.fields.values() if box else ():
            field.widget.attrs["form"] = WRITING_FORM
    context["error_forms"] = [f for f in forms_.values() if f.errors]
    # A form sent back with its errors is a refused request, as the API says it.
    return render(
        request, "servicedesk/ticket_detail.html", context, status=400 if context["error_forms"] else 200
    )


def _shown_again(
    form: ReplyForm, request: ScopedRequest, *, text: str | None, focus: bool, kept: Unsent | None
) -> ReplyForm:
    """`form` with the text its box shows (what was typed there, a template after it), the
    cursor there to read a template over, and the files its box was posted with (a template
    inserted, the other box's send refused) or `kept` with (the other box sent) asked for
    again."""
    if text is not None:
        form.initial["body"] = text
    if focus:
        form.fields["body"].widget.attrs["autofocus"] = True
    say_files_not_kept(form, chosen_names(request.FILES.getlist(form.add_prefix("files"))))
    if kept is not None:
        say_files_not_kept(form, kept.files, other_sent=True)
    return form


def takes_replies(scope: Scope, ticket: Ticket) -> bool:
    """Whether the page has the reply's box: the person may reply, the ticket takes replies."""
    return can_reply(scope) and ticket.state not in FINAL_STATES


def _staff_panel(request: ScopedRequest, ticket: Ticket, bound: dict[str, forms.Form]) -> dict[str, Any]:
    scope = request.scope
    transition = TransitionForm(ticket)
    return {
        "handling": True,
        "may_take": ticket.is_open and ticket.assignee_id != request.user.pk,
        "assign_form": AssignForm(scope, initial={"assignee": ticket.assignee_id})
        if ticket.is_open
        else None,
        "route_form": RouteForm(scope, initial={"team": ticket.team_id}) if ticket.is_open else None,
        "transition_form": transition if transition.offered else None,
        "priority_form": PriorityForm(initial={"priority": ticket.priority}) if ticket.is_open else None,
        "reclassify_form": ReclassifyForm(scope, initial={"incident_type": ticket.incident_type_id}),
        "link_form": LinkAssetForm(),
        "merge_form": (bound.get("merge") or MergeForm()) if ticket.state in MERGEABLE_STATES else None,
    }


@member_area
def ticket_detail(request: ScopedRequest, number: int) -> HttpResponse:
    return ticket_page(request, visible_ticket(request.scope, number))


def to_ticket(ticket: Ticket, anchor: str = "") -> HttpResponse:
    response = redirect("servicedesk:ticket-detail", number=ticket.number)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


@member_area
@require_POST
def reply(request: ScopedRequest, number: int) -> HttpResponse:
    scope = request.scope
    ticket = visible_ticket(scope, number)
    if not can_reply(scope):
        raise PermissionDenied
    if INSERT in request.POST:  # a template inserted without JavaScript: nothing is sent
        return ticket_page(request, ticket, inserting=REPLY)
    form = ReplyForm(ticket, request.POST, request.FILES)
    if form.is_valid():
        try:
            services.reply(
                ticket=ticket,
                body=form.cleaned_data["body"],
                by=request.user,
                as_staff=can_handle(scope),
                files=form.cleaned_data["files"],
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            kept = keep_other_box(request, ticket, sent=REPLY, other_shown=can_handle(scope))
            messages.success(request, " ".join(filter(None, [_("Your reply is sent."), kept])))
            return to_ticket(ticket, "timeline")
    ask_files_again(form)
    return ticket_page(request, ticket, reply=form)


@member_area
@require_http_methods(["GET", "POST"])
def cancel(request: ScopedRequest, number: int) -> HttpResponse:
    """A member cancels their own ticket while the operator has not started on it. The
    ticket's page links to a confirmation (GET), which posts: a cancelled ticket cannot be
    brought back by its member (WCAG 3.3.4, RGAA 11.12: a deletion is confirmed)."""
    scope = request.scope
    ticket = visible_ticket(scope, number)
    if not can_reply(scope):
        raise PermissionDenied
    if request.method == "GET":
        if not member_may(scope, ticket, TicketState.CANCELLED):
            return to_ticket(ticket)
        return render(request, "servicedesk/cancel_confirm.html", {"ticket": ticket})
    try:
        services.transition(ticket=ticket, to=TicketState.CANCELLED, by=request.user, as_staff=False)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Your request n° %(number)s is cancelled.") % {"number": ticket.number})
    return to_ticket(ticket)


@member_area
@require_POST
def reopen(request: ScopedRequest, number: int) -> HttpResponse:
    """A member says a resolved problem is not solved, within the operator's delay."""
    scope = request.scope
    ticket = visible_ticket(scope, number)
    if not can_reply(scope):
        raise PermissionDenied
    form = ReopenForm(request.POST)
    if not form.is_valid():
        return ticket_page(request, ticket, reopen=form)
    try:
        services.transition(
            ticket=ticket,
            to=TicketState.IN_PROGRESS,
            by=request.user,
            as_staff=False,
            note=form.cleaned_data["reason"],
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Your request n° %(number)s is reopened.") % {"number": ticket.number})
    return to_ticket(ticket)
