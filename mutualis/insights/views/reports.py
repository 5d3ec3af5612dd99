"""The reports page: the reports a person may read, "generate now", downloads, and their
own subscriptions. Every member and report is found through its tenancy door: another
member's report, or the operator's yearly report asked by a member's user, is a 404."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mutualis.people.tenancy import Scope, ScopedRequest, get_visible_or_404
from mutualis.registry.models import Member
from mutualis.web.decorators import member_area

from ..models import GeneratedReport, ReportKind, ReportSubscription
from ..reports import generation
from ..reports.periods import local_zone, month, month_label, previous_month

# How far back "generate now" offers months and years.
MONTHS_OFFERED = 24
YEARS_OFFERED = 6
LIST_LIMIT = 100


def _today() -> dt.date:
    return timezone.localtime(timezone.now(), local_zone()).date()


def months_offered(today: dt.date) -> list[tuple[str, str]]:
    """The running month first (a partial report), then the past months."""
    options = []
    current = month(today)
    for _i in range(MONTHS_OFFERED):
        options.append((current.start.strftime("%Y-%m"), month_label(current.start)))
        current = previous_month(current.start)
    return options


def _member(scope: Scope, value: str | None) -> Member:
    """The member named in the form, through the tenancy door; a member's user may leave
    it out. Another member's id is the same 404 as an id that does not exist."""
    if not value and scope.member_id is not None:
        value = str(scope.member_id)
    if scope.site_ids is not None:
        raise Http404  # a member's report covers every site; a site contact sees only theirs
    return get_visible_or_404(Member, scope, pk=value)


def _kind_and_member(request: ScopedRequest) -> tuple[str, Member | None]:
    scope = request.scope
    kind = request.POST.get("kind", ReportKind.MEMBER_MONTHLY)
    if kind == ReportKind.OPERATOR_YEARLY:
        if not scope.is_operator_staff:
            raise Http404
        return kind, None
    if kind != ReportKind.MEMBER_MONTHLY:
        raise Http404
    # The member is a field of the form, or named in the form's address (?member=).
    return kind, _member(scope, request.POST.get("member") or request.GET.get("member"))


@member_area
def reports(request: ScopedRequest) -> HttpResponse:
    scope = request.scope
    visible = GeneratedReport.objects.visible_to(scope).with_list_related()
    members = (
        Member.objects.visible_to(scope).only("pk", "name")
        if scope.site_ids is None
        else Member.objects.none()
    )
    chosen_member = None
    if scope.is_operator_staff and request.GET.get("member"):
        chosen_member = get_visible_or_404(Member, scope, pk=request.GET["member"])
        visible = visible.filter(member=chosen_member)
    rows = list(visible[:LIST_LIMIT])
    mine = ReportSubscription.objects.filter(user=request.user, operator=scope.operator, active=True)
    subscriptions = list(mine.filter(member__in=members).select_related("member").order_by("member__name"))
    yearly_subscribed = scope.is_operator_staff and mine.filter(kind=ReportKind.OPERATOR_YEARLY).exists()
    today = _today()
    return render(
        request,
        "insights/reports.html",
        {
            "reports": rows,
            "truncated": len(rows) == LIST_LIMIT,
            "in_progress": any(r.in_progress for r in rows),
            "members": list(members) if scope.is_operator_staff else [],
            "member": scope.member,
            "chosen_member": chosen_member,
            "may_have_member_reports": scope.site_ids is None,
            "months": months_offered(today),
            "default_month": previous_month(today).start.strftime("%Y-%m"),
            "years": [today.year - i for i in range(YEARS_OFFERED)],
            "subscriptions": subscriptions,
            "yearly_subscribed": yearly_subscribed,
        },
    )


@require_POST
@member_area
def generate(request: ScopedRequest) -> HttpResponse:
    """Queue a report now; the page shows it "in progress" until the job is done."""
    scope = request.scope
    kind, member = _kind_and_member(request)
    today = _today()
    try:
        if kind == ReportKind.OPERATOR_YEARLY:
            value = int(request.POST.get("year", ""))
            if not today.year - YEARS_OFFERED < value <= today.year:
                raise ValueError
            day = dt.date(value, 1, 1)
        else:
            year_text, _sep, month_text = request.POST.get("month", "").partition("-")
            day = dt.date(int(year_text), int(month_text), 1)
            if day > today or day.strftime("%Y-%m") not in dict(months_offered(today)):
                raise ValueError
    except ValueError:
        return HttpResponseBadRequest(_("Choose a period from the list."))
    operator = member.operator if member is not None else scope.operator
    if operator is None:
        raise Http404
    generation.request_report(
        kind=kind, operator=operator, member=member, period=generation.period_for(kind, day), by=request.user
    )
    messages.success(request, _("The report is being generated. It will be listed as ready in a moment."))
    return redirect("insights:reports")


@member_area
def download(request: ScopedRequest, pk: int) -> HttpResponse:
    report = get_visible_or_404(GeneratedReport, request.scope, pk=pk)
    if not report.is_ready:
        raise Http404
    try:
        handle = report.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle, as_attachment=True, filename=report.filename, content_type="application/pdf"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response  # type: ignore[return-value]


@require_POST
@member_area
def subscription(request: ScopedRequest) -> HttpResponse:
    """Subscribe or unsubscribe oneself (never someone else: admins do that in the
    back-office) to a report one may read."""
    scope = request.scope
    kind, member = _kind_and_member(request)
    operator = member.operator if member is not None else scope.operator
    if operator is None:
        raise Http404
    if request.POST.get("action") == "unsubscribe":
        generation.unsubscribe(user=request.user, kind=kind, operator=operator, member=member)
        messages.success(request, _("You will no longer receive this report by email."))
    else:
        generation.subscribe(user=request.user, kind=kind, operator=operator, member=member)
        messages.success(request, _("You will receive this report by email when it is generated."))
    return redirect(reverse("insights:reports"))
