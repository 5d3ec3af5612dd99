"""What the concurrent load sends (issue 8, clause 3), to Mutualis and to django-helpdesk,
and which cases of the two are paired in the ratios.

Mutualis, as in the sequential cases (bench/cases.py): the member agent's filtered,
member-scoped ticket list (open tickets), the API list, the full-text search, the ticket
page, creation through the declaration form, the operator's dashboard (`/insights/`) and
the service desk's queue as the desk's agent.

django-helpdesk, as the desk's agent (helpdesk staff: it has no member-facing list):
its ticket list filtered to the member's queue and open tickets — the page, then the
DataTables JSON the page asks for (50 rows, newest first, as Mutualis' page shows), one
iteration being both requests, since a person sees no ticket before the second; the same
list with the member's search words (`q=`); every queue's open tickets (the desk queue's
counterpart); a ticket page; creation through its staff form; its dashboard.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from mutualis.demo.logins import DEMO_PASSWORD
from mutualis.servicedesk.models import Ticket

from .cases import Case, Setup
from .cleanup import MARKER
from .client import Client
from .config import LIST_TARGET_MS
from .load import LoadCase, Login, Step, csrf_of, form_fields, log_in

PAGE_SIZE = 50
# Mutualis' case → the django-helpdesk case it is compared with.
PAIRS = {
    "list_open": "hd_list",
    "list_search": "hd_search",
    "desk_queue": "hd_list_all",
    "ticket_page": "hd_ticket",
    "create_page": "hd_create",
    "dashboard": "hd_dashboard",
}
MUTUALIS_LOAD = (
    "list_open",
    "api_list_open",
    "list_search",
    "ticket_page",
    "create_page",
    "dashboard",
    "desk_queue",
)
KINDS = {
    "list_open": "list",
    "api_list_open": "api_list",
    "list_search": "search",
    "ticket_page": "ticket",
    "create_page": "create",
    "desk_queue": "queue",
}
DATATABLES = re.compile(r"datatables_ticket_list/([A-Za-z0-9+/=]+)")


def member_login(setup: Setup) -> Login:
    return Login("/accounts/login/", (("email", setup.user.email), ("password", DEMO_PASSWORD)))


def desk_login(setup: Setup) -> Login:
    return Login("/accounts/login/", (("email", setup.desk_email), ("password", DEMO_PASSWORD)))


def mutualis_cases(setup: Setup, sequential: list[Case]) -> list[LoadCase]:
    by_name = {case.name: case for case in sequential}
    logins = {"member": member_login(setup), "desk": desk_login(setup), "token": Login(token=setup.token)}
    found: list[LoadCase] = []
    for name in MUTUALIS_LOAD:
        if name == "dashboard":
            found.append(
                LoadCase(
                    "dashboard",
                    "Operator dashboard (`/insights/`, the 8 panels, as the desk's agent)",
                    "mutualis",
                    "dashboard",
                    logins["desk"],
                    (Step("GET", ("/insights/",)),),
                )
            )
            continue
        case = by_name[name]
        paths = tuple(dict.fromkeys(case.path(i) for i in range(len(setup.numbers) or 1)))
        body = case.body(0) if case.body else None
        step = Step(
            case.method,
            paths,
            form=form_fields(body) if body is not None and not case.json else None,
            payload=body if case.json else None,
        )
        found.append(
            LoadCase(
                name, case.title, "mutualis", KINDS[name], logins[case.who], (step,), target_ms=case.target_ms
            )
        )
    return found


def helpdesk_cases(setup: Setup, port: int) -> list[LoadCase]:
    """django-helpdesk's cases on the same member, tickets and words. `port`: its server,
    asked once for the DataTables address of each list (the page computes it)."""
    staff = Login("/login/", (("username", setup.desk_email), ("password", DEMO_PASSWORD)))
    queue = setup.member.pk
    ids = list(
        Ticket.objects.filter(member=setup.member, number__in=setup.numbers)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    newest = {"sort": "created", "sortreverse": "on"}
    mine = f"/tickets/?{urlencode({'queue': queue, 'status': [1, 2], **newest}, doseq=True)}"
    search = f"/tickets/?{urlencode({'queue': queue, 'q': setup.search, **newest})}"
    every = f"/tickets/?{urlencode({'status': [1, 2], **newest}, doseq=True)}"
    client = Client("127.0.0.1", port)
    log_in(client, staff)

    def listing(name: str, title: str, page: str, target: float | None, note: str = "") -> LoadCase:
        return LoadCase(name, title, "helpdesk", "list", staff, (Step("GET", (page,)), _data_step(client, page)),
                        target_ms=target, note=note)  # fmt: skip

    creation: dict[str, Any] = {
        "queue": queue,
        "title": setup.incident_type.name,
        "body": MARKER,
        "priority": 3,
        "submitter_email": setup.user.email,
        "assigned_to": "",
        "due_date": "",
    }
    csrf_of(client, "/tickets/submit/")  # the form answers before it is measured
    return [
        listing("hd_list", "helpdesk: list of the member's queue, open tickets (page + JSON)", mine, LIST_TARGET_MS),
        listing("hd_search", f"helpdesk: the same queue searched for `{setup.search}` (page + JSON)", search,
                LIST_TARGET_MS),
        listing("hd_list_all", "helpdesk: every queue's open tickets (page + JSON)", every, None),
        LoadCase("hd_ticket", "helpdesk: ticket page (follow-ups)", "helpdesk", "ticket", staff,
                 (Step("GET", tuple(f"/tickets/{pk}/" for pk in ids) or ("/tickets/1/",)),)),
        LoadCase("hd_create", "helpdesk: ticket creation through the staff form (POST)", "helpdesk", "create", staff,
                 (Step("POST", ("/tickets/submit/",), form=form_fields(creation)),)),
        LoadCase("hd_dashboard", "helpdesk: dashboard (`/dashboard/`)", "helpdesk", "dashboard", staff,
                 (Step("GET", ("/dashboard/",)),)),
    ]  # fmt: skip


def _data_step(client: Client, page: str) -> Step:
    """The JSON request helpdesk's list page makes (DataTables, server-side processing):
    its address carries the page's query, base64-encoded by the page itself."""
    answer = client.request("GET", page, tag="setup")
    found = DATATABLES.search(answer.body.decode())
    if answer.status != 200 or found is None:
        raise SystemExit(f"helpdesk's list {page} answered {answer.status} without its data address")
    query = urlencode(
        {"draw": 1, "start": 0, "length": PAGE_SIZE, "order[0][column]": 5, "order[0][dir]": "desc"}
    )
    return Step("GET", (f"/datatables_ticket_list/{found[1]}?{query}",))
