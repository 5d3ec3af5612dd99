"""Excel workbooks (.xlsx) imported directly: the same checks, report and batch as CSV files."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from mutualis.registry.models import Asset, AssetStatusChange, ImportBatch, ImportStatus, Site
from tests.conftest import Cast
from tests.factories import CommuneFactory, DepartementFactory, MemberFactory

from .import_files import (
    SITE_HEADER,
    check,
    problems,
    reference_lists,
    upload,
    with_cached_values,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db

SITE_ROW = (78646, "mairie", "Hôtel de ville", "HDV", 78000, 78646)
# How Excel stores a date: a datetime at midnight, in no time zone (spreadsheets have none).
SEPT_1ST = dt.datetime(2024, 9, 1)  # noqa: DTZ001


@pytest.fixture(autouse=True)
def _setup(cast: Cast, settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    reference_lists()


def test_a_workbook_is_checked_and_imported_through_the_page(cast: Cast, as_english, as_user) -> None:  # type: ignore[no-untyped-def]
    data = xlsx_bytes(
        ("Feuil1", []),
        (
            "Sites",
            [
                # French names, and empty columns right of the header, as spreadsheets leave them.
                ("Adhérent", "Type", "Nom", "Code", "Code postal", "Code INSEE", "Horaires", None, None),
                # Numbers as Excel stores them: 78646.0 is the member 78646.
                (78646.0, "mairie", "Hôtel de ville", "HDV", 78000, 78646, "lun-ven 8h30-12h, 13h30-17h"),
                (None, None, None),
                (78646, "ecole", "École Hoche", "0781234A", "78000", "78646", None, None, None),
            ],
        ),
    )
    adam = as_english(cast.adam)
    form = adam.get("/imports/new/").content.decode()
    assert '<label for="id_file">File (CSV or Excel)' in form
    assert 'accept=".csv,.txt,text/csv,.xlsx,' in form

    response = upload(adam, data, name="inventaire.xlsx")
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert (batch.status, batch.file_name, batch.size) == (ImportStatus.READY, "inventaire.xlsx", len(data))
    page = adam.get(f"/imports/{batch.pk}/").content.decode()
    assert (
        "read from the sheet “Sites”, the first of its 2 sheets that holds a table; the others were not read"
        in page
    )
    assert "Values recorded otherwise than written" in page
    assert (
        '<th scope="row" class="num">2</th><td>Horaires</td>'
        "<td>“lun-ven 8h30-12h, 13h30-17h” is recorded as “Mo-Fr 08:30-12:00,13:30-17:00”.</td>"
    ) in page
    assert "Import now" in page

    applied = adam.post(f"/imports/{batch.pk}/apply/", follow=True).content.decode()
    assert "Imported: 2 created, 0 updated, 0 unchanged." in applied
    town_hall = Site.objects.get(code="HDV")
    assert (town_hall.member, town_hall.postal_code, town_hall.commune.code) == (
        cast.member_a,
        "78000",
        "78646",
    )
    assert town_hall.opening_hours == "Mo-Fr 08:30-12:00,13:30-17:00"
    assert Site.objects.get(code="0781234A").name == "École Hoche"

    # The workbook as uploaded, under its name, as a plain download (not as CSV).
    original = adam.get(f"/imports/{batch.pk}/file/")
    assert b"".join(original.streaming_content) == data
    assert original["Content-Type"] == "application/octet-stream"
    assert 'filename="inventaire.xlsx"' in original["Content-Disposition"]
    # Outsiders: another operator's admin does not see it; another role is refused.
    assert as_user(cast.oscar).get(f"/imports/{batch.pk}/file/").status_code == 404
    assert as_user(cast.charlie).get(f"/imports/{batch.pk}/file/").status_code == 403


def test_an_equipment_workbook_updates_with_the_changes_listed_first(cast: Cast, as_english) -> None:  # type: ignore[no-untyped-def]
    Site.objects.filter(pk=cast.site_a.pk).update(code="HDV")
    header = (
        "inventory_tag",
        "member",
        "site",
        "type",
        "status",
        "acquired_on",
        "warranty_ends_on",
        "acquisition_cost",
        "serial_number",
    )
    rows = [
        header,
        # Dates as Excel keeps them (a datetime at midnight), a whole number as serial number.
        (
            "A-0001",
            78646,
            "HDV",
            "tablette",
            "en stock",
            SEPT_1ST,
            dt.date(2027, 8, 31),
            289.9,
            123456789,
        ),
        # The cost is a formula: its saved value has the float noise of the computation.
        ("T-0002", "78646", "HDV", "tablette", None, SEPT_1ST, None, "=289.9*1.2", None),
    ]
    data = with_cached_values(xlsx_bytes(("Matériel", rows)), {"H3": "347.88000000000005"})
    adam = as_english(cast.adam)
    upload(adam, data, kind="assets", mode="update", name="materiel.xlsx")
    batch = ImportBatch.objects.get()
    assert batch.status == ImportStatus.READY, batch.report["errors"]
    page = adam.get(f"/imports/{batch.pk}/").content.decode()
    assert "read from its sheet “Matériel”" in page
    assert "1 row to update, by line of the file" in page
    assert (
        '<tr><th scope="row" class="num">2</th><td>A-0001</td><td><ul><li>serial_number: '
        f"“{cast.asset_a.serial_number}” → “123456789”</li><li>status: “in service” → “in stock”</li><li>acquired_on: 09/01/2023 → 09/01/2024"
        "</li><li>warranty_ends_on: 09/01/2026 → 08/31/2027</li><li>acquisition_cost: 289.00 → 289.90</li>"
        "</ul></td></tr>"
    ) in page

    adam.post(f"/imports/{batch.pk}/apply/")
    cast.asset_a.refresh_from_db()
    assert (cast.asset_a.status, cast.asset_a.acquired_on, cast.asset_a.warranty_ends_on) == (
        "in_stock",
        dt.date(2024, 9, 1),
        dt.date(2027, 8, 31),
    )
    assert (cast.asset_a.acquisition_cost, cast.asset_a.serial_number) == (Decimal("289.90"), "123456789")
    new = Asset.objects.get(inventory_tag="T-0002")
    assert (new.acquisition_cost, new.acquired_on, new.status) == (
        Decimal("347.88"),
        dt.date(2024, 9, 1),
        "in_service",
    )
    assert AssetStatusChange.objects.filter(asset=cast.asset_a, to_status="in_stock").exists()


def test_cells_a_workbook_cannot_give_as_text_are_reported_each(cast: Cast, english: None) -> None:
    rows = [
        (*SITE_HEADER, "address"),
        # A formula whose value was saved reads as that value, an empty text included.
        (78646, "mairie", "Hôtel de ville", "=UPPER(C2)", 78000, 78646, '=IF(A2>0,"","?")'),
        # A formula whose value was never saved (a file written by a program).
        (78646, "mairie", "Annexe", "=A3&B3", 78000, 78646, None),
        # An error value, and a true/false value.
        (78646, "mairie", "#REF!", "ANX", 78000, 78646, True),
        # A value right of the last named column.
        (78646, "ecole", "École", "ECO", 78000, 78646, None, None, "annexe"),
    ]
    data = with_cached_values(xlsx_bytes(("Sites", rows)), {"D2": "HOTEL DE VILLE", "G2": ""})
    report = check(cast.operator, "sites", data)
    assert (report.sheet, report.sheet_count, report.rows, report.encoding) == ("Sites", 1, 4, "")
    assert problems(report) == [
        (
            3,
            "reference",
            "This cell holds the formula =A3&B3, but no value for it was saved (the file was made by a "
            "program that does not compute formulas). Open the file in Excel or LibreOffice and save it "
            "again, or type the value.",
        ),
        (
            4,
            "name",
            "This cell shows the error #REF! (a formula that failed): correct it, or type the value.",
        ),
        (
            4,
            "address",
            "This cell holds a true/false value (a checkbox or a test), which no column takes: type the text.",
        ),
        (
            5,
            "",
            "This row has a value in column I (“annexe”), right of the last named column: name that column "
            "in the header line, or delete the value.",
        ),
    ]


def test_codes_excel_turned_into_numbers_get_their_leading_zero_back(cast: Cast, english: None) -> None:
    ain = DepartementFactory(code="01", name="Ain", region_code="84")
    commune = CommuneFactory(code="01004", name="Ambérieu-en-Bugey", departement=ain, postal_codes=["01500"])
    MemberFactory(operator=cast.operator, commune=commune)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(SITE_HEADER)
    sheet.append((1004, "mairie", "Mairie d'Ambérieu", "MAI", 1500, 1004))
    sheet.append((1004, "ecole", "École du centre", "ECO", 1500, 1004))
    # Excel's "postal code" format shows 1500 as 01500: the text read is the one shown.
    sheet["E3"].number_format = "00000"
    buffer = io.BytesIO()
    workbook.save(buffer)
    from mutualis.registry.imports.sites import validate_sites

    plan = validate_sites(operator=cast.operator, data=buffer.getvalue(), mode="create")
    assert plan.report.ok, problems(plan.report)
    assert [(s.commune_id, s.postal_code) for s in plan.creates] == [(commune.pk, "01500")] * 2


def test_a_long_number_excel_rounded_is_reported_like_in_a_csv_file(cast: Cast, english: None) -> None:
    Site.objects.filter(pk=cast.site_a.pk).update(code="HDV")
    rows = [
        ("inventory_tag", "member", "site", "type", "serial_number"),
        ("T-1", 78646, "HDV", "tablette", 12345678901234567890),
    ]
    report = check(cast.operator, "assets", xlsx_bytes(("Feuil1", rows)))
    assert problems(report) == [
        (
            2,
            "serial_number",
            "“1.23456789012346E+19” is a long number as a spreadsheet shows it, its last digits lost. In the "
            "spreadsheet, format this column as Text, type the values again, and save the file again.",
        )
    ]


def test_hidden_and_empty_sheets_are_passed_over(cast: Cast, english: None) -> None:
    data = xlsx_bytes(
        ("Listes", [("mairie",), ("ecole",)]),
        ("Vide", [(None, None)]),
        ("Sites", [SITE_HEADER, SITE_ROW]),
        hidden=["Listes"],
    )
    report = check(cast.operator, "sites", data)
    assert report.ok, problems(report)
    assert (report.sheet, report.sheet_count, report.rows) == ("Sites", 3, 1)
    empty = check(cast.operator, "sites", xlsx_bytes(("Feuil1", []), ("Feuil2", [(None, "  ")])))
    assert problems(empty) == [(0, "", "The workbook is empty: none of its sheets holds a value.")]


def test_a_header_without_rows_and_a_wrong_header_are_reported_with_the_sheet(
    cast: Cast, english: None
) -> None:
    assert problems(check(cast.operator, "sites", xlsx_bytes(("Sites", [SITE_HEADER])))) == [
        (0, "", "The sheet has a header line but no rows.")
    ]
    report = check(
        cast.operator, "sites", xlsx_bytes(("Sites", [(None,), ("member", "kind", None, "name"), SITE_ROW]))
    )
    assert report.sheet == "Sites"
    assert not report.rows_checked
    assert (2, "", "Column C has no name: name it or delete it.") in problems(report)


def test_an_equipment_workbook_uploaded_as_sites_is_named_for_what_it_is(cast: Cast, english: None) -> None:
    rows = [("inventory_tag", "member", "site", "type"), ("T-1", 78646, "HDV", "tablette")]
    report = check(cast.operator, "sites", xlsx_bytes(("Feuil1", rows)))
    assert [p.message for p in report.problems] == [
        "This file holds equipment, not sites: its header names the columns of equipment. Import it again "
        "choosing “equipment”."
    ]


def _zip(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _damaged_sheet() -> bytes:
    good = zipfile.ZipFile(io.BytesIO(xlsx_bytes(("Sites", [SITE_HEADER, SITE_ROW]))))
    parts = {info.filename: good.read(info) for info in good.infolist()}
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"][:300]
    return _zip(parts)


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            _zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"}),
            "This is an OpenDocument spreadsheet (.ods), which is not read. In LibreOffice, use “Save as” and "
            "choose “Excel 2007-365 (.xlsx)” or “Text CSV”. Files read: CSV (text) and Excel workbooks (.xlsx).",
        ),
        (
            OLE2 + "Workbook".encode("utf-16-le"),
            "This is an Excel 97-2003 workbook (.xls), which is not read. In Excel, use “Save as” and choose "
            "“Excel Workbook (.xlsx)” or “CSV UTF-8”. Files read: CSV (text) and Excel workbooks (.xlsx).",
        ),
        (
            OLE2 + "EncryptionInfo".encode("utf-16-le") + "EncryptedPackage".encode("utf-16-le"),
            "This workbook is protected by a password, so it cannot be read. In Excel, remove the password "
            "(File > Info > Protect Workbook > Encrypt with Password, then empty the password), save, and "
            "upload it again.",
        ),
        (
            _zip({"readme.txt": b"hello"}),
            "This is a zip archive, not a CSV file or an Excel workbook. Files read: CSV (text) and Excel "
            "workbooks (.xlsx).",
        ),
    ],
    ids=["ods", "xls", "password", "zip"],
)
def test_other_workbooks_are_refused_saying_what_to_save_them_as(
    cast: Cast, english: None, data: bytes, message: str
) -> None:
    assert problems(check(cast.operator, "sites", data)) == [(0, "", message)]


DAMAGED = (
    "This workbook is damaged and cannot be read. Open it in Excel or LibreOffice, save it again as “Excel "
    "Workbook (.xlsx)”, and upload that file."
)


@pytest.mark.parametrize(
    "data",
    [
        xlsx_bytes(("Sites", [SITE_HEADER, SITE_ROW]))[:900],
        _zip({"[Content_Types].xml": b"<Types", "xl/workbook.xml": b"<workbook"}),
        _damaged_sheet(),
    ],
    ids=["truncated", "bad-xml", "bad-sheet"],
)
def test_a_damaged_workbook_gets_a_message_not_an_error_page(cast: Cast, as_english, data: bytes) -> None:  # type: ignore[no-untyped-def]
    response = upload(as_english(cast.adam), data, name="inventaire.xlsx")
    assert response.status_code == 302
    batch = ImportBatch.objects.get()
    assert batch.status == ImportStatus.INVALID
    assert [(e["line"], e["message"]) for e in batch.report["errors"]] == [(0, DAMAGED)]


def test_a_workbook_too_big_once_unzipped_or_read_is_refused(cast: Cast, english: None, settings) -> None:  # type: ignore[no-untyped-def]
    settings.IMPORT_MAX_BYTES = 20_000
    long_values = xlsx_bytes(
        ("Sites", [SITE_HEADER, *[(78646, "mairie", "x" * 150, f"S{i}", 78000, 78646) for i in range(200)]])
    )
    assert len(long_values) < settings.IMPORT_MAX_BYTES
    assert problems(check(cast.operator, "sites", long_values)) == [
        (
            0,
            "",
            "The sheet holds more than 0 MB of values (as a CSV file would). Split it in several files, or "
            "delete the empty rows and columns the sheet may hold at the bottom or right of the table.",
        )
    ]
    huge = xlsx_bytes(("Sites", [SITE_HEADER, *[(78646, "mairie", "x" * 5000, "S", 78000, 78646)] * 100]))
    assert len(huge) < settings.IMPORT_MAX_BYTES
    report = check(cast.operator, "sites", huge)
    assert len(report.problems) == 1
    assert "workbooks up to 0 MB unzipped are read" in report.problems[0].message


def test_the_command_line_imports_a_workbook(cast: Cast, english: None, tmp_path: Path) -> None:
    rows = [(*SITE_HEADER, "horaires"), (*SITE_ROW, "lun-ven 8h-12h")]
    path = tmp_path / "sites.xlsx"
    path.write_bytes(xlsx_bytes(("Sites", rows)))
    out = io.StringIO()
    call_command("import_sites", str(path), "--operator", "test-operator", stdout=out)
    output = out.getvalue()
    assert "Read from the sheet “Sites” (sheets in the workbook: 1)." in output
    assert 'line 2, column "horaires": “lun-ven 8h-12h” is recorded as “Mo-Fr 08:00-12:00”.' in output
    assert "1 created, 0 updated, 0 unchanged." in output
    assert Site.objects.get(code="HDV").opening_hours == "Mo-Fr 08:00-12:00"
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx_bytes(("Sites", [SITE_HEADER, (78646, "mairie", "Annexe", "ANX", 78000, "=F1")])))
    with pytest.raises(CommandError, match="1 problem found"):
        call_command("import_sites", str(bad), "--operator", "test-operator", stdout=io.StringIO())
