from __future__ import annotations

from typing import Any

from django import template

from ..tabs import Tab, tabs

register = template.Library()


@register.simple_tag(takes_context=True)
def insights_tabs(context: dict[str, Any]) -> list[Tab]:
    """`{% insights_tabs as tabs %}`: the section's tabs, the current one marked."""
    request = context.get("request")
    return tabs(request) if request is not None else []
