"""Django's form renderer, with `<select>` and `<input>` written in Python.

Django renders each option of a select through a template include; a filter form with a
member's 80 sites took 10 ms of every list page that way (7 ms with the loop inlined in a
template). Each input is two template includes (input.html, attrs.html): ~0.7 ms a box,
five boxes of the ticket list's filters. Written here, they take a fraction of a
millisecond and give the same HTML: the same attributes (id, aria-describedby, required…)
in the same order, escaped the same way.
"""

from __future__ import annotations

import html
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, SafeString, mark_safe

SELECT = "django/forms/widgets/select.html"
# The widgets whose template is only `{% include "django/forms/widgets/input.html" %}`.
INPUTS = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in (
        "checkbox",
        "color",
        "date",
        "datetime",
        "email",
        "file",
        "hidden",
        "number",
        "password",
        "search",
        "tel",
        "text",
        "time",
        "url",
    )
)


def _escape(value: Any) -> str:
    """conditional_escape, without its checks for the commonest case: plain text (the
    options of a select: ~170 values on the ticket list's filters, each checked for lazy
    text by Django's escape, which then calls this same html.escape)."""
    if type(value) is str:
        return html.escape(value)
    return conditional_escape(value)


def _text(value: Any) -> str:
    """`{{ value|stringformat:'s' }}`: the value as text, escaped unless marked safe (the
    filter keeps safe text safe)."""
    text = str(value)
    return text if isinstance(value, SafeData) else html.escape(text)


def _attrs(attrs: dict[str, Any]) -> str:
    """As django/forms/widgets/attrs.html: False drops, True is a bare attribute."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(f" {_escape(name)}" if value is True else f' {_escape(name)}="{_text(value)}"')
    return "".join(out)


def render_select(widget: dict[str, Any]) -> SafeString:
    parts = [f'<select name="{_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_escape(group_name)}">')
        for option in group_choices:
            parts.append(
                f'\n  <option value="{_escape(str(option["value"]))}"{_attrs(option["attrs"])}>'
                f"{_escape(option['label'])}</option>"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


def render_input(widget: dict[str, Any]) -> SafeString:
    """As django/forms/widgets/input.html (the renderer strips what templates give)."""
    value = widget["value"]
    shown = "" if value is None else f' value="{_text(value)}"'
    return mark_safe(  # noqa: S308 - every value is escaped
        f'<input type="{_escape(widget["type"])}" name="{_escape(widget["name"])}"'
        f"{shown}{_attrs(widget['attrs'])}>"
    )


class FormRenderer(DjangoTemplates):
    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        if template_name == SELECT:
            return render_select(context["widget"])
        if template_name in INPUTS:
            return render_input(context["widget"])
        return super().render(template_name, context, request)
