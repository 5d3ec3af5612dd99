"""The catalogue editor and the desk's reference lists, in the back-office.

Operator admins edit categories, incident types with their questions, the kinds of site
each type is offered to, members' exceptions, teams and the desk's settings. Tickets are
handled on the desk's own pages; the back-office only lists them.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from mutualis.backoffice.choices import ScopedRelatedFilter, choices
from mutualis.backoffice.deletion import BoundedDeletionSummary
from mutualis.backoffice.site import ReadOnlyAdmin, RoleInline, ScopedAdmin
from mutualis.people.models import User
from mutualis.people.roles import OPERATOR_ROLES
from mutualis.registry.models import Operator

from .mail import admin as mail_admin  # noqa: F401 - registers the email templates and the outbox
from .models import CatalogueOverride, Category, DeskSettings, FormField, IncidentType, Team, Ticket


class OperatorOwnedAdmin(BoundedDeletionSummary, ScopedAdmin):
    """New rows belong to the operator the staff member acts for, never another. Delete
    pages name a bounded number of rows per kind: a policy's contracts, a category's or a
    team's thousands of tickets (backoffice.deletion)."""

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        if "operator" in form.base_fields and not request.user.is_superuser:
            field = form.base_fields["operator"]
            field.queryset = Operator.objects.filter(pk=request.scope.operator_id)  # type: ignore[attr-defined]
            field.initial = request.scope.operator_id  # type: ignore[attr-defined]
        return form

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        scoped = {
            "category": Category,
            "parent": Category,
            "default_team": Team,
            "incident_type": IncidentType,
            "email_incident_type": IncidentType,  # DeskSettings: the type email requests open
        }
        if db_field.name in scoped:
            kwargs["queryset"] = choices(scoped[db_field.name], request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Team)
class TeamAdmin(OperatorOwnedAdmin):
    list_display = ["name", "code", "lead", "email", "is_active"]
    list_select_related = ["lead"]
    search_fields = ["name", "code"]
    filter_horizontal = ["members"]
    prepopulated_fields = {"code": ["name"]}

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "members":
            # Only the operator's own staff can be in its teams.
            kwargs["queryset"] = User.objects.filter(
                memberships__operator_id=request.scope.operator_id,  # type: ignore[attr-defined]
                memberships__member__isnull=True,
                memberships__role__in=OPERATOR_ROLES,
                memberships__is_active=True,
            ).distinct()
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(Category)
class CategoryAdmin(OperatorOwnedAdmin):
    list_display = ["__str__", "position", "is_active"]
    list_filter = ["is_active", ("parent", ScopedRelatedFilter)]
    search_fields = ["name"]
    list_select_related = ["parent__parent__parent"]


class FormFieldForm(forms.ModelForm):
    choices = forms.CharField(
        label=_("choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 30}),
        help_text=_("One option per line, for one or several choices."),
    )

    class Meta:
        model = FormField
        fields = ["position", "key", "label", "kind", "required", "help_text", "choices"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and isinstance(self.instance.choices, list):
            self.initial["choices"] = "\n".join(self.instance.choices)

    def clean_choices(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["choices"].splitlines() if line.strip()]


class FormFieldInline(RoleInline):
    model = FormField
    form = FormFieldForm
    extra = 0
    ordering = ["position", "pk"]


@admin.register(IncidentType)
class IncidentTypeAdmin(OperatorOwnedAdmin):
    list_display = ["name", "category", "default_priority", "default_team", "asset_type", "is_active"]
    list_filter = [
        "is_active",
        ("category", ScopedRelatedFilter),
        "site_kinds",
        "default_priority",
        ("default_team", ScopedRelatedFilter),
    ]
    search_fields = ["name", "keywords", "category__name"]
    list_select_related = ["category__parent__parent__parent", "default_team", "asset_type"]
    inlines = [FormFieldInline]
    fieldsets = [
        (
            None,
            {"fields": ["operator", "category", "name", "description", "keywords", "position", "is_active"]},
        ),
        (_("Offered to"), {"fields": ["site_kinds"]}),
        (_("Handling"), {"fields": ["default_priority", "default_team"]}),
        (_("Equipment"), {"fields": ["asset_type", "asset_required"]}),
    ]

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "site_kinds":
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(CatalogueOverride)
class CatalogueOverrideAdmin(OperatorOwnedAdmin):
    list_display = ["member", "incident_type", "enabled"]
    list_filter = ["enabled"]
    search_fields = ["member__name", "incident_type__name"]
    autocomplete_fields = ["member", "incident_type"]
    list_select_related = ["member", "incident_type__category__parent__parent__parent"]


@admin.register(DeskSettings)
class DeskSettingsAdmin(OperatorOwnedAdmin):
    list_display = ["operator", "reopen_days", "close_after_days", "max_attachment_mb", "max_attachments"]


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin, ScopedAdmin):
    """A read-only list for looking a ticket up; handling happens on the desk's pages."""

    list_display = [
        "number",
        "title",
        "member",
        "site",
        "state",
        "priority",
        "team",
        "assignee",
        "created_at",
    ]
    list_filter = ["state", "priority", ("team", ScopedRelatedFilter), "channel"]
    search_fields = ["=number", "title"]
    list_select_related = ["member", "site", "team", "assignee"]
    readonly_fields = [f.name for f in Ticket._meta.fields if not f.name.startswith("search")]
    exclude = ["search_text", "search_internal", "search_vector", "search_vector_internal"]


# Service levels' and reply templates' pages subclass OperatorOwnedAdmin, hence registered
# after it exists.
from . import admin_reply_templates, admin_service_levels  # noqa: E402, F401
