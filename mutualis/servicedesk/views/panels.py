"""The service desk's boxes on other parts' pages (see mutualis.web.panels): the incidents
of an asset on its page, and each person's tickets on their home page."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.http import HttpRequest

from mutualis.web.panels import Panel

from ..models import Ticket, TicketState
from ..permissions import can_declare

ASSET_TICKETS_SHOWN = 20
LATEST_SHOWN = 5


def asset_tickets(request: HttpRequest, asset: Any) -> dict[str, Any]:
    """The incidents linked to the asset that the person may see, newest first."""
    tickets = Ticket.objects.visible_to(request.scope).filter(assets=asset)  # type: ignore[attr-defined]
    return {
        "tickets": tickets.with_list_related().order_by("-created_at", "-pk")[:ASSET_TICKETS_SHOWN],
        "total": tickets.count(),
        "asset": asset,
    }


def home_summary(request: HttpRequest, _obj: Any) -> dict[str, Any] | None:
    scope = request.scope  # type: ignore[attr-defined]
    tickets = Ticket.objects.visible_to(scope)
    open_tickets = tickets.open()
    if scope.is_operator_staff:
        by_state = dict(open_tickets.order_by().values_list("state").annotate(total=Count("pk")))
        return {
            "staff": True,
            "by_state": [
                (s, TicketState(s).label, by_state.get(s, 0)) for s in TicketState.values if s in by_state
            ],
            "open_total": sum(by_state.values()),
            "unassigned": open_tickets.filter(assignee__isnull=True).count(),
            "mine": open_tickets.filter(assignee=scope.user).count(),
        }
    return {
        "staff": False,
        "can_declare": can_declare(scope),
        "latest": tickets.with_list_related().order_by("-pk")[:LATEST_SHOWN],
        "open_total": open_tickets.count(),
        "waiting": tickets.filter(state=TicketState.WAITING_MEMBER).count(),
    }


ASSET_PANEL = Panel("servicedesk/panels/asset_tickets.html", asset_tickets)
HOME_PANEL = Panel("servicedesk/panels/home.html", home_summary)
