"""The back-office: operator staff only, rows through the tenancy door, actions by role."""

import pytest

from mutualis.registry.models import Asset, AssetStatus, AssetStatusChange
from tests.conftest import Cast
from tests.factories import SiteFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_member_users_never_reach_the_back_office(cast: Cast, as_user) -> None:
    for user in (cast.alice, cast.bob, cast.charlie):
        response = as_user(user).get("/backoffice/")
        assert response.status_code == 302
        assert "/backoffice/login/" in response["Location"]


def test_operator_staff_list_only_their_operators_rows(cast: Cast, as_user) -> None:
    SiteFactory(member__operator=cast.other_operator, name="Site d'un autre opérateur")
    page = as_user(cast.olivia).get("/backoffice/registry/site/").content.decode()
    assert "Mairie de Versailles" in page
    assert "Mairie de Nanterre" in page
    assert "autre opérateur" not in page
    oscar_page = as_user(cast.oscar).get("/backoffice/registry/site/").content.decode()
    assert "Mairie de Versailles" not in oscar_page
    assert "autre opérateur" in oscar_page


def test_another_operators_object_is_a_404_in_the_back_office(cast: Cast, as_user) -> None:
    client = as_user(cast.oscar)
    response = client.get(f"/backoffice/registry/asset/{cast.asset_a.pk}/change/", follow=True)
    # Django's admin answers a missing (or hidden) object by a redirect with a message.
    assert response.redirect_chain[-1][0] == "/backoffice/"
    assert "A-0001" not in response.content.decode()


def test_desk_agent_reads_but_cannot_change(cast: Cast, as_user) -> None:
    client = as_user(cast.olivia)
    assert client.get(f"/backoffice/registry/asset/{cast.asset_a.pk}/change/").status_code == 200
    response = client.post(f"/backoffice/registry/asset/{cast.asset_a.pk}/change/", {"status": "retired"})
    assert response.status_code == 403
    assert client.get("/backoffice/registry/asset/add/").status_code == 403
    assert client.get("/backoffice/people/user/").status_code == 403


