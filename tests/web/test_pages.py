"""Registry pages as each role sees them, each with an outsider."""

import csv
import datetime as dt
import io
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.signals import request_finished
from django.db import close_old_connections
from django.test import Client
from django.utils.translation import gettext
from openpyxl import load_workbook

from mutualis.registry.models import AssetStatus
from tests.conftest import Cast
from tests.factories import AssetFactory, SiteFactory

pytestmark = pytest.mark.django_db


def test_member_home_shows_own_member_sites_and_equipment(cast: Cast, as_user) -> None:
    page = as_user(cast.alice).get("/").content.decode()
    assert "<h1>Versailles</h1>" in page
    assert "Mairie de Versailles" in page
    assert "Nanterre" not in page
    assert "agent de l’adhérent" in page


def test_elected_official_home_says_read_only(cast: Cast, as_user) -> None:
    page = as_user(cast.bob).get("/").content.decode()
    assert "élu (lecture seule)" in page
    assert "Vous pouvez tout consulter" in page


def test_operator_home_shows_all_members_of_the_operator_only(cast: Cast, as_user) -> None:
    SiteFactory(member__operator=cast.other_operator, name="Site d'un autre opérateur")
    response = as_user(cast.olivia).get("/")
    page = response.content.decode()
    assert response.context["member_total"] == 2
    assert response.context["site_total"] == 2
    assert response.context["asset_total"] == 2
    assert "Adhérents par catégorie" in page
    assert "autre opérateur" not in page


@pytest.mark.parametrize(
    ("url", "own", "foreign"),
    [
        ("/members/{}/", "member_a", "member_b"),
        ("/sites/{}/", "site_a", "site_b"),
        ("/equipment/{}/", "asset_a", "asset_b"),
    ],
)
def test_detail_pages_are_404_for_outsiders(cast: Cast, as_user, url: str, own: str, foreign: str) -> None:
    own_url = url.format(getattr(cast, own).pk)
    foreign_url = url.format(getattr(cast, foreign).pk)
    alice = as_user(cast.alice)
    assert alice.get(own_url).status_code == 200
    assert alice.get(foreign_url).status_code == 404
    assert alice.get(url.format(999999)).status_code == 404
    # The operator's staff see both; another operator's admin sees neither.
    olivia = as_user(cast.olivia)
    assert olivia.get(own_url).status_code == 200
    assert olivia.get(foreign_url).status_code == 200
    oscar = as_user(cast.oscar)
    assert oscar.get(own_url).status_code == 404
    assert oscar.get(foreign_url).status_code == 404


@pytest.mark.parametrize("url", ["/members/", "/sites/", "/equipment/"])
def test_lists_contain_only_scoped_rows(cast: Cast, as_user, url: str) -> None:
    alice_page = as_user(cast.alice).get(url).content.decode()
    assert "Versailles" in alice_page
    assert "Nanterre" not in alice_page
    oscar_page = as_user(cast.oscar).get(url).content.decode()
    assert "Versailles" not in oscar_page
    assert "Nanterre" not in oscar_page


