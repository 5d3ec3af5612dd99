"""Files as office software saves them: LibreOffice's workbooks and French CSV files (kept in
tests/registry/files/, see its README), and the shapes people give their sheets (a title
above the table, a notice sheet first, a table drawn from cell B2), read by the imports."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from unittest import mock

import pytest
from django.utils import translation
from openpyxl.worksheet._reader import WorkSheetParser

from mutualis.lib.xlsx import write_xlsx
from mutualis.registry.imports import rows
from mutualis.registry.imports.columns import normalize
from mutualis.registry.models import Asset, ImportBatch, ImportStatus, Site
from tests.conftest import Cast
from tests.factories import (
    AssetFactory,
    AssetTypeFactory,
    CommuneFactory,
    DepartementFactory,
    MemberFactory,
    SiteFactory,
)

from .import_files import SITE_HEADER, check, csv_bytes, problems, reference_lists, upload, xlsx_bytes

pytestmark = pytest.mark.django_db

FILES = Path(__file__).parent / "files"
SITE_ROW = ("78646", "mairie", "Hôtel de ville", "HDV", "78000", "78646")


@pytest.fixture(autouse=True)
def _setup(cast: Cast, settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    reference_lists()


@pytest.fixture
def ain_and_corsica(cast: Cast) -> None:
    """The members the files name: communes whose codes start with a zero, or with 2A."""
    ain = DepartementFactory(code="01", name="Ain")
    corse_du_sud = DepartementFactory(code="2A", name="Corse-du-Sud")
    bourg = CommuneFactory(code="01053", name="Bourg-en-Bresse", departement=ain, postal_codes=["01000"])
    ajaccio = CommuneFactory(
        code="2A004", name="Ajaccio", departement=corse_du_sud, postal_codes=["20000", "20090"]
    )
    MemberFactory(operator=cast.operator, commune=bourg, siren="210100533")
    MemberFactory(operator=cast.operator, commune=ajaccio, siren="212000046")


def test_a_libreoffice_workbook_with_a_notice_a_title_and_a_table_from_b4_is_imported(  # type: ignore[no-untyped-def]
    cast: Cast, ain_and_corsica: None, as_english
) -> None:
    adam = as_english(cast.adam)
    data = (FILES / "sites_libreoffice.xlsx").read_bytes()
    response = upload(adam, data, name="sites_libreoffice.xlsx")
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert batch.status == ImportStatus.READY, batch.report["errors"]
    page = adam.get(f"/imports/{batch.pk}/").content.decode()
    assert "read from the sheet “Sites”, the first of its 3 sheets that holds a table" in page
    adam.post(f"/imports/{batch.pk}/apply/")
    imported = Site.objects.filter(code__in=["BB-HDV", "0010001A", "AJ-SAL"]).select_related("commune")
    sites = {s.code: s for s in imported}
    # Leading zeros kept (a number 1000, a text "01000", a number formatted 00000), Corsica's
    # code as written, accents and the dash of the names, a formula's value saved by LibreOffice.
    assert {code: (s.name, s.postal_code, s.commune.code) for code, s in sites.items()} == {
        "BB-HDV": ("Hôtel de ville de Bourg-en-Bresse", "01000", "01053"),
        "0010001A": ("École élémentaire Édouard Herriot", "01000", "01053"),
        "AJ-SAL": ("Mairie annexe des Salines — Ajaccio", "20090", "2A004"),
    }
    assert sites["BB-HDV"].opening_hours == "Mo-Fr 08:30-12:00"


def test_an_excel_97_workbook_saved_by_libreoffice_gets_a_message_not_an_error_page(  # type: ignore[no-untyped-def]
    cast: Cast, as_english
) -> None:
    adam = as_english(cast.adam)
    response = upload(adam, (FILES / "sites_libreoffice.xls").read_bytes(), name="sites.xls")
    assert response.status_code == 302
    batch = ImportBatch.objects.get()
    assert batch.status == ImportStatus.INVALID
    [problem] = batch.report["errors"]
    assert problem["message"].startswith("This is an Excel 97-2003 workbook (.xls), which is not read.")


def test_rows_above_the_header_are_passed_over_and_lines_stay_the_sheets(cast: Cast, english: None) -> None:
    title = ("Inventaire des sites — 2026", None, None, None, None, None)
    groups = ("Adhérent et site", None, None, None, "Localisation", None)
    data = xlsx_bytes(
        ("Sites", [title, (), groups, SITE_HEADER, SITE_ROW, (*SITE_ROW[:3], "HDV2", "99999", "78646")])
    )
    report = check(cast.operator, "sites", data)
    assert problems(report) == [(6, "postal_code", "99999 is not a postal code of Versailles (78000).")]
    assert report.rows == 2
    # The same in a CSV file saved from such a sheet.
    text = "Inventaire des sites;;;;;\r\n;;;;;\r\n" + csv_bytes(SITE_HEADER, [SITE_ROW]).decode()
    report = check(cast.operator, "sites", text.encode())
    assert report.ok, problems(report)
    assert report.rows == 1


def test_a_sheet_without_a_header_is_still_reported_on_its_first_row(cast: Cast, english: None) -> None:
    first_row = (
        1,
        "",
        "The first line must name the columns (member;kind;name;reference…); none of its cells is a known "
        "column name.",
    )
    data = xlsx_bytes(("Feuil1", [("Inventaire",), *[(f"ligne {i}", "x") for i in range(20)]]))
    assert problems(check(cast.operator, "sites", data)) == [first_row]
    assert problems(check(cast.operator, "sites", b"Inventaire;;\nx;y;z\n")) == [first_row]


def test_a_notice_sheet_before_the_table_is_passed_over(cast: Cast, english: None) -> None:
    data = xlsx_bytes(
        ("Notice", [("Une ligne par site.",), ("Ne pas renommer les colonnes.",)]),
        ("Sites", [SITE_HEADER, SITE_ROW]),
    )
    report = check(cast.operator, "sites", data)
    assert report.ok, problems(report)
    assert (report.sheet, report.rows) == ("Sites", 1)


def test_an_unnamed_column_is_ignored_when_empty_and_reported_when_it_holds_values(
    cast: Cast, english: None
) -> None:
    # A table drawn from cell B2, and a spacer column between two groups of columns.
    from_b2 = xlsx_bytes(
        (
            "Sites",
            [
                (),
                (None, *SITE_HEADER[:3], None, *SITE_HEADER[3:]),
                (None, *SITE_ROW[:3], None, *SITE_ROW[3:]),
            ],
        )
    )
    report = check(cast.operator, "sites", from_b2)
    assert report.ok, problems(report)
    assert report.rows == 1
    # The same table saved as CSV: every line starts with a separator.
    assert check(cast.operator, "sites", csv_bytes(("", *SITE_HEADER), [("", *SITE_ROW)])).ok
    holding = xlsx_bytes(("Sites", [(None, *SITE_HEADER), ("annexe", *SITE_ROW)]))
    assert problems(check(cast.operator, "sites", holding)) == [
        (1, "", "Column A has no name: name it or delete it.")
    ]


def test_typographic_apostrophes_separate_words_as_straight_ones_do(cast: Cast, english: None) -> None:
    assert normalize("Numéro d’inventaire") == normalize("Numéro d'inventaire") == "numero_d_inventaire"
    assert normalize("Coût d’acquisition (€ HT)") == "cout_d_acquisition_ht"
    AssetTypeFactory(code="centrale", name="Centrale d'alarme")
    site = SiteFactory(member=cast.member_a, code="HDV")
    header = ("N° d’inventaire", "Adhérent", "Code site", "Type")
    report = check(
        cast.operator, "assets", csv_bytes(header, [("TAG-1", "78646", "HDV", "Centrale d’alarme")])
    )
    assert report.ok, problems(report)
    assert site.pk


def test_a_libreoffice_workbook_with_dates_stored_as_numbers(
    cast: Cast, ain_and_corsica: None, english: None
) -> None:
    SiteFactory(member=cast.operator.members.get(siren="210100533"), code="BB-HDV")
    report = check(cast.operator, "assets", (FILES / "assets_libreoffice.xlsx").read_bytes())
    assert report.ok, problems(report)
    assert [(n.line, n.column, n.message) for n in report.notes] == [
        (
            2,
            "Fin de garantie",
            "“46644” is recorded as 09/14/2027: it is a date as spreadsheets store it, as a number of days. In "
            "the spreadsheet, format the column as dates to see them.",
        )
    ]
    # A year, or a number of days outside 1970-2100, is no date.
    bad = csv_bytes(
        ("inventory_tag", "member", "site", "type", "acquired_on"),
        [("T1", "78646", "HDV", "tablette", "2024")],
    )
    SiteFactory(member=cast.member_a, code="HDV")
    assert problems(check(cast.operator, "assets", bad)) == [
        (2, "acquired_on", "“2024” is not a date: write 2024-09-01 or 01/09/2024.")
    ]


def test_a_french_libreoffice_csv_with_two_digit_years_is_imported(
    cast: Cast, ain_and_corsica: None, as_english
) -> None:
    SiteFactory(member=cast.operator.members.get(siren="210100533"), code="BB-HDV")
    data = (FILES / "assets_libreoffice_fr.csv").read_bytes()
    report = check(cast.operator, "assets", data)
    assert report.ok, problems(report)
    assert report.encoding == "Windows-1252"
    assert [(n.line, n.column) for n in report.notes] == [
        (2, "Date d'achat"),
        (2, "Fin de garantie"),
        (3, "Date d'achat"),
    ]
    adam = as_english(cast.adam)
    upload(adam, data, kind="assets", name="equipements.csv")
    adam.post(f"/imports/{ImportBatch.objects.get().pk}/apply/")
    assets = {a.inventory_tag: a for a in Asset.objects.filter(site__operator=cast.operator)}
    assert (assets["INV-0001"].acquired_on, assets["INV-0001"].warranty_ends_on) == (
        dt.date(2024, 9, 15),
        dt.date(2027, 9, 14),
    )
    assert (assets["INV-0001"].acquisition_cost, assets["INV-0002"].acquisition_cost) == (
        Decimal("289.90"),
        Decimal("1249.00"),
    )
    assert assets["INV-0002"].acquired_on == dt.date(2025, 12, 31)


def test_a_two_digit_year_is_taken_within_twenty_years_ahead() -> None:
    today = dt.date(2026, 11, 24)
    assert rows.short_year_date("15/09/24", today=today) == dt.date(2024, 9, 15)
    assert rows.short_year_date("31/12/46", today=today) == dt.date(2046, 12, 31)
    assert rows.short_year_date("01/01/47", today=today) == dt.date(1947, 1, 1)
    assert rows.short_year_date("31/02/24", today=today) is None
    assert rows.short_year_date("15/09/2024", today=today) is None


def test_the_equipment_list_exported_imports_back_unchanged(cast: Cast, as_user) -> None:  # type: ignore[no-untyped-def]
    """Export the list, correct it in a spreadsheet, import it back in update mode: the
    export's own column names and member names are understood (the interface in French)."""
    site = SiteFactory(member=cast.member_a, name="Hôtel de ville", code="HDV")
    AssetFactory(
        site=site, inventory_tag="TAB-1", acquired_on=dt.date(2024, 9, 1), acquisition_cost=Decimal("289.90")
    )
    adam = as_user(cast.adam)
    exported = adam.get("/equipment/?export=xlsx")
    data = b"".join(exported.streaming_content) if exported.streaming else exported.content
    upload(adam, data, kind="assets", mode="update", name="equipment.xlsx")
    batch = ImportBatch.objects.get()
    assert batch.status == ImportStatus.READY, batch.report["errors"]
    # Every piece of equipment the operator's admin sees (the cast's too), each unchanged.
    assert (
        batch.report["rows"]
        == batch.report["unchanged"]
        == Asset.objects.filter(site__operator=cast.operator).count()
    )


