"""`get_<field>_display` without re-hashing the choices on every call.

Django's `Model._get_FIELD_display` builds `dict(make_hashable(field.flatchoices))` on each
call: with translated labels (lazy strings) that hashes, hence translates, every label of the
field for every row shown. On the members' ticket list (50 rows, state and priority) that was
4 ms of a 48 ms page at a million tickets (docs/benchmarks-history.md). Here each field's
{value: label} is built once per process; the labels stay lazy, translated when shown, in
the language of the request.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db import models
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable


@cache
def _labels(field: models.Field) -> dict[Any, Any]:
    return dict(make_hashable(field.flatchoices))


class FastChoiceDisplay:
    """Mixin for models (before models.Model): the same result as Django's, cached labels.
    Choices are fixed at class creation (TextChoices), which is what makes caching them safe."""

    def _get_FIELD_display(self, field: models.Field) -> str:  # noqa: N802 (Django's name)
        value = getattr(self, field.attname)
        try:
            label = _labels(field).get(value, value)
        except TypeError:  # an unhashable value (a JSON field's list): as Django does
            label = _labels(field).get(make_hashable(value), value)
        return force_str(label, strings_only=True)
