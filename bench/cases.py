"""What is measured, and as whom: a member agent of the member with the most tickets (the
largest list to scope), through the pages and through an API token of the same
membership; the service desk's agent for the operator's queue.

Issue 3's targets (server time, 95th percentile, 1M tickets / 5M replies): the filtered,
member-scoped ticket list page and the API list under 50 ms; ticket creation under 30 ms.
A search is the list page with `q=`: it is held to the list's target too. The ticket page
and the desk queue have no target in the issue; they are reported.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.utils import timezone

from mutualis.demo import logins
from mutualis.people.models import ApiToken, Membership, User
from mutualis.people.roles import Role
from mutualis.people.tenancy import Scope
from mutualis.registry.models import Asset, AssetStatus, Member, Site
from mutualis.servicedesk import services
from mutualis.servicedesk.answers import answer_form_class, answers_from
from mutualis.servicedesk.catalogue import offered_types
from mutualis.servicedesk.models import FormFieldKind, IncidentType, Ticket
from mutualis.servicedesk.selectors import filter_tickets

from .cleanup import MARKER, TOKEN_NAME
from .config import CREATE_TARGET_MS, LIST_TARGET_MS, PANEL_TARGET_MS, REPORT_TARGET_MS

DEEP_PAGE = 50  # "the same page's 50th keyset page"
PAGE_SIZE = 50
SAMPLED_TICKETS = 100  # ticket pages visited in turn, so that no single row stays hot


@dataclass
class Case:
    name: str
    title: str
    target_ms: float | None
    method: str  # GET, POST, or CALL (a verb called in the bench's own process)
    who: str  # "member" (session), "token" (API), "desk" (service desk agent's session)
    path: Callable[[int], str] = lambda _i: "/"
    body: Callable[[int], Any] | None = None  # a form (dict) or a JSON document
    json: bool = False
    note: str = ""
    call: Callable[[int], object] | None = None  # for CALL: what is timed, given the iteration
    iterations: int | None = None  # fewer than the run's for slow cases (seconds each)
    # Throughput cases: what one request (or call) carries, e.g. 4,000 attribute instances,
    # and the rate to reach in those units per second (issue 6: ≥ 50,000 instances/s).
    units: int = 1
    unit: str = ""
    rate_target: float | None = None
    group: str = "desk"  # "hub": the data hub's cases, reported in their own section
    # Concurrent clients (threads of the bench, one connection each) instead of the run's
    # one: the i-th request is sent by client i % clients, so `body(i)` can give each client
    # its own share (a gateway's sensors). Its rate is then the wall time's: server times
    # overlap and do not add up.
    clients: int | None = None


@dataclass
class Setup:
    member: Member
    membership: Membership
    user: User
    token: str
    category_id: int
    parent_category_id: int | None
    deep_after: int | None
    deep_page: int
    search: str
    numbers: list[int]
    site: Site
    incident_type: IncidentType
    asset: Asset | None
    answers: dict[str, Any]
    desk_email: str = logins.DESK_AGENT
    facts: dict[str, Any] = field(default_factory=dict)


def measured_membership() -> Membership:
    """A member agent (with no other membership) of the member with the most tickets."""
    single = (
        Membership.objects.active()
        .filter(role=Role.MEMBER_AGENT, member__isnull=False)
        .annotate(held=Count("user__memberships"))
        .filter(held=1)
    )
    by_member = (
        Ticket.objects.filter(member_id__in=single.values("member_id"))
        .values("member_id")
        .annotate(n=Count("id"))
        .order_by("-n", "member_id")
    )
    top = by_member.first()
    if top is None:
        raise SystemExit("No member with tickets and a member agent to measure as.")
    return single.filter(member_id=top["member_id"]).select_related("user", "member").order_by("pk")[0]


def prepare(seed: int) -> Setup:
    """Choose who is measured and on what, from the loaded data."""
    membership = measured_membership()
    member = membership.member
    assert member is not None  # a member agent's membership names its member
    _token, clear = ApiToken.issue(membership=membership, name=TOKEN_NAME, can_write=True)
    tickets = Ticket.objects.filter(member=member)
    category_id = (
        tickets.values("category_id").annotate(n=Count("id")).order_by("-n", "category_id")[0]["category_id"]
    )
    # A category with sub-categories: its list is `category_id IN (…)` (selectors.filter_tickets).
    parent = (
        tickets.exclude(category__parent=None)
        .values("category__parent_id")
        .annotate(n=Count("id"))
        .order_by("-n", "category__parent_id")
        .first()
    )
    in_category = tickets.filter(Q(category_id=category_id) | Q(category__parent_id=category_id)).order_by(
        "-pk"
    )
    total = in_category.count()
    page = max(1, min(DEEP_PAGE, math.ceil(total / PAGE_SIZE)))
    after = in_category.values_list("pk", flat=True)[(page - 1) * PAGE_SIZE - 1] if page > 1 else None
    # What a person searches: the words of the title they see most often.
    search = tickets.values("title").annotate(n=Count("id")).order_by("-n", "title")[0]["title"]
    numbers = list(tickets.order_by("pk").values_list("number", flat=True))
    site, incident_type, asset = _declaration(member)
    return Setup(
        member=member,
        membership=membership,
        user=membership.user,
        token=clear,
        category_id=category_id,
        parent_category_id=parent["category__parent_id"] if parent else None,
        deep_after=after,
        deep_page=page,
        search=search,
        numbers=random.Random(seed).sample(numbers, min(SAMPLED_TICKETS, len(numbers))),
        site=site,
        incident_type=incident_type,
        asset=asset,
        answers=_answers(incident_type, asset),
        facts={
            "member": member.name,
            "member_tickets": tickets.count(),
            "member_open_tickets": tickets.filter(
                state__in=["new", "assigned", "in_progress", "waiting_member", "waiting_third_party"]
            ).count(),
            "category_tickets": total,
            "deep_page": page,
            "search": search,
            "search_matches": filter_tickets(
                tickets, {"q": search}, scope=Scope.for_membership(membership)
            ).count(),
        },
    )


def _declaration(member: Member) -> tuple[Site, IncidentType, Asset | None]:
    """The member's most declared (site, type) pair, preferring a type that names equipment,
    which is the longer path (an asset checked, linked and recorded)."""
    pairs = (
        Ticket.objects.filter(member=member)
        .values("site_id", "incident_type_id")
        .annotate(n=Count("id"))
        .order_by("-incident_type__asset_required", "-n", "site_id", "incident_type_id")
    )
    for pair in pairs[:20]:
        site = Site.objects.get(pk=pair["site_id"])
        incident_type = offered_types(site).filter(pk=pair["incident_type_id"]).first()
        if incident_type is None:
            continue
        assets = Asset.objects.filter(site=site).exclude(status=AssetStatus.RETIRED)
        asset = assets.filter(asset_type_id=incident_type.asset_type_id).order_by("pk").first()
        if asset is None and incident_type.asset_required:
            continue
        return site, incident_type, asset
    raise SystemExit(f"No incident type to declare on a site of {member}.")


def _answers(incident_type: IncidentType, asset: Asset | None) -> dict[str, Any]:
    """A valid answer to each question, as the API takes them (the form takes the same)."""
    values: dict[str, Any] = {}
    for question in incident_type.fields.all():
        kind = question.kind
        if kind == FormFieldKind.DATE:
            values[question.key] = (timezone.localdate() - dt.timedelta(days=2)).isoformat()
        elif kind == FormFieldKind.YES_NO:
            values[question.key] = "no"
        elif kind == FormFieldKind.NUMBER:
            values[question.key] = 3
        elif kind == FormFieldKind.CHOICE:
            values[question.key] = question.choices[0]
        elif kind == FormFieldKind.MULTIPLE_CHOICE:
            values[question.key] = question.choices[:1]
        elif kind == FormFieldKind.ASSET and asset is not None:
            values[question.key] = asset.pk
        elif kind in (FormFieldKind.SHORT_TEXT, FormFieldKind.LONG_TEXT):
            values[question.key] = "Signalé pendant la mesure des performances"
    return values


def stored_answers(setup: Setup) -> tuple[list[dict[str, Any]], list[Asset]]:
    """The answers as services.open_ticket takes them, through the type's own form."""
    form = answer_form_class(setup.incident_type, setup.site)(data=setup.answers)
    if not form.is_valid():
        raise SystemExit(f"The bench's answers are refused: {form.errors.as_json()}")
    return answers_from(form, setup.incident_type)


