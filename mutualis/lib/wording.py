"""How the interface joins a label to its value, as the language writes it."""

from __future__ import annotations

from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _


def labelled(label: str, value: str) -> str:
    """ "label: value" as the language writes it: French sets a space before the colon, so
    the colon belongs to the translated pattern, never glued to a label in code."""
    return _("%(label)s: %(value)s") % {"label": label, "value": value}


def labelled_html(label: str, value: str) -> SafeString:
    """`labelled` for HTML: the label escaped, the value escaped unless it is safe markup
    (a link)."""
    return mark_safe(labelled(conditional_escape(label), conditional_escape(value)))  # noqa: S308 (both escaped)
