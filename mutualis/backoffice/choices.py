"""What the back office offers to choose from: another model's rows, in a list filter or a
drop-down, scoped to the staff member's operator and named in one query.

Django builds both from the related model's default manager: every operator's rows (a
category, team, SLA policy or alert rule of another operator named in the filter sidebar),
and each named by its `__str__`, which for a category walks its parents a query at a time.
Models whose names read other rows say so with a `labelled()` QuerySet method (the
relations their `__str__` follows, selected along).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest


def choices(model: type[models.Model], request: HttpRequest) -> models.QuerySet[Any]:
    """The rows of `model` the back office may offer `request`'s staff member."""
    queryset: Any = model._default_manager.all()
    if not request.user.is_superuser and hasattr(queryset, "visible_to"):
        queryset = queryset.visible_to(request.scope)  # type: ignore[attr-defined]
    if hasattr(queryset, "labelled"):
        queryset = queryset.labelled()
    return queryset


class ScopedRelatedFilter(admin.RelatedFieldListFilter):
    """A list filter by a related row (`list_filter = [("team", ScopedRelatedFilter)]`)
    offering the operator's own rows only."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        queryset = choices(field.related_model, request)
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            queryset = queryset.order_by(*ordering)
        # (the filter compares the query string's text with these keys, hence str)
        return [(str(row.pk), str(row)) for row in queryset]
