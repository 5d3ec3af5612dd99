"""`export_request` (web/exports.py) refuses a single-value filter given twice, whatever the
list; a field that takes several values may be repeated. The lists' pages are tested with
their exports (tests/servicedesk, tests/registry/test_export_filters.py)."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest
from django.test import RequestFactory

from mutualis.registry.models import AssetType
from mutualis.web.exports import export_request
from tests.factories import AssetTypeFactory

pytestmark = pytest.mark.django_db


class Filters(forms.Form):
    state = forms.ChoiceField(label="State", required=False, choices=[("new", "new"), ("closed", "closed")])
    kinds = forms.MultipleChoiceField(required=False, choices=[("a", "a"), ("b", "b")])
    types = forms.ModelMultipleChoiceField(required=False, queryset=AssetType.objects.all())


def asked(rf: RequestFactory, query: str, *, prefix: str | None = None) -> tuple[HttpRequest, Filters]:
    request = rf.get(f"/list/?{query}")
    request._messages = CookieStorage(request)  # type: ignore[attr-defined]
    form = Filters(request.GET, prefix=prefix)
    return request, form


def test_fields_of_several_values_may_be_repeated(rf: RequestFactory) -> None:
    types = AssetTypeFactory.create_batch(2)
    query = "&".join(f"types={t.pk}" for t in types)
    request, form = asked(rf, f"kinds=a&kinds=b&{query}&state=new&page=1&page=2&export=csv")
    assert export_request(request, form).fmt == "csv"  # `page` is no filter of the form
    assert not list(get_messages(request))


def test_a_single_value_field_given_twice_is_refused_and_named(rf: RequestFactory) -> None:
    request, form = asked(
        rf, "f-kinds=a&f-kinds=b&f-state=new&f-state=closed&f-state=&export=xlsx", prefix="f"
    )
    answer = export_request(request, form)
    assert (answer.fmt, answer.refused, answer.status) == (None, True, 400)
    # In the reader's language (French by default), the filter named by its label.
    said = "Le filtre « State » est donné 3 fois : choisissez une seule valeur."
    assert [str(m) for m in get_messages(request)] == [f"{said} Rien n’a été exporté."]
    assert form.non_field_errors() == [said]
    # Without `export`, the page is not refused: it shows the last value, as it says.
    request, form = asked(rf, "state=new&state=closed")
    assert export_request(request, form).status == 200
    assert not form.errors
