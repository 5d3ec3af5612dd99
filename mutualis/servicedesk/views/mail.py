"""The review of mail set aside by email in (mail.inbound): the operator's staff list it by
reason, read a message (its headers and text, always escaped: a mail's HTML is never
shown), and attach it to a ticket, open a ticket from it, or discard it.

Members never reach these pages (403, like the desk); another operator's staff get the
404 of a message that does not exist (the tenancy door, InboundEmail.objects.visible_to).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, QuerySet
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mutualis.lib.numbers import whole_number
from mutualis.people.tenancy import Scope, ScopedRequest, get_visible_or_404
from mutualis.registry.models import Site
from mutualis.web.decorators import operator_staff_only

from ..forms import IncidentTypeChoiceField
from ..mail import inbound_review
from ..mail.inbound_parse import HEADER_BYTES, MailFile, all_headers
from ..models import DeskSettings, InboundEmail, InboundReason, InboundStatus, IncidentType
from ..models.inbound import TO_REVIEW
from ..permissions import can_handle
from ..selectors import Page, keyset_page
from .common import error_text, visible_ticket

PAGE_SIZE = 50
# Up to this many sites are offered in a list; beyond, the reviewer types the site's number.
SITES_LISTED = 300
# The headers shown first on a message's page; all of them are listed below.
MAIN_HEADERS = ("From", "To", "Cc", "Date", "Subject", "Message-ID", "In-Reply-To", "Reply-To")


class MailFilterForm(forms.Form):
    ALL = "all"
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("to review")), (ALL, gettext_lazy("all")), *InboundStatus.choices],
    )
    reason = forms.ChoiceField(
        label=gettext_lazy("Reason"), required=False, choices=[("", "—"), *InboundReason.choices]
    )

    def apply(self, mails: QuerySet[InboundEmail]) -> QuerySet[InboundEmail]:
        if not self.is_valid():
            return mails.filter(status__in=TO_REVIEW)
        status = self.cleaned_data["status"]
        if not status:
            mails = mails.filter(status__in=TO_REVIEW)
        elif status != self.ALL:
            mails = mails.filter(status=status)
        if self.cleaned_data["reason"]:
            mails = mails.filter(reason=self.cleaned_data["reason"])
        return mails


@dataclass
class _Listing:
    page: Page
    query: str


def _cursor(request: ScopedRequest, name: str) -> int | None:
    return whole_number(request.GET.get(name, ""))


@operator_staff_only
def mail_list(request: ScopedRequest) -> HttpResponse:
    scope = request.scope
    mails = InboundEmail.objects.visible_to(scope)
    form = MailFilterForm(request.GET)
    to_review = InboundEmail.objects.to_review().visible_to(scope).order_by()
    counts = dict(to_review.values("reason").annotate(count=Count("pk")).values_list("reason", "count"))
    page = keyset_page(
        form.apply(mails).select_related("ticket", "sender"),
        after=_cursor(request, "after"),
        before=_cursor(request, "before"),
        size=PAGE_SIZE,
    )
    params = request.GET.copy()
    for name in ("after", "before"):
        params.pop(name, None)
    reasons = dict(InboundReason.choices)
    return render(
        request,
        "servicedesk/mail_list.html",
        {
            "form": form,
            "listing": _Listing(page=page, query=params.urlencode()),
            "counts": [
                (code, reasons.get(code, _("not processed yet")), count)
                for code, count in sorted(counts.items())
            ],
            "total": sum(counts.values()),
        },
    )


def _visible_mail(scope: Scope, pk: int) -> InboundEmail:
    return get_visible_or_404(InboundEmail, scope, pk=pk)


def _headers(inbound: InboundEmail) -> list[tuple[str, str]]:
    """Every header of the stored message, decoded (the page escapes them)."""
    with inbound.raw.open("rb") as stored:
        return all_headers(stored.read(HEADER_BYTES))


class AttachForm(forms.Form):
    prefix = "attach"
    number = forms.IntegerField(label=gettext_lazy("Ticket number"), min_value=1)


class SiteChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.member.name} – {obj.name}"


class OpenForm(forms.Form):
    prefix = "open"

    def __init__(self, scope: Scope, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sites = Site.objects.visible_to(scope).filter(is_active=True).select_related("member")
        many = sites.order_by()[: SITES_LISTED + 1].count() > SITES_LISTED
        self.fields["site"] = SiteChoiceField(
            label=_("Site"),
            queryset=sites.order_by("member__name", "name"),
            widget=forms.NumberInput if many else forms.Select,
            help_text=_("The site's number, from its page.") if many else "",
        )
        operator_id = scope.operator_id or 0
        self.fields["incident_type"] = IncidentTypeChoiceField(
            label=_("Incident type"),
            queryset=IncidentType.objects.active().visible_to(scope).select_related("category"),
            initial=DeskSettings.for_operator(operator_id).email_incident_type_id,
        )


def _files(inbound: InboundEmail) -> list[MailFile]:
    if inbound.size > 0 and inbound.reason != InboundReason.OVERSIZED:
        try:
            return inbound_review.read_message(inbound).files
        except ValidationError:
            return []
    return []


@operator_staff_only
def mail_detail(request: ScopedRequest, pk: int, **bound: forms.Form) -> HttpResponse:
    scope = request.scope
    inbound = _visible_mail(scope, pk)
    headers = _headers(inbound)
    reviewing = inbound.status in TO_REVIEW and can_handle(scope)
    # A delivery report (mail/inbound_bounce.py) is never a reply nor a request: discard only.
    ticketable = reviewing and inbound.reason != InboundReason.BOUNCE
    return render(
        request,
        "servicedesk/mail_detail.html",
        {
            "inbound": inbound,
            "main_headers": [(n, v) for n, v in headers if n in MAIN_HEADERS],
            "headers": headers,
            "files": _files(inbound),
            "reviewing": reviewing,
            "attach_form": bound.get("attach") or (AttachForm() if ticketable else None),
            "open_form": bound.get("open") or (OpenForm(scope) if ticketable else None),
        },
        status=400 if bound else 200,
    )


@operator_staff_only
def mail_raw(request: ScopedRequest, pk: int) -> HttpResponse:
    """The message as received, to open in a mail program; never shown by the browser."""
    inbound = _visible_mail(request.scope, pk)
    response = FileResponse(
        inbound.raw.open("rb"),
        as_attachment=True,
        filename=f"mail-{inbound.pk}.eml",
        content_type="message/rfc822",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # A FileResponse streams the file; the decorators' types expect an HttpResponse.
    return response  # type: ignore[return-value]


def _acting(request: ScopedRequest, pk: int) -> InboundEmail:
    inbound = _visible_mail(request.scope, pk)  # 404 before any 403, as for tickets
    if not can_handle(request.scope):
        raise PermissionDenied
    return inbound


@operator_staff_only
@require_POST
def mail_attach(request: ScopedRequest, pk: int) -> HttpResponse:
    inbound = _acting(request, pk)
    form = AttachForm(request.POST)
    if form.is_valid():
        try:
            ticket = visible_ticket(request.scope, form.cleaned_data["number"])
            inbound_review.attach_as_reply(inbound=inbound, ticket=ticket, by=request.user)
        except Http404:
            form.add_error("number", _("No ticket has this number."))
        except ValidationError as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(
                request, _("The message was added as a reply to n° %(number)s.") % {"number": ticket.number}
            )
            return redirect("servicedesk:desk-mail")
    return mail_detail(request, pk, attach=form)


@operator_staff_only
@require_POST
def mail_open(request: ScopedRequest, pk: int) -> HttpResponse:
    inbound = _acting(request, pk)
    form = OpenForm(request.scope, request.POST)
    if form.is_valid():
        try:
            ticket = inbound_review.open_ticket_from(
                inbound=inbound,
                site=form.cleaned_data["site"],
                incident_type=form.cleaned_data["incident_type"],
                by=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("Ticket n° %(number)s was opened.") % {"number": ticket.number})
            return redirect("servicedesk:ticket-detail", ticket.number)
    return mail_detail(request, pk, open=form)


@operator_staff_only
@require_POST
def mail_discard(request: ScopedRequest, pk: int) -> HttpResponse:
    inbound = _acting(request, pk)
    try:
        inbound_review.discard(inbound=inbound, by=request.user)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("The message was discarded; it stays stored."))
    return redirect("servicedesk:desk-mail")
