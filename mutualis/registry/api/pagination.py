"""Keyset paging for the API, strict about what clients send."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor
from rest_framework.request import Request

from mutualis.lib.pagination import KeysetPagination

# ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
_DIGITS = re.compile(r"[0-9]+")


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
        if not _DIGITS.fullmatch(raw) or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError(
                {"limit": _("Give a whole number from 1 to %(max)d.") % {"max": self.max_page_size}}
            )
        return int(raw)

    def decode_cursor(self, request: Request) -> Cursor | None:
        cursor = super().decode_cursor(request)
        # Every API list is ordered by the integer primary key.
        if cursor is not None and cursor.position is not None and not _DIGITS.fullmatch(str(cursor.position)):
            raise NotFound(self.invalid_cursor_message)
        return cursor


class NewestFirstPagination(ApiPagination):
    """For histories: the latest change first."""

    ordering = "-id"
