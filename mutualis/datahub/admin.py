"""The data hub in the back-office: tenants, entities and subscriptions, read through the
tenancy door; the contexts cache for operator admins. Writes go through the NGSI-LD API
(one write path), so these pages only read, except purging a cached context."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from mutualis.backoffice.site import ScopedAdmin

from .alerts import admin as alerts_admin  # noqa: F401 - registers the alert rules and states
from .ingestion.reasons import REASONS, detail_shown, reason_label
from .models import DeadLetter, Entity, StoredContext, Subscription, Tenant


class ReadOnlyScopedAdmin(ScopedAdmin):
    def _allows(self, request: HttpRequest, action: str) -> bool:
        return action == "view" and super()._allows(request, "view")

    # The `tenant` foreign keys have no label of their own: Django would head the column
    # with the field's English name, "Tenant". The glossary's word instead.
    @admin.display(description=_("data hub tenant"), ordering="tenant__name")
    def tenant_shown(self, obj: Entity | Subscription | DeadLetter) -> Tenant | None:
        return obj.tenant


def _pretty(value: Any, name: str) -> str:
    # Long JSON lines scroll sideways inside the <pre> (a phone, a long IRI): it takes the
    # keyboard's focus so that the arrow keys scroll it, and is a region named after the
    # field (WCAG 2.1.1; axe's scrollable-region-focusable, found at 390 px).
    return format_html(
        '<pre tabindex="0" role="region" aria-label="{}">{}</pre>',
        name,
        json.dumps(value, indent=2, ensure_ascii=False),
    )


@admin.register(Tenant)
class TenantAdmin(ReadOnlyScopedAdmin):
    list_display = ["__str__", "name", "member", "created_at"]
    search_fields = ["name", "member__name"]
    list_select_related = ["member"]


@admin.register(Entity)
class EntityAdmin(ReadOnlyScopedAdmin):
    list_display = ["entity_id", "type", "tenant_shown", "site", "asset", "modified_at"]
    list_filter = ["type"]
    search_fields = ["entity_id"]
    list_select_related = ["tenant", "site", "asset__asset_type"]
    ordering = ["entity_id"]
    fields = [
        "entity_id",
        "tenant_shown",
        "types",
        "site",
        "asset",
        "created_at",
        "modified_at",
        "attributes_display",
    ]
    readonly_fields = ["tenant_shown", "attributes_display"]

    @admin.display(description=_("attributes"))
    def attributes_display(self, obj: Entity) -> str:
        return _pretty(obj.attributes, str(_("attributes")))


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyScopedAdmin):
    list_display = [
        "subscription_id",
        "name",
        "tenant_shown",
        "status",
        "times_sent",
        "times_failed",
        "last_failure",
    ]
    list_filter = ["status"]
    search_fields = ["subscription_id", "name", "endpoint"]
    list_select_related = ["tenant"]
    fields = [
        "subscription_id",
        "name",
        "tenant_shown",
        "status",
        "endpoint",
        "throttling",
        "expires_at",
        "times_sent",
        "times_failed",
        "last_notification",
        "last_success",
        "last_failure",
        "last_failure_reason",
        "definition_display",
    ]
    readonly_fields = ["tenant_shown", "definition_display"]

    @admin.display(description=_("definition"))
    def definition_display(self, obj: Subscription) -> str:
        return _pretty(obj.definition, str(_("definition")))


@admin.register(StoredContext)
class StoredContextAdmin(ScopedAdmin):
    """Vocabulary shared by all tenants; operator admins may purge a cached document so that
    it is fetched again."""

    scoped = False
    list_display = ["url", "size", "fetched_at", "expires_at"]
    search_fields = ["url"]
    readonly_fields = ["url", "document", "fetched_at", "expires_at", "size"]

    def _allows(self, request: HttpRequest, action: str) -> bool:
        if request.user.is_superuser:
            return action in ("view", "delete")
        return action in ("view", "delete") and request.scope.is_operator_admin  # type: ignore[attr-defined]


class ReasonFilter(admin.SimpleListFilter):
    """The reasons of the letters the operator has, by their label: the stored codes
    (`too_large`, `bad_value`) are the API's English, not words for the back office."""

    title = _("reason")
    parameter_name = "reason"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]) -> list[tuple[str, str]]:
        codes = model_admin.get_queryset(request).order_by().values_list("reason", flat=True).distinct()
        known = [code for code in REASONS if code in set(codes)]
        return [(code, reason_label(code)) for code in [*known, *sorted(set(codes) - set(known))]]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        return queryset.filter(reason=self.value()) if self.value() else queryset


@admin.register(DeadLetter)
class DeadLetterAdmin(ReadOnlyScopedAdmin):
    """What the ingestion rejected, with the reason, so that a sensor or the registry can be
    fixed; filtering by reason gives the count of each."""

    list_display = [
        "received_at",
        "reason_shown",
        "source",
        "tenant_shown",
        "topic",
        "detail_shown",
        "times_seen",
        "last_seen_at",
    ]
    list_filter = [ReasonFilter, "source"]
    search_fields = ["topic", "detail", "payload"]
    list_select_related = ["tenant"]
    date_hierarchy = "received_at"
    show_full_result_count = True
    # A letter received again (a redelivery, a resend) is counted, not repeated: how many
    # times, and when last.
    fields = [
        "received_at",
        "times_seen",
        "last_seen_at",
        "source",
        "tenant_shown",
        "topic",
        "reason_shown",
        "detail_shown",
        "payload",
    ]
    readonly_fields = ["tenant_shown", "reason_shown", "detail_shown"]

    # The reason and the detail are stored as the ingestion answers them, in English
    # (mutualis.datahub.ingestion.reasons); shown in the back office's language.
    @admin.display(description=_("reason"), ordering="reason")
    def reason_shown(self, obj: DeadLetter) -> str:
        return reason_label(obj.reason)

    @admin.display(description=_("detail"))
    def detail_shown(self, obj: DeadLetter) -> str:
        return detail_shown(obj.detail)
