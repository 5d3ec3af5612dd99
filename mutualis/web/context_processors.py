from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .navigation import menu_for

# Which menu entry a page belongs to, by URL name prefix (for aria-current).
SECTIONS = {
    "web:home": "home",
    "servicedesk:declare": "declare",
    "servicedesk:ticket": "tickets",
    "servicedesk:desk": "desk",
    "registry:member": "members",
    "registry:site": "sites",
    "registry:asset": "assets",
    "registry:import": "imports",
    "insights:": "insights",
    "territory:": "territory",
}


def navigation(request: HttpRequest) -> dict[str, Any]:
    scope = getattr(request, "scope", None)
    if scope is None:
        return {}
    match = request.resolver_match
    view_name = match.view_name if match else ""
    section = next((s for prefix, s in SECTIONS.items() if view_name.startswith(prefix)), "")
    return {"scope": scope, "menu": menu_for(scope), "section": section}
