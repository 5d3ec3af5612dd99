"""The outsider matrix, one module per part of the product.

Each part lists, for each of its URL names, how an outsider is kept out (see
tests/test_outsiders.py, which merges the parts and fails when a URL is missing):

- OBJECTS: a URL naming an object of member A (or of A's operator); each outsider gets a 404.
- LISTS: a list an outsider may open, without member A's rows (`secret` must not appear).
- ADMIN_ONLY: pages refused (403) to every role but operator admin.
- NO_MEMBER_DATA: URLs with no member data behind them, with the reason.
- EXTRA: builders of the objects the cases name (`extra["ticket"]`…), from the cast.
- CHECKS: after the outsiders' attempts, what must still hold (nothing was changed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tests.conftest import Cast


@dataclass(frozen=True)
class Case:
    """`path(cast)` names an object of member A (or of A's operator); each outsider in
    `outsiders` must get one of `statuses`, and must not find `secret(cast)` in the body."""

    path: Callable[[Cast, dict[str, int]], str]
    outsiders: tuple[str, ...]
    statuses: tuple[int, ...] = (404,)
    method: str = "get"
    secret: Callable[[Cast], str] | None = None
    # For a POST: what to send (JSON to API paths, a form elsewhere); the attempt must fail
    # on the object, whatever the body says.
    body: dict[str, object] | None = None


Extra = dict[str, Callable[[Cast], int]]
Check = Callable[[Cast, dict[str, int]], None]

# The modules of this package holding a part's matrix (added here when a part is added).
PARTS = [
    "tests.outsiders.registry",
    "tests.outsiders.servicedesk_api",
    "tests.outsiders.servicedesk_web",
    "tests.outsiders.servicedesk_mail",
    "tests.outsiders.servicedesk_mail_in",
    "tests.outsiders.servicedesk_satisfaction",
    "tests.outsiders.insights_recurring",
    "tests.outsiders.insights_reports",
    "tests.outsiders.insights_forecast",
    "tests.outsiders.insights_dashboard",
    "tests.outsiders.datahub_entities",
    "tests.outsiders.datahub_temporal",
    "tests.outsiders.datahub_subscriptions",
    "tests.outsiders.datahub_contexts",
    "tests.outsiders.datahub_unknown",
    "tests.outsiders.datahub_ingestion",
    "tests.outsiders.datahub_territory",
    "tests.outsiders.people_proconnect",
]
