"""An exported list is named in the reader's language: its file and its spreadsheet's sheet,
like its headers (a French page gave "equipment-….xlsx" with an "equipment" tab)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.conftest import Cast

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url", "slug", "sheet"),
    [
        ("/members/", "adherents", "Adhérents"),
        ("/sites/", "sites", "Sites"),
        ("/equipment/", "equipements", "Équipements"),
        (
            "/insights/panel/volumes/?table=facts&",
            "evolution-des-incidents-chiffres-cles",
            "Évolution des incidents - chiff",
        ),
    ],
)
def test_exports_are_named_in_french(cast: Cast, as_user, url: str, slug: str, sheet: str) -> None:
    client = as_user(cast.adam)
    joiner = "" if url.endswith("&") else "?"
    xlsx = client.get(f"{url}{joiner}export=xlsx")
    assert xlsx.status_code == 200
    assert xlsx["Content-Disposition"].startswith(f'attachment; filename="{slug}-')
    assert load_workbook(io.BytesIO(xlsx.getvalue())).active.title == sheet
    csv = client.get(f"{url}{joiner}export=csv")
    assert csv["Content-Disposition"].startswith(f'attachment; filename="{slug}-')


def test_exports_are_named_in_english_for_an_english_reader(cast: Cast, as_user) -> None:
    client = as_user(cast.adam)
    client.post("/accounts/language/", {"language": "en", "next": "/"})
    xlsx = client.get("/equipment/?export=xlsx")
    assert xlsx["Content-Disposition"].startswith('attachment; filename="equipment-')
    assert load_workbook(io.BytesIO(xlsx.getvalue())).active.title == "Equipment"
