"""Two people editing the same equipment at once: the status one of them set is not undone
by the other's form, opened before."""

from __future__ import annotations

import pytest

from mutualis.registry import services
from mutualis.registry.models import Asset, AssetStatus
from tests.conftest import Cast

pytestmark = pytest.mark.django_db


def _form(asset: Asset, **changes: str) -> dict[str, str]:
    """The back-office form of `asset` as its page showed it, with `changes`."""
    return {
        "site": str(asset.site_id),
        "asset_type": str(asset.asset_type_id),
        "model": "",
        "inventory_tag": asset.inventory_tag,
        "serial_number": asset.serial_number,
        "label": asset.label,
        "status": asset.status,
        "status_shown": asset.status,
        "acquired_on": "",
        "acquisition_cost": "",
        "warranty_ends_on": "",
        "parent": "",
        "notes": "",
        "status_note": "",
        "status_changes-TOTAL_FORMS": "0",
        "status_changes-INITIAL_FORMS": "0",
        **changes,
    }


def test_the_page_shows_the_status_it_was_opened_with(cast: Cast, as_user) -> None:
    page = as_user(cast.adam).get(f"/backoffice/registry/asset/{cast.asset_a.pk}/change/").content.decode()
    assert 'name="status_shown" value="in_service"' in page


def test_a_form_opened_before_a_status_change_does_not_undo_it(cast: Cast, as_user) -> None:
    url = f"/backoffice/registry/asset/{cast.asset_a.pk}/change/"
    opened = _form(cast.asset_a, label="Tablette du maire")
    # Meanwhile, a technician puts the tablet in repair through the API.
    services.change_asset_status(asset=cast.asset_a, status=AssetStatus.IN_REPAIR, by=cast.olivia)
    history = cast.asset_a.status_changes.count()
    client = as_user(cast.adam)
    refused = client.post(url, opened)
    assert refused.status_code == 200
    page = refused.content.decode()
    assert "Pendant votre modification, le statut est passé à « en réparation »" in page
    assert 'name="status_shown" value="in_repair"' in page
    cast.asset_a.refresh_from_db()
    assert (cast.asset_a.status, cast.asset_a.label) == (AssetStatus.IN_REPAIR, "")
    assert cast.asset_a.status_changes.count() == history
    # Saved again from the page sent back, the label changes and the status stays.
    again = client.post(url, {**opened, "status": "in_repair", "status_shown": "in_repair"})
    assert again.status_code == 302, again.content.decode()[:2000]
    cast.asset_a.refresh_from_db()
    assert (cast.asset_a.status, cast.asset_a.label) == (AssetStatus.IN_REPAIR, "Tablette du maire")
    assert cast.asset_a.status_changes.count() == history


def test_a_status_changed_knowingly_goes_through(cast: Cast, as_user) -> None:
    url = f"/backoffice/registry/asset/{cast.asset_a.pk}/change/"
    response = as_user(cast.adam).post(url, _form(cast.asset_a, status="lost", status_note="Volée"))
    assert response.status_code == 302, response.content.decode()[:2000]
    cast.asset_a.refresh_from_db()
    assert cast.asset_a.status == AssetStatus.LOST
    assert cast.asset_a.status_changes.first().changed_by == cast.adam
