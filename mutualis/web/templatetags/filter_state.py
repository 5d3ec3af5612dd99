"""`filter_state`: the filters a list's form has in use, in words, and the address that clears them.

Said beside a list's count (includes/results.html): on a phone the filter box is far above the
results, and the person must still see which filters made the list (and undo them) there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlencode

from django import forms, template
from django.core.validators import EMPTY_VALUES
from django.utils import formats
from django.utils.translation import gettext as _

register = template.Library()


@dataclass(frozen=True)
class FilterState:
    chosen: list[tuple[str, str]]  # (label, value in words) of each filter the list applies
    changed: bool  # some filter was given, applied or refused (a value the list could not use)
    clear_url: str  # the same list without filters, keeping the page's own choices (`keep`)


def _words(field: forms.Field, value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_words(field, v) for v in value)
    if isinstance(field, forms.ModelChoiceField):
        return str(field.label_from_instance(value))
    if isinstance(field, forms.ChoiceField):
        labels = {}
        # Django normalises a form field's choices to (value, label) pairs and groups at assignment.
        for key, label in cast(Iterable[tuple[Any, Any]], field.choices):
            if isinstance(label, list | tuple):  # a group of choices
                labels.update({str(k): v for k, v in label})
            else:
                labels[str(key)] = label
        return str(labels.get(str(value), value))
    if isinstance(value, dt.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(field, forms.CharField):
        return _("“%(text)s”") % {"text": value}
    return str(value)


def chosen_filters(form: forms.Form) -> list[tuple[str, str]]:
    """(label, value in words) of the filters `form` applies: the values it refused are left
    out, as the list leaves them out (the box says them beside their field)."""
    if not form.is_bound:
        return []
    errors = form.errors
    return [
        (str(form[name].label), _words(form.fields[name], form.cleaned_data[name]))
        for name in form.fields
        if name in form.changed_data
        and name not in errors
        and form.cleaned_data.get(name) not in EMPTY_VALUES
    ]


@register.simple_tag(takes_context=True)
def filter_state(context: template.Context, form: forms.Form) -> FilterState:
    """The page's `keep` ((name, value) pairs of the chosen view or queue) and `action` (its
    address when shown at another) are read as includes/filters.html reads them."""
    keep = context.get("keep") or ()
    query = urlencode(list(keep))
    return FilterState(
        chosen=chosen_filters(form),
        changed=form.has_changed() or bool(form.is_bound and form.errors),
        clear_url=f"{context.get('action') or ''}?{query}",
    )
