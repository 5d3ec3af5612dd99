"""A collège does not see the same catalogue as a fire station."""

import pytest

from mutualis.servicedesk.catalogue import catalogue, is_offered, offered_types
from mutualis.servicedesk.models import CatalogueOverride
from tests.conftest import Cast

from .conftest import Desk

pytestmark = pytest.mark.django_db


def names(site) -> list[str]:  # type: ignore[no-untyped-def]
    return [t.name for t in offered_types(site)]


def test_each_kind_of_site_sees_its_own_catalogue(desk: Desk) -> None:
    assert names(desk.college) == ["Écran cassé"]
    assert names(desk.station) == ["Caméra hors ligne"]


def test_a_member_can_be_given_or_hidden_a_type(cast: Cast, desk: Desk) -> None:
    CatalogueOverride.objects.create(member=cast.member_a, incident_type=desk.camera_offline, enabled=True)
    assert names(desk.college) == ["Écran cassé", "Caméra hors ligne"]
    CatalogueOverride.objects.create(member=cast.member_a, incident_type=desk.broken_screen, enabled=False)
    assert names(desk.college) == ["Caméra hors ligne"]
    assert not is_offered(desk.college, desk.broken_screen)


def test_inactive_types_and_categories_are_not_offered(desk: Desk) -> None:
    assert is_offered(desk.college, desk.broken_screen)
    desk.broken_screen.category.is_active = False
    desk.broken_screen.category.save()
    assert names(desk.college) == []
    assert not is_offered(desk.college, desk.broken_screen)


def test_is_offered_says_what_the_catalogue_lists(cast: Cast, desk: Desk) -> None:
    """The declaration's check (one query) and the catalogue (the page) agree, type by
    type, whatever the member was given or hidden."""
    types = [desk.broken_screen, desk.camera_offline]

    def agree() -> None:
        for site in (desk.college, desk.station):
            listed = set(names(site))
            assert {t.name for t in types if is_offered(site, t)} == listed

    agree()
    CatalogueOverride.objects.create(member=cast.member_a, incident_type=desk.camera_offline, enabled=True)
    agree()
    CatalogueOverride.objects.create(member=cast.member_a, incident_type=desk.broken_screen, enabled=False)
    agree()
    desk.camera_offline.is_active = False
    desk.camera_offline.save()
    agree()


def test_catalogue_search_ignores_accents_and_uses_keywords(desk: Desk) -> None:
    assert [s.category for s in catalogue(desk.college, "ecran")] == ["Tablette"]
    assert [t.name for s in catalogue(desk.college, "vitre") for t in s.types] == ["Écran cassé"]
    assert catalogue(desk.college, "caméra") == []
