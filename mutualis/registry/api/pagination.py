"""Keyset paging for the API, strict about what clients send."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor
from rest_framework.request import Request

from mutualis.lib.numbers import whole_number
from mutualis.lib.pagination import KeysetPagination

_MAX_CURSOR_DIGITS = 100


class ApiPagination(KeysetPagination):
    """KeysetPagination that refuses what it would otherwise guess at.

    DRF falls back to the default page size for a `limit` it cannot read; a script asking
    for `limit=all` would then believe it had everything, so a bad limit is a 400. A cursor
    is opaque but travels through clients: DRF checks its encoding, not that the position
    inside is an id, and a non-numeric position would fail in the database (a 500).
    """

    # A lazy translation, rendered in the language of each request.
    invalid_cursor_message = gettext_lazy(  # type: ignore[assignment]
        "This cursor is not one the API gave out; start again from the first page."
    )

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param or "limit")
        if raw is None:
            return self.page_size
        # whole_number: ASCII digits of a bounded length ("²" and a 5,000-digit limit, which
        # int() refuses, were a 500).
        size = whole_number(raw)
        if size is None or not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {"limit": _("Give a whole number from 1 to %(max)d.") % {"max": self.max_page_size}}
            )
        return size

    def decode_cursor(self, request: Request) -> Cursor | None:
        cursor = super().decode_cursor(request)
        # Every API list is ordered by the integer primary key.
        # A position beyond the last id is an empty page (the database compares it); one of
        # thousands of digits, which int() refuses (a 500), was never given out.
        if cursor is not None and cursor.position is not None:
            position = str(cursor.position)
            if whole_number(position, max_digits=_MAX_CURSOR_DIGITS) is None:
                raise NotFound(self.invalid_cursor_message)
        return cursor

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        # DRF's own descriptions are translated (the schema came out half in French) and say
        # nothing of the bounds, which a client exceeding them meets as a 400.
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Opaque position in the list: give the `next` or `previous` address of a page, "
                "never a cursor built by hand (an altered cursor is a 404).",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page, 1 to {self.max_page_size} (default {self.page_size}); "
                "any other value is a 400.",
                # `?limit=` is a 400 like any other value out of bounds, not the default.
                "allowEmptyValue": False,
                "schema": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                },
            },
        ]

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        paginated = super().get_paginated_response_schema(schema)
        # Both links are always there, null at either end of the list.
        paginated["required"] = ["next", "previous", "results"]
        for link in ("next", "previous"):
            paginated["properties"][link]["description"] = (
                f"Address of the {link} page, with the same filters; null when there is none."
            )
        return paginated


class NewestFirstPagination(ApiPagination):
    """For histories: the latest change first."""

    ordering = "-id"
