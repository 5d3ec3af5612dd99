"""A back-office change form whose hidden fingerprint (`values_shown`) was tampered with is
saved as if sent without one, whatever the field holds: never a server error."""

from __future__ import annotations

import pytest

from mutualis.registry.models import Asset
from tests.conftest import Cast

from .backoffice_pages import opened

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "fingerprint",
    [
        "[" * 5000 + "]" * 5000,  # beyond the recursion limit of json.loads: was a 500
        '{"label": ' + "[" * 5000 + "]" * 5000 + "}",
        "{not json",
        '["a list"]',
    ],
)
def test_a_tampered_fingerprint_is_saved_as_before(cast: Cast, as_user, fingerprint: str) -> None:
    client = as_user(cast.adam)
    url = f"/backoffice/registry/asset/{cast.asset_a.pk}/change/"
    form = opened(client, url, "asset")
    response = client.post(url, {**form, "values_shown": fingerprint, "label": "Tablette du maire"})
    assert response.status_code == 302
    assert Asset.objects.get(pk=cast.asset_a.pk).label == "Tablette du maire"


def test_an_outsider_cannot_save_with_a_tampered_fingerprint(cast: Cast, as_user) -> None:
    url = f"/backoffice/registry/asset/{cast.asset_a.pk}/change/"
    form = opened(as_user(cast.adam), url, "asset")
    client = as_user(cast.oscar)
    response = client.post(url, {**form, "values_shown": "[" * 5000 + "]" * 5000, "label": "Pris"})
    assert response.status_code == 302
    assert response["Location"] == "/backoffice/"
    assert Asset.objects.get(pk=cast.asset_a.pk).label == ""
