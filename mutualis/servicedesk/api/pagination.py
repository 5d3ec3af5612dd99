from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework.request import Request

from mutualis.registry.api.pagination import NewestFirstPagination


class TicketPagination(NewestFirstPagination):
    """Keyset pages of tickets read in two steps, like the pages' lists (selectors.keyset_page):
    the ids by the filters alone (`page_ids`), then those rows with what a list shows
    (`serializers.list_rows`). In one query the planner joined ten tables before cutting the
    page, and re-ran a full-text search's matches through them (bench/, docs/benchmarks-history.md)."""

    def page_ids(self, queryset: QuerySet[Any], request: Request, view: Any = None) -> list[int] | None:
        """The ids of the page asked, by the list's filters alone (the links of the answer
        follow from them)."""
        ids = super().paginate_queryset(queryset.values("id"), request, view)
        return None if ids is None else [row["id"] for row in ids]
