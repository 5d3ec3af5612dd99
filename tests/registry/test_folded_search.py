"""Names are found whatever the case and the accents typed, on both databases: "ecole",
"ÉCOLE" and "école" find "École Jules Ferry" (an exploratory crawl found "école" finding
nothing on the sites and members lists, and "École" nothing on the equipment list)."""

from __future__ import annotations

import pytest

from mutualis.lib.search import _ACCENTED, _PLAIN, normalise
from mutualis.registry.models import Site
from mutualis.registry.selectors import filter_sites
from tests.conftest import Cast
from tests.factories import AssetFactory, CommuneFactory, MemberFactory, SiteFactory

TYPED = ["ecole", "École", "école", "ÉCOLE", "EcOlE jules"]


def test_the_sql_folding_maps_each_letter_as_normalise_does() -> None:
    assert len(_ACCENTED) == len(_PLAIN)
    assert [normalise(letter) for letter in _ACCENTED] == list(_PLAIN)


@pytest.mark.django_db
def test_every_name_is_found_by_its_folded_form_and_its_capitals(cast: Cast) -> None:
    names = ["ÉCOLE Émile-Zola", "Cœur de ville", "Crèche Àbc", "Ñandú", "plain [1]*?", "100%_bio"]
    sites = {SiteFactory(member=cast.member_a, name=name).pk: name for name in names}
    rows = Site.objects.filter(pk__in=sites)
    for name in names:
        for typed in [normalise(name), name.upper(), name]:
            assert [site.name for site in rows.filter(name__folded_contains=typed)] == [name], typed
    assert not rows.filter(name__folded_contains="100%_bio x").exists()
    assert rows.filter(name__folded_contains="%").count() == 1  # the % is a letter, not a wildcard


@pytest.mark.parametrize("typed", TYPED)
def test_sites_are_found_whatever_the_case_and_accents(cast: Cast, as_user, typed: str) -> None:
    school = SiteFactory(member=cast.member_a, name="École Jules Ferry")
    SiteFactory(member=cast.member_a, name="Gymnase")
    found = filter_sites(Site.objects.all(), {"q": typed})
    assert list(found) == [school]
    page = as_user(cast.alice).get("/sites/", {"q": typed}).content.decode()
    assert "École Jules Ferry" in page
    assert "Gymnase" not in page


@pytest.mark.parametrize("typed", ["ecole", "ÉCOLE"])
def test_members_equipment_and_the_declarations_site_picker_fold_too(cast: Cast, as_user, typed: str) -> None:
    school = SiteFactory(member=cast.member_a, name="École Jules Ferry")
    AssetFactory(site=school, label="Tablette de l'école", inventory_tag="TAB-0042")
    AssetFactory(site=cast.site_a, label="Copieur", inventory_tag="COP-0007")
    alice = as_user(cast.alice)
    equipment = alice.get("/equipment/", {"q": typed}).content.decode()
    assert "TAB-0042" in equipment
    assert "COP-0007" not in equipment
    picker = alice.get("/tickets/new/", {"site_q": typed}).content.decode()
    assert "École Jules Ferry" in picker
    MemberFactory(operator=cast.operator, name="Syndicat des écoles", commune=CommuneFactory(code="78001"))
    members = as_user(cast.olivia).get("/members/", {"q": typed}).content.decode()
    assert "Syndicat des écoles" in members


def test_outsiders_do_not_find_another_members_sites_by_a_folded_name(cast: Cast, as_user) -> None:
    SiteFactory(member=cast.member_a, name="École Jules Ferry")
    page = as_user(cast.charlie).get("/sites/", {"q": "ecole"}).content.decode()
    assert "École Jules Ferry" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["L'Étang-la-Ville", "L’Étang-la-Ville", "l’etang", "l'etang"])
def test_straight_and_typographic_apostrophes_find_each_other(cast: Cast, as_user, typed: str) -> None:
    """A phone or a word processor types ’ where the registry holds ', or the other way."""
    straight = SiteFactory(member=cast.member_a, name="Mairie de L'Étang-la-Ville")
    curly = SiteFactory(member=cast.member_a, name="École de l’Étang-la-Ville")
    SiteFactory(member=cast.member_a, name="Étang de la Ville")
    assert set(filter_sites(Site.objects.all(), {"q": typed})) == {straight, curly}
    page = as_user(cast.alice).get("/sites/", {"q": typed}).content.decode()
    assert "Mairie de L&#x27;Étang-la-Ville" in page
    assert "École de l’Étang-la-Ville" in page
    assert "Étang de la Ville" not in page
