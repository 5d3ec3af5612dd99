"""The back-office pages of service levels: business calendars (with their opening hours
and closures), policies (with their deadlines per priority and escalation rules), the
categories on their own policy, members' contracts, and the missed deadlines (read-only).
Registered by servicedesk.admin; scoped to the operator like the rest of the desk."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from mutualis.backoffice.choices import ScopedRelatedFilter, choices
from mutualis.backoffice.site import ReadOnlyAdmin, RoleInline

from .admin import OperatorOwnedAdmin
from .models import (
    BusinessCalendar,
    Category,
    CategoryServiceLevel,
    Closure,
    EscalationRule,
    OpeningRange,
    ServiceContract,
    SlaBreach,
    SlaPolicy,
    SlaTarget,
    Team,
    Ticket,
)
from .models.calendars import check_closures, check_week

SCOPED = {"calendar": BusinessCalendar, "policy": SlaPolicy, "team": Team, "category": Category}


def _scoped_foreign_key(request: HttpRequest, db_field: Any, kwargs: dict[str, Any]) -> None:
    """Choices of the operator's own calendars, policies, teams and categories only."""
    if db_field.name in SCOPED:
        kwargs["queryset"] = choices(SCOPED[db_field.name], request)


class OpeningRangeFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        """The whole week at once: overlaps, and a calendar that never opens (the parent's
        "24/7" box as posted with it)."""
        super().clean()
        if any(self.errors):
            return
        ranges = [
            (form.cleaned_data["weekday"], form.cleaned_data["starts_at"], form.cleaned_data["ends_at"])
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        try:
            check_week(ranges, always_open=self.instance.always_open)
        except ValidationError as exc:
            raise ValidationError(exc.messages) from exc


class OpeningRangeInline(RoleInline):
    model = OpeningRange
    formset = OpeningRangeFormSet


class ClosureFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        """The closures together: back to back, closures of months each can close the
        calendar for years, which leaves its tickets without deadlines."""
        super().clean()
        if any(self.errors):
            return
        closures = [
            (form.cleaned_data["first_day"], form.cleaned_data["last_day"])
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        try:
            check_closures(closures)
        except ValidationError as exc:
            raise ValidationError(exc.messages) from exc


class ClosureInline(RoleInline):
    model = Closure
    formset = ClosureFormSet


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(OperatorOwnedAdmin):
    list_display = ["name", "timezone", "always_open", "public_holidays"]
    search_fields = ["name"]
    inlines = [OpeningRangeInline, ClosureInline]


class SlaTargetInline(RoleInline):
    model = SlaTarget


class EscalationRuleInline(RoleInline):
    model = EscalationRule

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        _scoped_foreign_key(request, db_field, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(OperatorOwnedAdmin):
    list_display = ["name", "calendar", "is_default", "warn_percent", "warn_minutes_before"]
    list_select_related = ["calendar"]
    search_fields = ["name"]
    inlines = [SlaTargetInline, EscalationRuleInline]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        _scoped_foreign_key(request, db_field, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(CategoryServiceLevel)
class CategoryServiceLevelAdmin(OperatorOwnedAdmin):
    list_display = ["category", "policy"]
    list_select_related = ["category__parent__parent__parent", "policy"]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        _scoped_foreign_key(request, db_field, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(ServiceContract)
class ServiceContractAdmin(OperatorOwnedAdmin):
    list_display = ["member", "policy", "reference", "starts_on", "ends_on"]
    list_filter = [("policy", ScopedRelatedFilter)]
    search_fields = ["member__name", "reference"]
    autocomplete_fields = ["member"]
    list_select_related = ["member", "policy"]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        _scoped_foreign_key(request, db_field, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(SlaBreach)
class SlaBreachAdmin(ReadOnlyAdmin, OperatorOwnedAdmin):
    """The record of missed deadlines: written by the verbs and the sweep, never by hand."""

    list_display = ["ticket_number", "target", "due_at", "breached_at", "priority", "policy"]
    list_filter = ["target", "priority", ("policy", ScopedRelatedFilter)]
    search_fields = ["=ticket__number"]
    list_select_related = ["ticket", "policy"]
    date_hierarchy = "due_at"

    @admin.display(description=Ticket._meta.get_field("number").verbose_name, ordering="ticket__number")
    def ticket_number(self, breach: SlaBreach) -> int:
        return breach.ticket.number
