from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mutualis.backoffice.site import ReferenceAdmin, RoleInline, ScopedAdmin
from mutualis.people.models import Membership
from mutualis.people.services import people_left_without_a_role

from . import services
from .forms import EditedMeanwhileForm
from .models import (
    Asset,
    AssetModel,
    AssetStatusChange,
    AssetType,
    Commune,
    Departement,
    Epci,
    ImportBatch,
    Member,
    MemberService,
    Operator,
    Service,
    Site,
    SiteKind,
)


@admin.register(Departement)
class DepartementAdmin(ReferenceAdmin):
    list_display = ["code", "name", "region_code", "is_current"]
    search_fields = ["code", "name"]


@admin.register(Epci)
class EpciAdmin(ReferenceAdmin):
    list_display = ["name", "code", "kind", "population", "commune_count", "is_current"]
    list_filter = ["kind", "is_current"]
    search_fields = ["name", "code"]


@admin.register(Commune)
class CommuneAdmin(ReferenceAdmin):
    list_display = ["name", "code", "departement", "epci", "population", "is_current"]
    list_filter = ["departement", "is_current", "epci__kind"]
    search_fields = ["name", "code", "postal_codes"]
    list_select_related = ["departement", "epci"]
    autocomplete_fields = ["epci", "ept"]


@admin.register(Operator)
class OperatorAdmin(ScopedAdmin):
    """The operators are the installation's tenants: a platform administrator creates and
    deletes them; an operator's own admin sees and edits their operator alone (any operator
    admin could add, rename or delete any operator, found by probing the back office)."""

    scoped = False  # filtered below: the operator is not a member's row
    list_display = ["name", "short_name", "siren"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Operator]:
        operators = super().get_queryset(request)
        if request.user.is_superuser:
            return operators
        return operators.filter(pk=request.scope.operator_id)  # type: ignore[attr-defined]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser


@admin.register(Service)
class ServiceAdmin(ReferenceAdmin):
    list_display = ["name", "code", "is_active"]
    search_fields = ["name", "code"]


@admin.register(SiteKind)
class SiteKindAdmin(ReferenceAdmin):
    list_display = ["name", "code", "is_active"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}


@admin.register(AssetType)
class AssetTypeAdmin(ReferenceAdmin):
    list_display = ["name", "code", "expected_lifetime_months", "is_active"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}


@admin.register(AssetModel)
class AssetModelAdmin(ReferenceAdmin):
    # Staff registering equipment add the model they find on site; fixing or removing a
    # model other operators' equipment may use is the platform administrator's.
    shared_additions = True
    list_display = ["manufacturer", "name", "asset_type"]
    list_filter = ["asset_type"]
    search_fields = ["manufacturer", "name"]


