from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework.request import Request

from mutualis.registry.api.pagination import NewestFirstPagination

from ..selectors import rows_by_ids
from .serializers import LIST_COLUMNS


class TicketPagination(NewestFirstPagination):
    """Keyset pages of tickets read in two steps, like the pages' lists (selectors.keyset_page):
    the ids by the filters alone, then those rows with what a list shows. In one query the
    planner joined ten tables before cutting the page, and re-ran a full-text search's
    matches through them (bench/, docs/benchmarks.md)."""

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any] | None:
        if not isinstance(queryset, QuerySet):  # DRF allows sequences too: nothing to split then
            return super().paginate_queryset(queryset, request, view)
        ids = self.page_ids(queryset, request, view)
        if ids is None:
            return None
        # Only the columns the list's serializer shows: without the description, the answers
        # and the search vectors, and only the summaries' columns of the eight related rows
        # (building eight full model instances per ticket was a third of the list's time).
        return rows_by_ids(queryset.only(*LIST_COLUMNS), ids)

    def page_ids(self, queryset: QuerySet[Any], request: Request, view: Any = None) -> list[int] | None:
        """The ids of the page asked, by the list's filters alone (the links of the answer
        follow from them)."""
        ids = super().paginate_queryset(queryset.values("id"), request, view)
        return None if ids is None else [row["id"] for row in ids]