@pytest.mark.parametrize(("language", "fmt"), [("fr", "xlsx"), ("fr", "csv"), ("en", "xlsx")])
def test_the_sites_list_exported_imports_back_unchanged(cast: Cast, as_user, language: str, fmt: str) -> None:  # type: ignore[no-untyped-def]
    """The export writes the commune's name beside its INSEE code and the count of
    equipment: both are passed over with a note, every site found unchanged."""
    for site in Site.objects.filter(operator=cast.operator, code=""):
        site.code = f"S{site.pk}"
        site.save(update_fields=["code"])
    cast.adam.language = language
    cast.adam.save(update_fields=["language"])
    adam = as_user(cast.adam)
    with translation.override(language):
        exported = adam.get(f"/sites/?export={fmt}")
        data = b"".join(exported.streaming_content) if exported.streaming else exported.content
        if fmt == "csv":  # the export as it is written: the name beside the code, the count
            assert "Commune;Code INSEE" in data.decode("utf-8-sig").splitlines()[0]
        upload(adam, data, kind="sites", mode="update", name=f"sites.{fmt}")
    batch = ImportBatch.objects.get()
    assert batch.status == ImportStatus.READY, batch.report["errors"]
    assert (
        batch.report["rows"]
        == batch.report["unchanged"]
        == Site.objects.filter(operator=cast.operator).count()
    )
    notes = " ".join(note["message"] for note in batch.report["notes"])
    assert ("was not read" if language == "en" else "n’a pas été lue") in notes, notes


