from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from mutualis.people.roles import backoffice_allows


class BackOfficeSite(admin.AdminSite):
    site_header = _("Mutualis back-office")
    site_title = _("Mutualis back-office")
    index_title = _("Registry and people")
    site_url = "/"

    def has_permission(self, request: HttpRequest) -> bool:
        """Operator staff only, whatever their role; members never reach the back-office."""
        user = request.user
        return bool(user.is_active and (user.is_superuser or request.scope.is_operator_staff))  # type: ignore[attr-defined]


class ScopedAdmin(admin.ModelAdmin):
    """Back-office pages for member data: rows through the tenancy door, actions by role.

    `scoped = True` models are read through their `visible_to(scope)` QuerySet method;
    reference lists (communes, kinds, types) are shared by all and only permissions apply.
    """

    scoped = True
    list_per_page = 50
    show_full_result_count = False  # a COUNT(*) over the whole fleet on every page is wasted work

    class Media:
        # Names for the boxes Django leaves unnamed: rows added to inlines, autocompletes.
        js = ["web/backoffice.js"]

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Any]:
        qs = super().get_queryset(request)
        if self.scoped and not request.user.is_superuser:
            qs = qs.visible_to(request.scope)  # type: ignore[attr-defined]
        return qs

    def _allows(self, request: HttpRequest, action: str) -> bool:
        if request.user.is_superuser:
            return True
        role = request.scope.role  # type: ignore[attr-defined]
        return bool(role) and backoffice_allows(role, self.model._meta.label_lower, action)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allows(request, "view") or self._allows(request, "change")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._allows(request, "add")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allows(request, "change")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allows(request, "delete")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)


class RoleInline(admin.TabularInline):
    """Rows edited on their parent's page, with the parent's permissions by role (as
    ScopedAdmin gives them), not Django's per-user permissions, which staff do not hold."""

    extra = 0

    def _allows(self, request: HttpRequest, action: str) -> bool:
        if request.user.is_superuser:
            return True
        role = request.scope.role  # type: ignore[attr-defined]
        return bool(role) and backoffice_allows(role, self.parent_model._meta.label_lower, action)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allows(request, "view") or self._allows(request, "change")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allows(request, "change")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allows(request, "change")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allows(request, "change")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records nobody edits by hand (tickets, breaches, the outbox): the verbs write them;
    the back-office only shows them. Put it before the base admin class."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReferenceAdmin(ScopedAdmin):
    """Lists every operator of the installation shares (the official geography, services,
    site kinds, equipment types and models). Operator staff read them; only a platform
    administrator changes or deletes a row, since a rename or a deletion by one operator
    would reach every other's members, sites and equipment. Where the role table lets
    operator staff add rows (`shared_additions`), they may: a new row takes nothing from
    anyone."""

    scoped = False
    shared_additions = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or (self.shared_additions and super().has_add_permission(request))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)
