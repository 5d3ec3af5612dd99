"""Building blocks of request bodies and query parameters: strict, and scoped.

Strict: a name or value the API does not know is a 400 that names it, never silently
ignored (a misspelt filter must not return the whole fleet, a `status` in a PATCH must
not be dropped). Scoped: a field that points at member data accepts only the rows the
request's scope sees, so a foreign id reads exactly like a missing one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from mutualis.lib.calendar_bounds import EARLIEST, LATEST
from mutualis.lib.numbers import whole_number
from mutualis.lib.storable_text import is_storable
from mutualis.people.tenancy import Scope
from mutualis.registry.models import AssetStatus
from mutualis.web.date_fields import within_calendar

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise


class StrictChoiceField(serializers.ChoiceField):
    """A choice whose error lists the allowed values."""

    default_error_messages = {
        "invalid_choice": gettext_lazy("“{input}” is not allowed here; use one of: {allowed}."),
    }

    def to_internal_value(self, data: Any) -> Any:
        if data == "" and self.allow_blank:
            return ""
        try:
            return self.choice_strings_to_values[str(data)]
        except KeyError:
            self.fail("invalid_choice", input=data, allowed=", ".join(self.choice_strings_to_values))


class AssetStatusField(StrictChoiceField):
    """An asset status, one `AssetStatus` component in the schema wherever it appears."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=AssetStatus.choices, **kwargs)


class CalendarDateTimeField(serializers.DateTimeField):
    """An ISO 8601 time (Paris time without an offset) on a day within the calendar the
    application computes with (`within_calendar`). Checked before DRF converts it between
    time zones: year 1 in Paris is year 0 in UTC, and `updated_since=0001-01-01` overflowed
    there (a 500)."""

    def enforce_timezone(self, value: datetime) -> datetime:
        within_calendar(value)
        converted: datetime = super().enforce_timezone(value)
        return converted


def updated_since_field(*, help_text: str) -> Any:
    """`updated_since` of every list."""
    return CalendarDateTimeField(
        required=False,
        help_text=f"{help_text} A day from {EARLIEST.isoformat()} to {LATEST.isoformat()}; any other is a 400.",
    )


class CodeField(serializers.SlugRelatedField):
    """A row named by its code. A code holds neither NUL nor a lone surrogate, which
    PostgreSQL refuses in any text it is asked to compare (a DataError: a 500): such a
    value is no code, the same as an unknown one."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and not is_storable(data):
            self.fail("does_not_exist", slug_name=self.slug_field, value=data)
        return super().to_internal_value(data)


def code_field(
    queryset: models.QuerySet[Any], message: StrPromise, *, slug_field: str = "code", **kwargs: Any
) -> Any:
    """A reference row named by its code (`"mairie"`, `"78646"`); `message` may use {value}."""
    return CodeField(
        slug_field=slug_field, queryset=queryset, error_messages={"does_not_exist": message}, **kwargs
    )


class IdField(serializers.PrimaryKeyRelatedField):
    """A row named by its id: a JSON integer, or ASCII digits in a query string or a form.

    DRF hands anything else to the database, which reads it with int(): `"２３５"` (full-width
    digits), `235.0` and `2.35e2` named site 235, so one row had many names. Anything but
    an id reads like a missing row."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not (
            isinstance(data, int) or (isinstance(data, str) and whole_number(data) is not None)
        ):
            self.fail("incorrect_type", data_type=type(data).__name__, pk_value=data)
        return super().to_internal_value(data)


def scoped_id_field(model: type[models.Model], message: StrPromise, **kwargs: Any) -> Any:
    """A row of member data named by its id. It accepts nothing until ScopedFieldsMixin
    gives it the scope's visible rows: a field someone forgot to scope fails closed."""
    return IdField(
        queryset=model._default_manager.none(),
        error_messages={"does_not_exist": message, "incorrect_type": message},
        **kwargs,
    )


class ScopedFieldsMixin:
    """Points every field made by `scoped_id_field` at `Model.objects.visible_to(scope)`,
    the scope coming from the serializer context. Without one (the schema generator) the
    fields keep accepting nothing."""

    fields: Any
    context: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scope: Scope | None = self.context.get("scope")
        if scope is None:
            return
        for field in self.fields.values():
            if not isinstance(field, serializers.PrimaryKeyRelatedField):
                continue
            queryset = field.get_queryset()
            manager: Any = queryset.model._default_manager if queryset is not None else None
            if hasattr(manager, "visible_to"):
                # drf-stubs type `queryset` as possibly a Manager, whose descriptor protocol
                # mypy then applies to this instance assignment.
                field.queryset = manager.visible_to(scope)  # type: ignore[arg-type]


class KnownFieldsMixin:
    """Refuses names the serializer does not accept, with a reason for the ones clients
    are likely to try (`refused_fields`); `also_allowed` are read elsewhere (paging)."""

    refused_fields: ClassVar[Mapping[str, StrPromise]] = {}
    also_allowed: ClassVar[frozenset[str]] = frozenset()
    fields: Any

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            accepted = {
                name for name, field in self.fields.items() if not field.read_only
            } | self.also_allowed
            unknown = [name for name in data if name not in accepted]
            if unknown:
                listing = ", ".join(sorted(accepted))
                raise ValidationError(
                    {
                        name: [
                            str(self.refused_fields[name])
                            if name in self.refused_fields
                            else _("Unknown name; the accepted ones are: %(names)s.") % {"names": listing}
                        ]
                        for name in unknown
                    }
                )
        return super().to_internal_value(data)  # type: ignore[misc]
