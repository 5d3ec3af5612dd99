"""Reports in the back-office: operator admins manage who receives which report; generated
reports and their emails are listed read-only (the verbs write them)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from mutualis.backoffice.site import ReadOnlyAdmin, ScopedAdmin
from mutualis.people.models import User
from mutualis.registry.models import Member

from ..models import GeneratedReport, ReportKind, ReportSubscription
from . import generation

MUST_NAME_MEMBER = _("A monthly report is a member's: choose the member.")
MUST_NOT_NAME_MEMBER = _("The yearly report is the operator's: leave the member empty.")
NOT_ALLOWED = _("This person may not read this report.")


class SubscriptionForm(forms.ModelForm):
    class Meta:
        model = ReportSubscription
        fields = ["user", "kind", "member", "active"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, member, user = data.get("kind"), data.get("member"), data.get("user")
        if kind == ReportKind.MEMBER_MONTHLY and member is None:
            self.add_error("member", forms.ValidationError(MUST_NAME_MEMBER))
        if kind == ReportKind.OPERATOR_YEARLY and member is not None:
            self.add_error("member", forms.ValidationError(MUST_NOT_NAME_MEMBER))
        operator_id = getattr(self, "operator_id", None)
        if user is not None and kind and operator_id and not self.errors:
            allowed = generation.may_receive(
                user, kind=kind, operator_id=operator_id, member_id=member.pk if member else None
            )
            if not allowed:
                self.add_error("user", forms.ValidationError(NOT_ALLOWED))
        return data


@admin.register(ReportSubscription)
class ReportSubscriptionAdmin(ScopedAdmin):
    form = SubscriptionForm
    list_display = ["user", "kind", "member", "active", "created_at"]
    list_filter = ["kind", "active"]
    search_fields = ["user__full_name", "user__email", "member__name"]
    list_select_related = ["user", "member"]
    autocomplete_fields = ["member"]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        operator_id = request.scope.operator_id  # type: ignore[attr-defined]
        # The form checks the person may read the report of the operator acted for.
        form.operator_id = obj.operator_id if obj is not None else operator_id  # type: ignore[attr-defined]
        return form

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if not request.user.is_superuser:
            scope = request.scope  # type: ignore[attr-defined]
            if db_field.name == "member":
                kwargs["queryset"] = Member.objects.visible_to(scope)
            elif db_field.name == "user":
                kwargs["queryset"] = User.objects.visible_to(scope)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: ReportSubscription, form: Any, change: bool) -> None:
        if obj.member_id is None and not obj.operator_id:
            obj.operator_id = request.scope.operator_id  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)


@admin.register(GeneratedReport)
class GeneratedReportAdmin(ReadOnlyAdmin, ScopedAdmin):
    list_display = [
        "kind",
        "member",
        "period_start",
        "status",
        "version",
        "size",
        "generated_at",
        "created_by",
    ]
    list_filter = ["kind", "status"]
    search_fields = ["member__name"]
    list_select_related = ["member", "created_by"]
    exclude = ["file"]
