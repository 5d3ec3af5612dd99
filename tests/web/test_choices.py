"""Choice fields read as values (mutualis.web.choices) offer exactly the options Django's
ModelChoiceField offers (each object's str), and validate through the same queryset."""

from __future__ import annotations

import pytest
from django import forms

from mutualis.registry.models import Site
from mutualis.servicedesk.models import Category
from mutualis.web.choices import NamedChoiceField, PathChoiceField
from tests.servicedesk.factories import CategoryFactory

pytestmark = pytest.mark.django_db


def _options(field: forms.ModelChoiceField) -> list[tuple[str, str]]:
    return [(str(value), str(label)) for value, label in field.choices]


@pytest.mark.parametrize("depth", [3, 4])  # read with the rows; the whole tree read apart
def test_paths_at_any_depth_and_names_are_what_str_prints(cast, depth: int) -> None:  # type: ignore[no-untyped-def]
    network = CategoryFactory(operator=cast.operator, name="Réseau")
    wifi = CategoryFactory(operator=cast.operator, name="Wi-Fi", parent=network)
    school = CategoryFactory(operator=cast.operator, name="Écoles", parent=wifi)
    if depth == 4:
        CategoryFactory(operator=cast.operator, name="Bornes", parent=school)
    CategoryFactory(operator=cast.other_operator, name="Autre opérateur")
    categories = Category.objects.filter(operator=cast.operator).order_by("name")
    sites = Site.objects.filter(member=cast.member_a).order_by("name")
    for ours, theirs in (
        (PathChoiceField(queryset=categories), forms.ModelChoiceField(queryset=categories)),
        (NamedChoiceField(queryset=sites), forms.ModelChoiceField(queryset=sites)),
    ):
        assert _options(ours) == _options(theirs)
        assert len(_options(ours)) > 1
    labels = dict(_options(PathChoiceField(queryset=categories)))
    deepest = "Réseau > Wi-Fi > Écoles" + (" > Bornes" if depth == 4 else "")
    assert deepest in labels.values()


def test_a_value_outside_the_queryset_is_refused(cast) -> None:  # type: ignore[no-untyped-def]
    mine = Site.objects.filter(member=cast.member_a)
    field = NamedChoiceField(queryset=mine, required=False)
    assert field.clean(str(cast.site_a.pk)) == cast.site_a
    with pytest.raises(forms.ValidationError):
        field.clean(str(cast.site_b.pk))  # another member's site