def _asset_form(asset: Asset, **changes: str) -> dict[str, str]:
    data = {
        "site": str(asset.site_id),
        "asset_type": str(asset.asset_type_id),
        "model": "",
        "inventory_tag": asset.inventory_tag,
        "serial_number": asset.serial_number,
        "label": "",
        "status": asset.status,
        "acquired_on": "2023-09-01",
        "acquisition_cost": "289.00",
        "warranty_ends_on": "2026-09-01",
        "parent": "",
        "notes": "",
        "status_note": "",
        "status_changes-TOTAL_FORMS": "0",
        "status_changes-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return data


def test_admin_status_change_goes_through_the_life_cycle(cast: Cast, as_user) -> None:
    client = as_user(cast.adam)
    url = f"/backoffice/registry/asset/{cast.asset_a.pk}/change/"
    response = client.post(url, _asset_form(cast.asset_a, status="in_repair", status_note="Écran cassé"))
    assert response.status_code == 302, response.content.decode()[:2000]
    cast.asset_a.refresh_from_db()
    assert cast.asset_a.status == AssetStatus.IN_REPAIR
    last = AssetStatusChange.objects.filter(asset=cast.asset_a).first()
    assert last is not None
    assert (last.to_status, last.note) == ("in_repair", "Écran cassé")
    assert last.changed_by == cast.adam

    client.post(url, _asset_form(cast.asset_a, status="retired"))
    cast.asset_a.refresh_from_db()
    refused = client.post(url, _asset_form(cast.asset_a, status="in_service"))
    assert refused.status_code == 200
    assert "ne peut pas passer de « réformé »" in refused.content.decode()


def test_admin_refuses_a_duplicate_inventory_tag_with_a_message(cast: Cast, as_user) -> None:
    client = as_user(cast.adam)
    response = client.post(
        f"/backoffice/registry/asset/{cast.asset_a.pk}/change/",
        _asset_form(cast.asset_a, inventory_tag="B-0001"),
    )
    assert response.status_code == 200
    assert "B-0001 est déjà utilisé par un équipement du site Mairie de Nanterre" in response.content.decode()


def test_site_contact_form_refuses_a_site_outside_the_member_territory(cast: Cast, as_user) -> None:
    client = as_user(cast.adam)
    response = client.post(
        "/backoffice/registry/site/add/",
        {
            "member": cast.member_a.pk,
            "kind": cast.site_a.kind_id,
            "name": "Annexe",
            "commune": cast.member_b.commune_id,
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "Nanterre (92050) est hors du territoire de Versailles" in response.content.decode()


def test_autocomplete_offers_only_the_operators_sites(cast: Cast, as_user) -> None:
    url = "/backoffice/autocomplete/?app_label=registry&model_name=asset&field_name=site&term=Mairie"
    names = [r["text"] for r in as_user(cast.olivia).get(url).json()["results"]]
    assert names == ["Mairie de Nanterre", "Mairie de Versailles"]
    assert as_user(cast.oscar).get(url).json()["results"] == []


def _reference_rows() -> dict[str, object]:
    from tests.factories import (
        AssetModelFactory,
        AssetTypeFactory,
        CommuneFactory,
        EpciFactory,
        ServiceFactory,
        SiteKindFactory,
    )

    commune = CommuneFactory(name="Commune partagée", epci=EpciFactory())
    return {
        "departement": commune.departement,
        "epci": commune.epci,
        "commune": commune,
        "service": ServiceFactory(),
        "sitekind": SiteKindFactory(),
        "assettype": AssetTypeFactory(),
        "assetmodel": AssetModelFactory(),
    }


def test_shared_reference_lists_are_read_by_every_operator_and_changed_by_the_platform(
    cast: Cast, as_user
) -> None:
    """Communes, services, kinds, types and models are the installation's, shared by every
    operator: an operator's admin renaming or deleting one would change another operator's
    members, sites and equipment. They read them; the platform administrator edits them."""
    rows = _reference_rows()
    for admin_user in (cast.adam, cast.oscar):
        client = as_user(admin_user)
        for model, row in rows.items():
            base = f"/backoffice/registry/{model}/"
            assert client.get(base).status_code == 200, model
            page = client.get(f"{base}{row.pk}/change/")  # type: ignore[attr-defined]
            assert page.status_code == 200, model  # the view page, read-only
            assert 'name="_save"' not in page.content.decode(), model
            assert client.post(f"{base}{row.pk}/change/", {"name": "Renommé"}).status_code == 403, model  # type: ignore[attr-defined]
            assert client.post(f"{base}{row.pk}/delete/", {"post": "yes"}).status_code == 403, model  # type: ignore[attr-defined]
            type(row).objects.get(pk=row.pk)  # type: ignore[attr-defined]
            if model != "assetmodel":
                assert client.get(f"{base}add/").status_code == 403, model
    assert type(rows["commune"]).objects.get(pk=rows["commune"].pk).name == "Commune partagée"  # type: ignore[attr-defined]

    platform = UserFactory(email="root@platform.example", is_superuser=True)
    client = as_user(platform)
    service = rows["service"]
    response = client.post(
        f"/backoffice/registry/service/{service.pk}/change/",  # type: ignore[attr-defined]
        {"name": "Téléphonie", "code": service.code, "is_active": "on"},  # type: ignore[attr-defined]
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    service.refresh_from_db()  # type: ignore[attr-defined]
    assert service.name == "Téléphonie"  # type: ignore[attr-defined]


def test_staff_add_the_equipment_model_they_find_but_do_not_rewrite_a_shared_one(cast: Cast, as_user) -> None:
    from mutualis.registry.models import AssetModel

    rows = _reference_rows()
    client = as_user(cast.adam)
    asset_type = rows["assettype"]
    response = client.post(
        "/backoffice/registry/assetmodel/add/",
        {"manufacturer": "Lenovo", "name": "ThinkCentre M75q", "asset_type": str(asset_type.pk)},  # type: ignore[attr-defined]
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    added = AssetModel.objects.get(name="ThinkCentre M75q")
    assert (
        client.post(f"/backoffice/registry/assetmodel/{added.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    assert AssetModel.objects.filter(pk=added.pk).exists()