def test_two_members_of_the_same_name_are_told_apart_by_siren(cast: Cast, english: None) -> None:
    # Created in the other order than they are said: the message lists them by SIREN, the
    # same on every run (the members were read in no set order, and PostgreSQL once
    # returned them swapped).
    MemberFactory(operator=cast.operator, establishment=True, name="Collège Jean Mermoz", siren="190000002")
    MemberFactory(operator=cast.operator, establishment=True, name="Collège Jean Mermoz", siren="190000001")
    data = csv_bytes(
        ("inventory_tag", "member", "site", "type"), [("T1", "Collège Jean Mermoz", "HDV", "tablette")]
    )
    assert problems(check(cast.operator, "assets", data))[0] == (
        2,
        "member",
        "2 members are named “Collège Jean Mermoz” (SIREN 190000001, 190000002): write the SIREN of the one meant.",
    )


def test_a_sheet_declaring_no_size_is_not_parsed_to_find_it(
    cast: Cast, english: None, tmp_path: Path
) -> None:
    """Our own exports (and openpyxl's write-only files) declare no <dimension>: openpyxl
    would parse the whole sheet once more to look for one."""
    path = tmp_path / "export.xlsx"
    with path.open("wb") as file:
        write_xlsx(file, title="Sites", header=SITE_HEADER, rows=[SITE_ROW], tz=dt.UTC)
    with mock.patch.object(
        WorkSheetParser, "parse_dimensions", autospec=True, return_value=None
    ) as looked_up:
        report = check(cast.operator, "sites", path.read_bytes())
    assert report.ok, problems(report)
    assert looked_up.call_count == 0
