"""The main menu, by role: what each kind of person needs to reach first."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from mutualis.datahub.territory.selectors import visible_sensors
from mutualis.lib.urls import cached_reverse
from mutualis.people.roles import Role
from mutualis.people.tenancy import Scope
from mutualis.servicedesk.permissions import can_declare


def has_sensors(scope: Scope) -> bool:
    return visible_sensors(scope).exists()


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    section: str


def menu_for(scope: Scope) -> list[NavItem]:
    if scope.membership is None:
        return []
    items = [NavItem(str(_("Home")), cached_reverse("web:home"), "home")]
    if scope.is_operator_staff:
        # The desk's queue first: handling tickets is most of the staff's day.
        items.append(NavItem(str(_("Queue")), cached_reverse("servicedesk:desk"), "desk"))
        items.append(NavItem(str(_("Members")), cached_reverse("registry:member-list"), "members"))
    else:
        # Members follow their requests; those who may declare get a shortcut to it.
        items.append(NavItem(str(_("Requests")), cached_reverse("servicedesk:ticket-list"), "tickets"))
        if can_declare(scope):
            items.append(NavItem(str(_("Declare")), cached_reverse("servicedesk:declare"), "declare"))
    # Incidentology: the operator's figures for its staff, their member's for members' users
    # and elected officials (the tenancy door scopes them).
    items.append(NavItem(str(_("Insights")), cached_reverse("insights:dashboard"), "insights"))
    # Territory dashboards (data hub): for those who have sensors to see (one EXISTS query).
    if has_sensors(scope):
        items.append(NavItem(str(_("Territory")), cached_reverse("territory:index"), "territory"))
    items += [
        NavItem(str(_("Sites")), cached_reverse("registry:site-list"), "sites"),
        NavItem(str(_("Equipment")), cached_reverse("registry:asset-list"), "assets"),
    ]
    if scope.role == Role.OPERATOR_ADMIN:
        items.append(NavItem(str(_("Imports")), cached_reverse("registry:import-list"), "imports"))
    if scope.is_operator_staff:
        items.append(NavItem(str(_("Back-office")), cached_reverse("admin:index"), "backoffice"))
    return items
