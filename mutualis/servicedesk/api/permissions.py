"""Who may do what through the ticket API: the service desk's own rules
(`servicedesk.permissions`), with a sentence saying why when they refuse.

Reads need no check here: every queryset comes through `visible_to(scope)`. On a ticket,
the ticket is looked up first, so an outsider gets the 404 before any 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from mutualis.people.roles import Role
from mutualis.people.tenancy import Scope
from mutualis.registry.api.permissions import scope_of

from .. import permissions

# What each write of the ticket API needs, by the view's action.
RULES: dict[str, Callable[[Scope], bool]] = {
    "create": permissions.can_declare,
    "replies": permissions.can_reply,
    "transitions": permissions.can_reply,
    "notes": permissions.can_handle,
    "assign": permissions.can_handle,
    "take": permissions.can_handle,
    "partial_update": permissions.can_handle,
    "link_asset": permissions.can_handle,
    "unlink_asset": permissions.can_handle,
    "merge": permissions.can_handle,
}

# One whole sentence per staff-only write, for the member's people who try it.
_STAFF_ONLY: dict[str, Promise] = {
    "notes": gettext_lazy("Internal notes are written by the operator's staff only; send a reply instead."),
    "assign": gettext_lazy("Only the operator's staff assign tickets."),
    "take": gettext_lazy("Only the operator's staff assign tickets."),
    "partial_update": gettext_lazy(
        "Only the operator's staff change a ticket's priority, team or type; say what is wrong in a reply."
    ),
    "link_asset": gettext_lazy(
        "Only the operator's staff change the equipment of a declared ticket; name it in a reply."
    ),
    "unlink_asset": gettext_lazy(
        "Only the operator's staff change the equipment of a declared ticket; name it in a reply."
    ),
    "merge": gettext_lazy("Only the operator's staff merge tickets."),
}


def refusal(scope: Scope, action: str) -> str | None:
    """Why `scope` may not make the write `action` of the ticket API, or None."""
    rule = RULES.get(action)
    if rule is None or rule(scope):
        return None
    if scope.membership is None:
        return _("Your account holds no active role at a member or at the operator.")
    if scope.membership.is_read_only:
        role = str(Role(scope.membership.role).label)
        return _("Your role (%(role)s) gives read-only access.") % {"role": role}
    if not scope.can_write:
        return _("This API token is read-only; create a token that allows changes on your account page.")
    if action in _STAFF_ONLY:
        return str(_STAFF_ONLY[action])
    return _("Your role does not allow this change.")


class TicketWritePermission(BasePermission):
    """Writes for the scopes `RULES` allow. Creating is the one write without an object;
    the others wait for the ticket, so that a ticket outside the scope stays a 404."""

    def __init__(self) -> None:
        self.message: str = ""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if getattr(view, "action", None) != "create":
            return True
        return self._allows(request, "create")

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return self._allows(request, getattr(view, "action", None) or "")

    def _allows(self, request: Request, action: str) -> bool:
        reason = refusal(scope_of(request), action)
        if reason is not None:
            self.message = reason
        return reason is None


class StaffReadPermission(BasePermission):
    """Lists of the operator's own organisation (its teams): its staff only."""

    def __init__(self) -> None:
        self.message: str = _("Only the operator's staff see its teams.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return scope_of(request).is_operator_staff