@pytest.mark.parametrize("url", ["/members/", "/sites/", "/equipment/"])
def test_exports_are_scoped_and_open_in_spreadsheets(cast: Cast, as_user, url: str) -> None:
    client = as_user(cast.alice)
    response = client.get(url + "?export=csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    body = "\n".join(";".join(r) for r in rows[1:])
    assert "Versailles" in body or "A-0001" in body
    assert "Nanterre" not in body
    assert "B-0001" not in body

    xlsx = client.get(url + "?export=xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(xlsx.getvalue())).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert len(values) == 2  # header + the one row of member A
    flat = " ".join(str(v) for row in values for v in row)
    assert "Nanterre" not in flat


def test_csv_export_neutralises_spreadsheet_formulas(cast: Cast, as_user) -> None:
    AssetFactory(site=cast.site_a, inventory_tag="A-0002", label='=HYPERLINK("http://evil")')
    text = b"".join(as_user(cast.alice).get("/equipment/?export=csv").streaming_content).decode()
    assert "'=HYPERLINK" in text
    assert ';"=HYPERLINK' not in text


def test_xlsx_export_keeps_dates_numbers_and_formula_like_text_as_they_are(cast: Cast, as_user) -> None:
    AssetFactory(
        site=cast.site_a,
        inventory_tag="A-0002",
        label="=cmd|' /C calc'!A0",
        acquired_on=dt.date(2024, 5, 31),
        acquisition_cost=Decimal("289.90"),
    )
    response = as_user(cast.alice).get("/equipment/?export=xlsx")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="equipements-')
    sheet = load_workbook(io.BytesIO(response.getvalue())).active
    assert sheet.title == "Équipements"
    header = [cell.value for cell in sheet[1]]
    assert header[0] == gettext("Inventory tag") == "Numéro d’inventaire"
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert set(rows) == {"A-0001", "A-0002"}  # not member B's B-0001
    label = rows["A-0002"][header.index(gettext("Label"))]
    assert (label.value, label.data_type) == ("=cmd|' /C calc'!A0", "s")  # text, never a formula
    acquired = rows["A-0002"][header.index(gettext("Acquired on"))]
    assert acquired.is_date
    assert acquired.value.date() == dt.date(2024, 5, 31)
    cost = rows["A-0002"][header.index(gettext("Acquisition cost (EUR)"))]
    assert (cost.value, cost.data_type) == (289.9, "n")


@pytest.mark.parametrize("read", [True, False], ids=["downloaded", "abandoned"])
def test_xlsx_export_leaves_no_file_behind(
    cast: Cast, as_user, monkeypatch, tmp_path: Path, read: bool
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    files = []
    temporary_file = tempfile.TemporaryFile

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        files.append(temporary_file(*args, dir=scratch, **kwargs))
        return files[-1]

    monkeypatch.setattr(tempfile, "TemporaryFile", spy)
    response = as_user(cast.alice).get("/equipment/?export=xlsx")
    assert response.status_code == 200
    [file] = files
    assert not file.closed  # the download streams from it...
    assert list(scratch.iterdir()) == []  # ...a file with no name on disk
    if read:
        assert load_workbook(io.BytesIO(response.getvalue())).active.max_row == 2
    else:
        # What the server does when the browser goes away; without the request_finished
        # signal, which would close the test's database connection (as Django's client does).
        request_finished.disconnect(close_old_connections)
        try:
            response.close()
        finally:
            request_finished.connect(close_old_connections)
    assert file.closed


def test_asset_list_filters(cast: Cast, as_user) -> None:
    AssetFactory(site=cast.site_a, inventory_tag="A-REPAIR", status=AssetStatus.IN_REPAIR)
    client = as_user(cast.alice)
    page = client.get("/equipment/?status=in_repair").content.decode()
    assert "A-REPAIR" in page
    assert "A-0001" not in page
    assert "A-0001" in client.get("/equipment/?q=a-0001").content.decode()
    # Decimal numbers use the French decimal comma that French spreadsheets expect.
    assert ";289,00;" in b"".join(client.get("/equipment/?export=csv").streaming_content).decode()
    # A tampered filter value is ignored, not an error page.
    assert client.get("/equipment/?status=banana&asset_type=x&page=abc").status_code == 200


def test_member_filter_is_not_offered_to_member_users(cast: Cast, as_user) -> None:
    page = as_user(cast.alice).get("/sites/").content.decode()
    assert 'name="member"' not in page
    staff_page = as_user(cast.olivia).get("/sites/").content.decode()
    assert 'name="member"' in staff_page
    # Staff filtering by a member of another operator gets an empty list, not its sites.
    response = as_user(cast.oscar).get(f"/sites/?member={cast.member_a.pk}")
    assert "Mairie de Versailles" not in response.content.decode()


def test_list_queries_are_bounded(cast: Cast, as_user, django_assert_max_num_queries) -> None:
    for n in range(30):
        AssetFactory(site=SiteFactory(member=cast.member_a), inventory_tag=f"A-BULK-{n}")
    client = as_user(cast.olivia)
    for url in ("/", "/members/", "/sites/", "/equipment/", f"/members/{cast.member_a.pk}/"):
        # 15: the menu asks once whether there are sensors to show (the Territory entry).
        with django_assert_max_num_queries(15):
            assert client.get(url).status_code == 200


def test_site_page_shows_opening_hours_as_a_table(cast: Cast, as_user) -> None:
    page = as_user(cast.alice).get(f"/sites/{cast.site_a.pk}/").content.decode()
    assert '<th scope="row">Lundi</th><td>08:30–12:00, 13:30–17:30</td>' in page
    assert '<th scope="row">Dimanche</th><td>fermé</td>' in page


def test_asset_page_shows_history(cast: Cast, as_user) -> None:
    page = as_user(cast.alice).get(f"/equipment/{cast.asset_a.pk}/").content.decode()
    assert "Historique des états" in page
    assert "En service" in page


def test_english_interface(cast: Cast, as_user) -> None:
    client: Client = as_user(cast.alice)
    client.post("/accounts/language/", {"language": "en"})
    page = client.get("/equipment/").content.decode()
    assert '<html lang="en">' in page
    assert "Inventory tag" in page


def test_accessibility_statement_and_health_are_public(client: Client, db: None) -> None:
    assert client.get("/accessibility/").status_code == 200
    health = client.get("/healthz")
    assert health.json() == {"status": "ok"}