def cases(setup: Setup) -> list[Case]:
    category = setup.category_id
    deep = {"category": category, **({"after": setup.deep_after} if setup.deep_after else {})}
    numbers = setup.numbers or [0]
    declare = f"/tickets/new/?{urlencode({'site': setup.site.pk, 'type': setup.incident_type.pk})}"
    title = setup.incident_type.name

    def form(_i: int) -> dict[str, Any]:
        fields = {f"answer-{key}": value for key, value in setup.answers.items()}
        if setup.asset is not None and not any(k == "equipement" for k in setup.answers):
            fields["asset"] = setup.asset.pk
        return {"title": title, "description": MARKER, **fields}

    def payload(_i: int) -> dict[str, Any]:
        assets = [setup.asset.pk] if setup.asset is not None else []
        return {
            "site": setup.site.pk,
            "incident_type": setup.incident_type.pk,
            "title": title,
            "description": MARKER,
            "answers": setup.answers,
            "assets": assets,
        }

    search = urlencode({"q": setup.search})
    desk = [
        Case("list_open", "Ticket list page, open tickets (`/tickets/?state=open`)", LIST_TARGET_MS, "GET", "member",
             lambda _i: "/tickets/?state=open"),
        Case("list_category", "Ticket list page, one category, page 1", LIST_TARGET_MS, "GET", "member",
             lambda _i: f"/tickets/?{urlencode({'category': category})}"),
        Case("list_parent_category", "Ticket list page, a category with its sub-categories, page 1", LIST_TARGET_MS,
             "GET", "member", lambda _i: f"/tickets/?{urlencode({'category': setup.parent_category_id or category})}"),
        Case("list_deep", f"Ticket list page, same category, keyset page {setup.deep_page}", LIST_TARGET_MS, "GET",
             "member", lambda _i: f"/tickets/?{urlencode(deep)}"),
        Case("list_search", f"Ticket list page, full-text search (`q={setup.search}`)", LIST_TARGET_MS, "GET",
             "member", lambda _i: f"/tickets/?{search}"),
        Case("api_list_open", "API list, open tickets (`/api/v1/tickets/?state=open`)", LIST_TARGET_MS, "GET",
             "token", lambda _i: "/api/v1/tickets/?state=open"),
        Case("api_list_category", "API list, one category, page 1", LIST_TARGET_MS, "GET", "token",
             lambda _i: f"/api/v1/tickets/?{urlencode({'category': category})}"),
        Case("api_search", "API list, full-text search", LIST_TARGET_MS, "GET", "token",
             lambda _i: f"/api/v1/tickets/?{search}"),
        Case("ticket_page", "Ticket page (timeline, replies, files)", None, "GET", "member",
             lambda i: f"/tickets/{numbers[i % len(numbers)]}/"),
        Case("api_ticket", "API, one ticket", None, "GET", "token",
             lambda i: f"/api/v1/tickets/{numbers[i % len(numbers)]}/"),
        Case("desk_queue", "Service desk queue, open tickets of the operator (`/desk/?state=open`)", None, "GET",
             "desk", lambda _i: "/desk/?state=open"),
        Case("create_verb", "Ticket creation, `services.open_ticket` in process", CREATE_TARGET_MS, "CALL", "member",
             call=open_ticket_call(setup)),
        Case("create_page", "Ticket creation through the declaration form (POST)", CREATE_TARGET_MS, "POST",
             "member", lambda _i: declare, body=form),
        Case("create_api", "Ticket creation through the API (`POST /api/v1/tickets/`)", CREATE_TARGET_MS, "POST",
             "token", lambda _i: "/api/v1/tickets/", body=payload, json=True),
    ]  # fmt: skip
    return [*desk, *insight_cases(setup)]


