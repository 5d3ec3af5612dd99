"""Outsider cases of the data hub (datahub_contexts): the JSON-LD @context API."""

from __future__ import annotations

from . import Case

OBJECTS: dict[str, Case] = {}
LISTS: dict[str, Case] = {}
NO_MEMBER_DATA: dict[str, str] = {
    "ngsild:context-list": (
        "JSON-LD @contexts are vocabulary shared by every tenant (NGSI-LD 5.13), not member data; "
        "deleting needs operator staff (tests/datahub/test_context_views.py)"
    ),
    "ngsild:context-detail": (
        "one JSON-LD @context document: vocabulary shared by every tenant, not member data; "
        "deleting needs operator staff (tests/datahub/test_context_views.py)"
    ),
}
