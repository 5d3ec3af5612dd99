"""The tabs of the incidentology section (templates/insights/base_insights.html): each part
of the section adds its pages under one URL name, and the tab shows once that name exists,
so a part not built yet hides its tab instead of breaking every page."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

# (URL name, label, the URL names of the tab's pages start with…, operator staff only)
TABS = [
    ("insights:dashboard", _("Dashboard"), ("dashboard", "panel"), False),
    ("insights:recurring", _("Recurring failures"), ("recurring", "failure"), False),
    # Forecasts are the operator's: a member's volumes are too small to forecast usefully.
    ("insights:forecast", _("Forecasts"), ("forecast",), True),
    ("insights:reports", _("Reports"), ("report",), False),
]


@dataclass(frozen=True)
class Tab:
    label: str
    url: str
    current: bool


def tabs(request: HttpRequest) -> list[Tab]:
    match = request.resolver_match
    here = match.url_name or "" if match and match.namespace == "insights" else ""
    found = []
    staff = bool(getattr(getattr(request, "scope", None), "is_operator_staff", False))
    for name, label, prefixes, staff_only in TABS:
        if staff_only and not staff:
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:  # that part's pages are not there (yet)
            continue
        found.append(Tab(str(label), url, here.startswith(prefixes)))
    return found
