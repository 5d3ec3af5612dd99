"""Panels: a part shows its own box on another part's page without that part knowing it.

The asset page lists the asset's incidents, the home pages summarise tickets; the registry
and the web shell must not import the service desk for that (parts talk through verbs and
hooks, never by reaching into each other). A part registers its panels from its
`AppConfig.ready()`; the page renders whatever is registered for it, in order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

# A panel's context for this request and object, or None when it has nothing to show.
PanelContext = Callable[[HttpRequest, Any], dict[str, Any] | None]


@dataclass(frozen=True)
class Panel:
    template: str
    context: PanelContext
    order: int = 0  # lower first, for parts that register on the same page


_PANELS: dict[str, list[Panel]] = {}


def register(page: str, panel: Panel) -> None:
    """Show `panel` on `page` (a URL name, e.g. "registry:asset-detail"). Registering the
    same panel twice (ready() run again by a test runner) keeps one."""
    panels = _PANELS.setdefault(page, [])
    if panel not in panels:
        panels.append(panel)
        panels.sort(key=lambda p: p.order)


def render_panels(page: str, request: HttpRequest, obj: Any = None) -> list[SafeString]:
    """The HTML of each panel registered for `page` that has something to show."""
    rendered = []
    for panel in _PANELS.get(page, []):
        context = panel.context(request, obj)
        if context is not None:
            rendered.append(render_to_string(panel.template, context, request=request))
    return rendered