def open_ticket_call(setup: Setup) -> Callable[[int], object]:
    answers, assets = stored_answers(setup)

    def call(_i: int) -> object:
        return services.open_ticket(
            site=setup.site,
            incident_type=setup.incident_type,
            title=setup.incident_type.name,
            description=MARKER,
            answers=answers,
            assets=assets,
            by=setup.user,
        )

    return call


# Issue 5's targets: every dashboard panel under 300 ms, a member report PDF under 3 s.
PANELS = ("volumes", "breakdown", "backlog", "durations", "sla", "reopen", "satisfaction", "load")


def insight_cases(setup: Setup) -> list[Case]:
    """Each panel of the operator's dashboard (the service desk agent, the whole operator)
    and of the member view (the member agent), over the filters' default period (12
    months); the member's monthly report built in process, as the job does."""
    staff = [
        Case(f"panel_{name}", f"Operator dashboard panel `{name}` (`/insights/panel/{name}/`)", PANEL_TARGET_MS,
             "GET", "desk", panel_path(name))
        for name in PANELS
    ]  # fmt: skip
    member = [
        Case(f"member_panel_{name}", f"Member view panel `{name}`", PANEL_TARGET_MS, "GET", "member",
             panel_path(name))
        for name in PANELS
        if name != "load"  # the technicians' load is the operator's
    ]  # fmt: skip
    return [
        *staff,
        *member,
        Case(
            "member_report_pdf",
            "Member monthly report, figures and PDF (`insights.reports`), in process",
            REPORT_TARGET_MS,
            "CALL",
            "member",
            call=member_report_call(setup),
            iterations=10,
        ),
    ]


def panel_path(name: str) -> Callable[[int], str]:
    return lambda _i: f"/insights/panel/{name}/"


def member_report_call(setup: Setup) -> Callable[[int], object]:
    from mutualis.insights.models import GeneratedReport, ReportKind
    from mutualis.insights.reports import generation

    period = generation.period_for(
        ReportKind.MEMBER_MONTHLY, timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    )

    def call(_i: int) -> object:
        report, _created = GeneratedReport.objects.get_or_create(
            kind=ReportKind.MEMBER_MONTHLY,
            operator_id=setup.member.operator_id,
            member=setup.member,
            period_start=period.start,
            defaults={"period_end": period.last_day},
        )
        return generation.build(report)

    return call
