"""Query parameters of the ticket API: the filters of the ticket pages, parsed strictly (an
unknown name or value is a 400 naming it) and applied by `selectors.filter_tickets`."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from mutualis.lib.numbers import whole_number
from mutualis.people.models import User
from mutualis.people.tenancy import Scope
from mutualis.registry.api.fields import StrictChoiceField, code_field, scoped_id_field, updated_since_field
from mutualis.registry.api.filters import ListFilters
from mutualis.registry.models import Asset, Member, Site, SiteKind
from mutualis.web.date_fields import within_calendar

from .. import selectors
from ..models import Category, IncidentType, Team, Ticket, TicketState
from .fields import PriorityField
from .inputs import OperatorRowsMixin, rows_of_operator


@extend_schema_field(OpenApiTypes.STR)
class AssigneeFilterField(serializers.Field):
    """`me`, `none`, or the id of a person the scope sees."""

    default_error_messages = {
        "invalid": _("Give me, none, or the id of a person of the operator's staff."),
    }

    def to_internal_value(self, data: Any) -> str | User:
        if data in ("me", "none"):
            return str(data)
        scope: Scope | None = self.context.get("scope")
        # ASCII digits of a bounded length: a 5,000-digit id, which int() refuses, was a 500.
        pk = whole_number(str(data))
        if scope is None or pk is None:
            self.fail("invalid")
        person = User.objects.visible_to(scope).filter(pk=pk).first()
        if person is None:
            self.fail("invalid")
        return person


class NoFilters(ListFilters):
    """For lists given whole (a ticket's timeline): no parameter at all."""

    also_allowed = frozenset()


class TicketFilters(OperatorRowsMixin, ListFilters):
    view = StrictChoiceField(
        choices=[(selectors.View.MINE, _("the tickets I declared")), (selectors.View.ALL, _("all in scope"))],
        required=False,
        help_text="`mine`: only the tickets the caller declared (or was declared for).",
    )
    state = StrictChoiceField(
        choices=[("open", _("open (any state before resolved)")), *TicketState.choices],
        required=False,
        help_text="A state, or `open` for every state before resolved.",
    )
    priority = PriorityField(required=False, help_text="1 (critical) to 4 (low).")
    member = scoped_id_field(Member, _("No such member."), required=False, help_text="Id of the member.")
    site = scoped_id_field(Site, _("No such site."), required=False, help_text="Id of the site.")
    site_kind = code_field(
        SiteKind.objects.all(),
        _("No kind of site has the code “{value}”."),
        required=False,
        help_text="Code of the kind of site.",
    )
    category = scoped_id_field(
        Category,
        _("No such category."),
        required=False,
        help_text="Id of a category; its sub-categories are included.",
    )
    incident_type = scoped_id_field(
        IncidentType, _("No such incident type."), required=False, help_text="Id of the incident type."
    )
    team = scoped_id_field(Team, _("No such team."), required=False, help_text="Id of the team.")
    assignee = AssigneeFilterField(
        required=False, help_text="`me`, `none` (not assigned) or the id of a person of the operator's staff."
    )
    older_than_days = serializers.IntegerField(
        required=False, min_value=1, max_value=3650, help_text="Declared more than this many days ago."
    )
    created_after = serializers.DateField(
        required=False, validators=[within_calendar], help_text="Declared on or after this day (YYYY-MM-DD)."
    )
    created_before = serializers.DateField(
        required=False, validators=[within_calendar], help_text="Declared on or before this day (YYYY-MM-DD)."
    )
    asset = scoped_id_field(Asset, _("No such asset."), required=False, help_text="Id of linked equipment.")
    q = serializers.CharField(
        required=False,
        max_length=100,
        help_text="Words of the number, title, description, answers or public replies (and, for the "
        "operator's staff, internal notes); `-word` excludes.",
    )
    updated_since = updated_since_field(
        help_text="Only tickets changed at or after this ISO 8601 time, e.g. 2025-01-31T08:00:00Z."
    )

    operator_rows = {
        "category": rows_of_operator(Category),
        "incident_type": rows_of_operator(IncidentType),
        "team": rows_of_operator(Team),
    }

    def apply(self, queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
        data = self.validated_data
        scope: Scope = self.context["scope"]
        if data.get("view") == selectors.View.MINE:
            # The selector says what "mine" means; `&` keeps this queryset's joins.
            queryset = queryset & selectors.tickets_for(scope, selectors.View.MINE)
        queryset = selectors.filter_tickets(queryset, data, scope=scope)
        if "updated_since" in data:
            queryset = queryset.filter(updated_at__gte=data["updated_since"])
        return queryset


class CatalogueFilters(ListFilters):
    also_allowed = frozenset()

    q = serializers.CharField(
        required=False,
        max_length=100,
        help_text="Words to find in the type's name, category, description or search words; accents ignored.",
    )
