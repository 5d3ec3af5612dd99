"""An amount too large for the decimal context (1e309 is a finite Decimal, beyond its 28
digits) was an InvalidOperation on the upload page, a 500: it is a cell error like any
amount too large."""

from __future__ import annotations

import pytest

from mutualis.registry.models import Asset, ImportBatch, Site
from tests.conftest import Cast

from .import_files import ASSET_HEADER, csv_bytes, reference_lists, upload

pytestmark = pytest.mark.django_db

HEADER = (*ASSET_HEADER, "acquisition_cost")


@pytest.fixture(autouse=True)
def _setup(cast: Cast, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    reference_lists()
    Site.objects.filter(pk=cast.site_a.pk).update(code="HDV")


@pytest.mark.parametrize("cost", ["1e309", "1E+40", "99999999999999999999999999999.5"])
def test_a_huge_amount_is_a_cell_error(cast: Cast, as_user, cost: str) -> None:
    client = as_user(cast.adam)
    rows = [("TAB-9", "78646", "HDV", "tablette", "in_stock", cost)]
    response = upload(client, csv_bytes(HEADER, rows), kind="assets", name="eq.csv")
    assert response.status_code == 302
    batch = ImportBatch.objects.get()
    [(column, message)] = [(e["column"], e["message"]) for e in batch.report["errors"]]
    assert column == "acquisition_cost"
    assert cost in message
    assert "montant trop élevé" in message
    assert not Asset.objects.filter(inventory_tag="TAB-9").exists()


def test_an_outsider_cannot_upload(cast: Cast, as_user) -> None:
    rows = [("TAB-9", "78646", "HDV", "tablette", "in_stock", "1e309")]
    response = upload(as_user(cast.charlie), csv_bytes(HEADER, rows), kind="assets", name="eq.csv")
    assert response.status_code in (403, 404)
    assert not ImportBatch.objects.exists()
