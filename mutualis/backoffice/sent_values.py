"""Values the back office's forms and links send, read without failing.

Django's admin reads some of what a page sends back with int(), datetime() or a
`<pk>__in` lookup, catching only some of what these raise: a value no id column holds
(an id past 2^63, "1e309", a NUL), or a date hierarchy's year of 20 digits, was a 500 where
the page should show its form's error or its unfiltered list. `ScopedAdmin` and
`RoleInline` (site.py) use what is here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest

from mutualis.lib.calendar_bounds import EARLIEST, LATEST
from mutualis.lib.numbers import fits_an_id, whole_number
from mutualis.lib.storable_text import is_storable


class _SentChoicesRead:
    """An autocomplete box that shows again only the choices it can look up.

    A form sent back with errors shows its boxes again, Django's looking up what was sent
    with `<pk>__in=<values>`: a value that is no id ("x", "1e309", an id past 2^63, sent by
    a script or a tampered page) raised ValueError or OverflowError there, a 500 instead of
    the form and its "not a valid choice" error. Such values are left out of the lookup;
    the field's own validation still refuses them."""

    field: Any

    def optgroups(
        self, name: str, value: Sequence[str], attr: dict[str, Any] | None = None
    ) -> list[tuple[str | None, list[dict[str, Any]], int | None]]:
        remote = self.field.remote_field
        opts = remote.model._meta
        target = opts.get_field(getattr(remote, "field_name", opts.pk.attname))
        return super().optgroups(name, [v for v in value if _can_look_up(target, v)], attr)  # type: ignore[misc]


def _can_look_up(target: models.Field[Any, Any], value: Any) -> bool:
    try:
        read = target.to_python(value)
    except ValidationError:
        return False
    if isinstance(read, int):
        return fits_an_id(read)
    return not isinstance(read, str) or is_storable(read)


class IdsChoiceField(forms.ModelMultipleChoiceField):
    """Several rows by id: a value no id column holds (an id past 2^63) is an invalid
    choice, where Django's `<pk>__in` lookup raised OverflowError (a 500)."""

    # Django's private check of the ids sent, which django-stubs does not declare.
    def _check_values(self, value: Any) -> Any:
        if self.queryset is not None:
            opts = self.queryset.model._meta
            target = opts.get_field(self.to_field_name) if self.to_field_name else opts.pk
            for pk in value if isinstance(value, list | tuple) else ():
                if not _can_look_up(target, pk):
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                    )
        return super()._check_values(value)  # type: ignore[misc]


class ReadableAutocompleteSelect(_SentChoicesRead, AutocompleteSelect):
    pass


class ReadableAutocompleteSelectMultiple(_SentChoicesRead, AutocompleteSelectMultiple):
    pass


class ReadableAutocompletes:
    """Puts the back office's autocomplete boxes (`autocomplete_fields`) in the widgets
    above, where Django would use its own, and its lists of rows in IdsChoiceField; for
    model admins and inlines alike."""

    admin_site: admin.AdminSite

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):  # type: ignore[attr-defined]
            kwargs["widget"] = ReadableAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        kwargs.setdefault("form_class", IdsChoiceField)
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):  # type: ignore[attr-defined]
            kwargs["widget"] = ReadableAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]


# The parts of a date hierarchy's link, with their bounds: the years the application
# computes with (mutualis.lib.calendar_bounds).
DATE_HIERARCHY_PARTS = {"year": (EARLIEST.year, LATEST.year), "month": (1, 12), "day": (1, 31)}


class BoundedChangeList(ChangeList):
    """Django's changelist, refusing a date hierarchy's link it cannot read.

    Django reads `?<field>__year=` and the rest with int() and datetime(), catching only
    ValueError: a year of 20 digits (OverflowError), 9999 (whose end is past the year 9999)
    or 1 (whose local midnight is before it in UTC) was a 500. They are
    IncorrectLookupParameters here, which Django answers with the unfiltered list and its
    "?e=1" note, as for any other bad filter."""

    def get_filters(self, request: HttpRequest) -> Any:
        for part, (low, high) in DATE_HIERARCHY_PARTS.items() if self.date_hierarchy else ():
            values = request.GET.getlist(f"{self.date_hierarchy}__{part}")
            number = whole_number(values[-1]) if values else low
            if number is None or not low <= number <= high:
                raise IncorrectLookupParameters(f"{part} out of range")
        return super().get_filters(request)
