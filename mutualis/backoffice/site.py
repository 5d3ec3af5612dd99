from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import BadRequest, PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from mutualis.lib.storable_text import is_storable
from mutualis.people.roles import backoffice_allows

from .sent_values import BoundedChangeList, ReadableAutocompletes

View = TypeVar("View", bound=Callable[..., HttpResponseBase])


class BackOfficeSite(admin.AdminSite):
    site_header = _("Mutualis back-office")
    site_title = _("Mutualis back-office")
    index_title = _("Registry and people")
    site_url = "/"

    def has_permission(self, request: HttpRequest) -> bool:
        """Operator staff only, whatever their role; members never reach the back-office."""
        user = request.user
        return bool(user.is_active and (user.is_superuser or request.scope.is_operator_staff))  # type: ignore[attr-defined]

    def admin_view(self, view: View, cacheable: bool = False) -> View:
        guarded = super().admin_view(view, cacheable)

        @wraps(view)
        def storable_query(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            # Every page's query string reaches the database (searches, list filters,
            # autocompletes): text no database holds is refused here, where PostgreSQL
            # answered a filter such as ?memberships__role=%00 with a 500.
            for name, values in request.GET.lists():
                if not all(is_storable(text) for text in (name, *values)):
                    raise BadRequest("The query string holds a NUL character or a lone surrogate.")
            return guarded(request, *args, **kwargs)

        return cast(View, storable_query)

    def autocomplete_view(self, request: HttpRequest) -> HttpResponse:
        # A JsonResponse: as_view() is typed for any view's response.
        return cast(HttpResponse, AutocompleteView.as_view(admin_site=self)(request))

    def autocomplete_fields(self) -> frozenset[tuple[str, str]]:
        """(model label, field name) of every autocomplete box of the back office: the
        `autocomplete_fields` of each registered admin and of its inlines."""
        pairs: set[tuple[str, str]] = set()
        for model, model_admin in self._registry.items():
            pairs.update((model._meta.label_lower, name) for name in model_admin.autocomplete_fields)
            for inline in model_admin.inlines:
                label = inline.model._meta.label_lower
                pairs.update((label, name) for name in inline.autocomplete_fields)
        return frozenset(pairs)


class AutocompleteView(AutocompleteJsonView):
    """Django's view behind the autocomplete boxes, answering 4xx to what no box asks.

    Django serves any relation of any model whose target has an admin with search fields;
    a reverse relation (`people.user`'s `memberships`) then failed with a 500, and so did a
    search for a NUL character on PostgreSQL. Here only the fields the back office shows as
    autocomplete boxes are served (403 otherwise, Django's answer to a malformed request);
    text no database holds is a 400 (BackOfficeSite.admin_view). Bad page numbers stay
    Django's 404.
    """

    admin_site: BackOfficeSite

    def process_request(self, request: HttpRequest) -> Any:
        try:
            model = apps.get_model(request.GET["app_label"], request.GET["model_name"])
        except (KeyError, LookupError) as exc:
            raise PermissionDenied from exc
        if (
            model._meta.label_lower,
            request.GET.get("field_name"),
        ) not in self.admin_site.autocomplete_fields():
            raise PermissionDenied
        return super().process_request(request)


class ScopedAdmin(ReadableAutocompletes, admin.ModelAdmin):
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

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return BoundedChangeList

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

    # Django's titles glue the model's name to a French preposition ("Ajout de équipe",
    # "Modification de équipe"), wrong before a vowel and blind to gender: ours name the
    # action, then the model after a colon, which reads right for every model.
    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        name = self.opts.verbose_name
        if add:
            title = pgettext("back office title", "Add %(name)s")
        elif self.has_change_permission(request, obj):
            title = pgettext("back office title", "Change %(name)s")
        else:
            title = pgettext("back office title", "View %(name)s")
        context["title"] = title % {"name": name}
        return super().render_change_form(request, context, add, change, form_url, obj)

    def render_delete_form(self, request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
        if context.get("perms_lacking") or context.get("protected"):
            title = pgettext("back office title", "Cannot delete %(name)s")
        else:
            title = pgettext("back office title", "Delete %(name)s")
        context["title"] = title % {"name": self.opts.verbose_name}
        return super().render_delete_form(request, context)


class RoleInline(ReadableAutocompletes, admin.TabularInline):
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
