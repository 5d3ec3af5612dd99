"""Reference lists: the same for every signed-in caller, whatever operator; read-only."""

from __future__ import annotations

import pytest

from mutualis.registry.models import Commune
from tests.factories import (
    AssetModelFactory,
    AssetTypeFactory,
    CommuneFactory,
    DepartementFactory,
    EpciFactory,
    SiteKindFactory,
    UserFactory,
)

from .support import field_messages, problem

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    "territory/departements/",
    "territory/epci/",
    "territory/communes/",
    "site-kinds/",
    "asset-types/",
    "asset-models/",
]


def _rows(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.fixture
def reference(cast):
    """One more row in each list, from another département and another EPCI."""
    epci = EpciFactory(code="200058519", name="CA Saint-Germain Boucles de Seine")
    commune = CommuneFactory(code="78551", name="Saint-Germain-en-Laye", epci=epci)
    AssetModelFactory(
        asset_type=AssetTypeFactory(code="camera", name="Caméra"), manufacturer="Axis", name="P3245"
    )
    SiteKindFactory(code="college", name="Collège")
    pontoise = CommuneFactory(
        code="95500", name="Pontoise", departement=DepartementFactory(code="95", name="Val-d'Oise")
    )
    return {"epci": epci, "commune": commune, "pontoise": pontoise}


@pytest.mark.parametrize("path", ENDPOINTS)
def test_every_caller_sees_the_same_reference(cast, api, reference, path):
    lists = [
        _rows(api(person).get(path))
        for person in (cast.alice, cast.bob, cast.olivia, cast.charlie, cast.oscar)
    ]
    assert lists[0]
    assert all(rows == lists[0] for rows in lists)


@pytest.mark.parametrize("path", ENDPOINTS)
def test_reference_needs_a_signed_in_caller_but_no_role(db, api, as_user, client, path):
    problem(api().get(path), 401)
    as_user(UserFactory())
    assert client.get(f"/api/v1/{path}").status_code == 200


@pytest.mark.parametrize("path", ENDPOINTS)
def test_reference_is_read_only(cast, api, path):
    problem(api(cast.adam).post(path, {"code": "x", "name": "x"}), 405)


def test_communes_by_departement_epci_and_text(cast, api, reference):
    adam = api(cast.adam)
    assert [row["code"] for row in _rows(adam.get("territory/communes/", {"departement": "95"}))] == ["95500"]
    by_epci = _rows(adam.get("territory/communes/", {"epci": "200058519"}))
    assert [(row["code"], row["epci"], row["departement"]) for row in by_epci] == [
        ("78551", "200058519", "78")
    ]
    assert [row["code"] for row in _rows(adam.get("territory/communes/", {"q": "germain"}))] == ["78551"]
    assert [row["code"] for row in _rows(adam.get("territory/communes/", {"q": "78646"}))] == ["78646"]


def test_communes_and_epci_are_found_whatever_the_case_and_accents(cast, api):
    CommuneFactory(code="78550", name="Saint-Rémy-lès-Chevreuse")
    EpciFactory(code="200072130", name="Communauté de communes Cœur d'Yvelines")
    alice = api(cast.alice)
    for typed in ["saint-remy-les", "SAINT-RÉMY-LÈS"]:
        assert [row["code"] for row in _rows(alice.get("territory/communes/", {"q": typed}))] == ["78550"]
    assert [row["code"] for row in _rows(alice.get("territory/epci/", {"q": "cœur d'yvelines"}))] == [
        "200072130"
    ]


def test_a_grand_paris_commune_is_found_by_its_ept(cast, api):
    ept = EpciFactory(code="200057966", name="Paris Ouest La Défense", kind="EPT")
    Commune.objects.filter(code="92050").update(ept=ept)
    rows = _rows(api(cast.adam).get("territory/communes/", {"epci": "200057966"}))
    assert [(row["code"], row["ept"]) for row in rows] == [("92050", "200057966")]


def test_a_commune_carries_its_codes_and_position(cast, api):
    row = _rows(api(cast.alice).get("territory/communes/", {"q": "78646"}))[0]
    assert row == {
        "code": "78646",
        "name": "Versailles",
        "departement": "78",
        "epci": None,
        "ept": None,
        "siren": "",
        "population": 5000,
        "postal_codes": ["78646"],
        "latitude": 48.8,
        "longitude": 2.1,
        "is_current": True,
    }


def test_unknown_territory_filters_are_refused(cast, api):
    body = problem(api(cast.alice).get("territory/communes/", {"departement": "2C"}), 400)
    assert field_messages(body, "departement") == ["No département has the code “2C”."]
    body = problem(api(cast.alice).get("territory/communes/", {"epci": "123"}), 400)
    assert field_messages(body, "epci") == ["No EPCI has the SIREN “123”."]


def test_epci_by_text(cast, api, reference):
    EpciFactory(code="200054781", name="Métropole du Grand Paris", kind="METRO")
    rows = _rows(api(cast.alice).get("territory/epci/", {"q": "boucles"}))
    assert [row["code"] for row in rows] == ["200058519"]
    assert [row["name"] for row in _rows(api(cast.alice).get("territory/epci/", {"q": "200054781"}))] == [
        "Métropole du Grand Paris"
    ]


def test_departements_and_kinds_of_sites(cast, api, reference):
    codes = {row["code"] for row in _rows(api(cast.alice).get("territory/departements/"))}
    assert {"78", "95"} <= codes
    kinds = _rows(api(cast.alice).get("site-kinds/"))
    assert sorted(row["code"] for row in kinds) == ["college", "mairie"]


def test_asset_models_by_type(cast, api, reference):
    rows = _rows(api(cast.alice).get("asset-models/", {"asset_type": "camera"}))
    assert [(row["asset_type"], row["manufacturer"], row["name"]) for row in rows] == [
        ("camera", "Axis", "P3245")
    ]
    types = _rows(api(cast.alice).get("asset-types/"))
    assert sorted(row["code"] for row in types) == ["camera", "tablette"]
    body = problem(api(cast.alice).get("asset-models/", {"asset_type": "rocket"}), 400)
    assert field_messages(body, "asset_type") == ["No type of asset has the code “rocket”."]


@pytest.mark.parametrize("rows", [3, 30])
def test_the_commune_list_costs_the_same_for_3_and_30_communes(
    cast, api, django_assert_max_num_queries, rows
):
    epci = EpciFactory()
    for _ in range(rows - 2):
        CommuneFactory(epci=epci)
    alice = api(cast.alice)
    with django_assert_max_num_queries(3):
        response = alice.get("territory/communes/", {"limit": 100})
    assert len(response.json()["results"]) == rows