class EditedMeanwhileAdmin(ScopedAdmin):
    """Change pages that do not overwrite what someone else changed while they were open
    (EditedMeanwhileForm): the form compares what the page showed with the row read under
    a lock, which a second page saved at the same instant waits for."""

    form = EditedMeanwhileForm

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        obj = super().get_object(request, object_id, from_field)
        # Django's change and delete views run in a transaction: lock the row found in the
        # scope, then read it again, now that no other writer holds it.
        if obj is not None and request.method == "POST" and transaction.get_connection().in_atomic_block:
            list(type(obj)._default_manager.select_for_update().filter(pk=obj.pk).values_list("pk"))
            obj.refresh_from_db()
        return obj

    def get_fieldsets(self, request: HttpRequest, obj: Model | None = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or "values_shown" in flatten_fieldsets(fieldsets):
            return fieldsets
        # Declared fieldsets list the fields shown; the fingerprint of the values shown goes
        # with the first.
        (name, options), *others = fieldsets
        return [(name, {**options, "fields": [*options["fields"], "values_shown"]}), *others]


class MemberServiceInline(RoleInline):
    model = MemberService
    extra = 0


@admin.register(Member)
class MemberAdmin(EditedMeanwhileAdmin):
    list_display = [
        "name",
        "kind",
        "establishment_type",
        "siren",
        "insee_display",
        "parent",
        "joined_on",
        "left_on",
    ]
    list_filter = ["kind", "establishment_type", "services", "departement", "commune__departement"]
    search_fields = ["name", "siren", "siret", "commune__code", "commune__name", "epci__code"]
    list_select_related = ["commune", "epci", "departement", "parent"]
    autocomplete_fields = ["commune", "epci", "departement", "parent"]
    inlines = [MemberServiceInline]
    fieldsets = [
        (None, {"fields": ["operator", "kind", "establishment_type", "name", "parent"]}),
        (_("Identifiers and territory"), {"fields": ["siren", "siret", "commune", "epci", "departement"]}),
        (_("Membership"), {"fields": ["joined_on", "left_on", "email", "phone"]}),
    ]

    @admin.display(description=_("INSEE code"))
    def insee_display(self, obj: Member) -> str:
        return obj.insee_code

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        """Deleting a member deletes the roles held at it; a person whose last role that is
        would be lost to every back office yet still able to log in (people.services). Such
        roles are shown as what stops the deletion, on the delete page and the bulk action."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        roles = Membership.objects.filter(member__in=[obj.pk for obj in objs]).values_list("pk", flat=True)
        stranded = people_left_without_a_role(set(roles))
        if stranded:
            last_role = gettext(
                "{person}: this is their last role; deactivate their account or give them another role first"
            )
            protected = [*protected, *(last_role.format(person=p.full_name or p.email) for p in stranded)]
        return deleted, counts, perms_needed, protected

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        if not request.user.is_superuser and "operator" in form.base_fields:
            # Staff create members for the operator they act for, never for another.
            field = form.base_fields["operator"]
            field.queryset = Operator.objects.filter(pk=request.scope.operator_id)  # type: ignore[attr-defined]
            field.initial = request.scope.operator_id  # type: ignore[attr-defined]
        return form


@admin.register(Site)
class SiteAdmin(EditedMeanwhileAdmin):
    list_display = ["name", "kind", "member", "commune", "code", "is_active", "asset_count"]
    list_filter = ["kind", "is_active", "member__kind", "commune__departement"]
    search_fields = ["name", "code", "address", "commune__name", "commune__code", "member__name"]
    list_select_related = ["kind", "member", "commune"]
    autocomplete_fields = ["member", "commune"]
    # Explicit: the asset count's GROUP BY drops the model's default ordering, and the
    # autocomplete used by equipment forms pages through this queryset.
    ordering = ["name", "pk"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Site]:
        return super().get_queryset(request).annotate(asset_total=Count("assets"))

    @admin.display(description=_("assets"), ordering="asset_total")
    def asset_count(self, obj: Any) -> int:
        return int(obj.asset_total)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "member" and not request.user.is_superuser:
            kwargs["queryset"] = Member.objects.visible_to(request.scope)  # type: ignore[attr-defined]
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class AssetStatusChangeInline(RoleInline):
    model = AssetStatusChange
    extra = 0
    can_delete = False
    fields = ("changed_at", "from_status", "to_status", "changed_by", "note")
    readonly_fields = fields
    ordering = ["-changed_at", "-id"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AssetAdminForm(EditedMeanwhileForm):
    status_note = forms.CharField(label=_("Note on the status change"), required=False, max_length=500)

    class Meta:
        model = Asset
        fields = [
            "site",
            "asset_type",
            "model",
            "inventory_tag",
            "serial_number",
            "label",
            "status",
            "acquired_on",
            "acquisition_cost",
            "warranty_ends_on",
            "parent",
            "notes",
        ]

    def clean_status(self) -> str:
        status: str = self.cleaned_data["status"]
        if self.instance.pk and status != self.initial.get("status"):
            try:
                services.check_transition(self.initial["status"], status)
            except ValidationError as exc:
                raise ValidationError(exc.messages) from exc
        return status


@admin.register(Asset)
class AssetAdmin(EditedMeanwhileAdmin):
    form = AssetAdminForm
    list_display = [
        "inventory_tag",
        "asset_type",
        "model",
        "serial_number",
        "site",
        "status",
        "warranty_ends_on",
    ]
    list_filter = ["status", "asset_type", "site__kind", "site__member__kind", "model__manufacturer"]
    search_fields = [
        "inventory_tag",
        "serial_number",
        "label",
        "site__name",
        "site__member__name",
        "model__name",
    ]
    list_select_related = ["asset_type", "model", "site"]
    autocomplete_fields = ["site", "model", "parent"]
    readonly_fields = ["status_changed_at"]
    inlines = [AssetStatusChangeInline]

    def save_model(self, request: HttpRequest, obj: Asset, form: Any, change: bool) -> None:
        note = form.cleaned_data.get("status_note", "")
        if not change:
            super().save_model(request, obj, form, change)
            services.record_initial_status(asset=obj, by=request.user, note=note)  # type: ignore[arg-type]
            return
        if "status" in form.changed_data:
            new_status = obj.status
            obj.status = form.initial["status"]
            super().save_model(request, obj, form, change)
            services.change_asset_status(asset=obj, status=new_status, by=request.user, note=note)  # type: ignore[arg-type]
            return
        super().save_model(request, obj, form, change)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "site" and not request.user.is_superuser:
            kwargs["queryset"] = Site.objects.visible_to(request.scope)  # type: ignore[attr-defined]
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(ImportBatch)
class ImportBatchAdmin(ScopedAdmin):
    """Imports are made and applied from the import pages, which re-check the file; the
    back-office only lists them, for traceability."""

    list_display = ["created_at", "kind", "mode", "file_name", "status", "created_by", "applied_at"]
    list_filter = ["kind", "status", "mode"]
    search_fields = ["file_name", "created_by__email"]
    list_select_related = ["created_by"]
    readonly_fields = [
        "operator",
        "kind",
        "mode",
        "file_name",
        "size",
        "sha256",
        "created_by",
        "created_at",
        "status",
        "applied_at",
        "applied_by",
    ]
    exclude = ["file", "report"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
