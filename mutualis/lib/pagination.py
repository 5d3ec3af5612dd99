from __future__ import annotations

from rest_framework.pagination import CursorPagination


class KeysetPagination(CursorPagination):
    """Keyset paging on the primary key: page N costs the same as page 1, at any size.

    Offsets make deep pages scan everything before them; an opaque cursor over the
    indexed id does not.
    """

    ordering = "id"
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 500
