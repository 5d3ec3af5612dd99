"""Who may write through the API: the scope's `can_write` and the one roles table.

Reads need no check here: every queryset comes through `visible_to(scope)`.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from mutualis.people.roles import Role, backoffice_allows
from mutualis.people.tenancy import Scope

SITE = "registry.site"
ASSET = "registry.asset"

# One sentence per refused write, so that a translator sees whole sentences.
_REFUSALS: dict[tuple[str, str], Promise] = {
    (SITE, "add"): gettext_lazy("Your role (%(role)s) does not allow creating sites."),
    (SITE, "change"): gettext_lazy("Your role (%(role)s) does not allow changing sites."),
    (ASSET, "add"): gettext_lazy("Your role (%(role)s) does not allow registering assets."),
    (ASSET, "change"): gettext_lazy("Your role (%(role)s) does not allow changing assets."),
}
_REFUSAL = gettext_lazy("Your role (%(role)s) does not allow this change.")


def scope_of(request: Request) -> Scope:
    """The request's scope: set by ScopeMiddleware for sessions and replaced by
    ApiTokenAuthentication for tokens, which runs when `request.user` is first read."""
    request.user  # noqa: B018 - reading it authenticates the request
    scope: Scope = request._request.scope  # type: ignore[attr-defined]
    return scope


def write_refusal(scope: Scope, model_label: str, action: str) -> str | None:
    """Why `scope` may not `action` ("add" or "change") rows of `model_label`, or None."""
    if scope.membership is None:
        return _("Your account holds no active role at a member or at the operator.")
    role = str(Role(scope.membership.role).label)
    if scope.membership.is_read_only:
        return _("Your role (%(role)s) gives read-only access.") % {"role": role}
    if not scope.can_write:
        return _("This API token is read-only; create a token that allows changes on your account page.")
    if not backoffice_allows(scope.membership.role, model_label, action):
        return str(_REFUSALS.get((model_label, action), _REFUSAL)) % {"role": role}
    return None


class RegistryWritePermission(BasePermission):
    """Writes for roles the table allows, on the view's `write_model` ("registry.site"…).

    On object routes the check waits for the object: an object outside the scope is a
    404 like a missing one, and only then is a write refused.
    """

    def __init__(self) -> None:
        self.message: str = ""

    def has_permission(self, request: Request, view: APIView) -> bool:
        # Creating is the one write without an object; other methods wait for the object
        # or, when the route has no such method, for DRF's 405.
        if getattr(view, "action", None) != "create":
            return True
        return self._allows(request, view, "add")

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return self._allows(request, view, "change")

    def _allows(self, request: Request, view: APIView, action: str) -> bool:
        refusal = write_refusal(scope_of(request), view.write_model, action)  # type: ignore[attr-defined]
        if refusal is not None:
            self.message = refusal
        return refusal is None
