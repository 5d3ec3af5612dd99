"""What the import pages and messages show of counts and of dates with a time.

- Counts were written as Python prints them ("Lignes lues 1001"); a French reader expects
  "1 001", an English one "1,001": every count on the pages, in the messages and in the
  command's output is written in the reader's language. Line numbers are not counts: they
  stay as the spreadsheet shows them.
- A date cell carrying a time of day (a workbook's date-and-time cell, "01/03/2024 14:30"
  in a CSV export) was refused where a date is expected. It is read as its date: at
  midnight silently, at another time with a note saying the time was left out.
- A workbook holding formulas was parsed twice, once for the values and once for the
  formulas; one parse now serves both (docs/imports.md, "Time").
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import translation
from openpyxl.worksheet._reader import WorkSheetParser

from mutualis.registry.models import Asset, ImportBatch, ImportStatus, Site
from tests.conftest import Cast

from .import_files import (
    ASSET_HEADER,
    SITE_HEADER,
    check,
    csv_bytes,
    problems,
    reference_lists,
    upload,
    with_cached_values,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db

NBSP = "\xa0"  # Django's thousands separator in French
ROWS = 1_001
# A workbook's date-and-time cell: no time zone, as Excel keeps it.
WORKBOOK_AFTERNOON = dt.datetime(2024, 3, 1, 14, 30)  # noqa: DTZ001


@pytest.fixture(autouse=True)
def _setup(cast: Cast, settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    reference_lists()
    Site.objects.filter(pk=cast.site_a.pk).update(code="HDV")  # where the equipment rows are


def _sites(commune: str = "78646") -> bytes:
    return csv_bytes(
        SITE_HEADER, [("78646", "mairie", f"Site {n}", f"S{n:04d}", "78000", commune) for n in range(ROWS)]
    )


def test_counts_on_the_import_pages_are_written_in_the_readers_language(cast: Cast, as_user) -> None:  # type: ignore[no-untyped-def]
    adam = as_user(cast.adam)  # in French, the platform's language
    upload(adam, _sites())
    batch = ImportBatch.objects.get()
    assert batch.status == ImportStatus.READY, batch.report["errors"][:3]
    page = adam.get(f"/imports/{batch.pk}/").content.decode()
    assert f'<tr><th scope="row">Lignes lues</th><td class="num">1{NBSP}001</td></tr>' in page
    assert f'<tr><th scope="row">À créer</th><td class="num">1{NBSP}001</td></tr>' in page

    applied = adam.post(f"/imports/{batch.pk}/apply/", follow=True).content.decode()
    assert f"Importé : 1{NBSP}001 créés, 0 mis à jour, 0 inchangé." in applied
    listing = adam.get("/imports/").content.decode()
    assert f'<td class="num">1{NBSP}001</td>' in listing

    # A file whose every row has two problems (a commune outside the territory, not of the
    # postal code): the count of problems, in the summary and above the list.
    upload(adam, _sites(commune="92050"))
    refused = ImportBatch.objects.latest("pk")
    page = adam.get(f"/imports/{refused.pk}/").content.decode()
    assert f'<tr><th scope="row">Problèmes</th><td class="num">2{NBSP}002</td></tr>' in page
    assert f"<caption>2{NBSP}002 problèmes, par ligne du fichier</caption>" in page
    # Line numbers are not counts: line 1002 is written as the spreadsheet shows it.
    assert (
        '<tr><th scope="row" class="num">1002</th>'
        in adam.get(f"/imports/{refused.pk}/?page=21").content.decode()
    )


def test_counts_in_the_commands_output_are_written_in_the_readers_language(
    cast: Cast, tmp_path: Path
) -> None:
    path = tmp_path / "sites.csv"
    path.write_bytes(_sites())
    out = io.StringIO()
    with translation.override("en"):
        call_command("import_sites", str(path), "--operator", "test-operator", "--dry-run", stdout=out)
    assert "Rows: 1,001; to create: 1,001; to update: 0; unchanged: 0." in out.getvalue()


def _assets(acquired_on: object) -> list[tuple[object, ...]]:
    return [
        (*ASSET_HEADER, "acquired_on"),
        ("T-0001", "78646", "HDV", "tablette", "en service", acquired_on),
    ]


@pytest.mark.parametrize(
    "acquired_on",
    [
        WORKBOOK_AFTERNOON,  # a date-and-time cell of a workbook
        "01/03/2024 14:30",  # its CSV export, French
        "2024-03-01T14:30:15",  # ISO 8601
    ],
)
def test_a_date_with_a_time_of_day_is_recorded_as_its_date_with_a_note(
    cast: Cast, english: None, acquired_on: object
) -> None:
    rows = _assets(acquired_on)
    if isinstance(acquired_on, dt.datetime):
        data = xlsx_bytes(("Matériel", rows))
    else:
        data = csv_bytes(rows[0], [rows[1]])  # type: ignore[arg-type]
    report = check(cast.operator, "assets", data)
    assert problems(report) == []
    written = acquired_on if isinstance(acquired_on, str) else "2024-03-01 14:30"
    time = written.split("T")[-1] if "T" in written else written.split()[-1]
    assert [(n.line, n.column, n.message) for n in report.notes] == [
        (
            2,
            "acquired_on",
            f"“{written}” is recorded as 03/01/2024: this column holds dates only, so the time ({time}) was left out.",
        )
    ]


@pytest.mark.parametrize(
    "acquired_on", [WORKBOOK_AFTERNOON.replace(hour=0, minute=0), "01/03/2024 00:00:00", "2024-03-01 00:00"]
)
def test_a_date_at_midnight_is_a_plain_date(cast: Cast, english: None, acquired_on: object) -> None:
    rows = _assets(acquired_on)
    if isinstance(acquired_on, dt.datetime):
        data = xlsx_bytes(("Matériel", rows))
    else:
        data = csv_bytes(rows[0], [rows[1]])  # type: ignore[arg-type]
    report = check(cast.operator, "assets", data)
    assert (problems(report), report.notes) == ([], [])


def test_a_date_with_a_time_is_imported_as_its_date(cast: Cast, as_english) -> None:  # type: ignore[no-untyped-def]
    adam = as_english(cast.adam)
    upload(adam, xlsx_bytes(("Matériel", _assets(WORKBOOK_AFTERNOON))), kind="assets", name="m.xlsx")
    batch = ImportBatch.objects.get()
    page = adam.get(f"/imports/{batch.pk}/").content.decode()
    assert "Values recorded otherwise than written" in page
    assert "the time (14:30) was left out" in page
    adam.post(f"/imports/{batch.pk}/apply/")
    assert Asset.objects.get(inventory_tag="T-0001").acquired_on == dt.date(2024, 3, 1)


def test_a_wrong_date_with_a_time_is_still_refused(cast: Cast, english: None) -> None:
    report = check(cast.operator, "assets", csv_bytes(*_csv(_assets("31/02/2024 14:30"))))
    assert problems(report) == [(2, "acquired_on", "“31/02/2024” is not a date that exists.")]
    report = check(cast.operator, "assets", csv_bytes(*_csv(_assets("01/03/2024 25:30"))))
    assert problems(report) == [
        (2, "acquired_on", "“01/03/2024 25:30” is not a date: write 2024-09-01 or 01/09/2024.")
    ]


def _csv(rows: list[tuple[object, ...]]) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    return tuple(map(str, rows[0])), [tuple(map(str, row)) for row in rows[1:]]


def test_a_workbook_with_formulas_is_parsed_once(cast: Cast, english: None, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    parses: list[object] = []
    parse = WorkSheetParser.parse

    def counted(self: WorkSheetParser):  # type: ignore[no-untyped-def]
        parses.append(self)
        return parse(self)

    monkeypatch.setattr(WorkSheetParser, "parse", counted)
    rows = [
        (*SITE_HEADER, "address"),
        (78646, "mairie", "Hôtel de ville", "=UPPER(C2)", 78000, 78646, "1 place"),
        (78646, "mairie", "Annexe", "=A3&B3", 78000, 78646, "2 place"),
    ]
    data = with_cached_values(xlsx_bytes(("Sites", rows)), {"D2": "HOTEL DE VILLE"})
    report = check(cast.operator, "sites", data)
    # The saved value is read, and the formula whose value was never saved is named.
    assert report.rows == 2
    assert [(line, column) for line, column, _message in problems(report)] == [(3, "reference")]
    assert "the formula =A3&B3, but no value for it was saved" in problems(report)[0][2]
    assert len(parses) == 1


def test_a_shared_formula_without_saved_values_is_named_in_each_cell(cast: Cast, english: None) -> None:
    """Excel writes a formula filled down a column once, the other cells referring to it
    (ECMA-376 Part 1, §18.3.1.40): each cell is named with its own formula."""
    rows = [
        (*SITE_HEADER, "address"),
        (78646, "mairie", "Hôtel de ville", "MAI", 78000, 78646, "=C2&D2"),
        (78646, "mairie", "Annexe", "ANX", 78000, 78646, "=C3&D3"),
        (78646, "mairie", "École", "ECO", 78000, 78646, "=C4&D4"),
    ]
    data = _shared(
        xlsx_bytes(("Sites", rows)), column="G", first=2, last=4, saved={"G2": "Hôtel de villeMAI"}
    )
    report = check(cast.operator, "sites", data)
    assert [(line, message.split(",")[0]) for line, _column, message in problems(report)] == [
        (3, "This cell holds the formula =C3&D3"),
        (4, "This cell holds the formula =C4&D4"),
    ]


def _shared(data: bytes, *, column: str, first: int, last: int, saved: dict[str, str]) -> bytes:
    """The workbook with the formulas of `column` written as Excel writes a formula filled
    down: the first cell holds it (t="shared"), the others its number only; `saved` gives
    the values saved for some cells."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            part = source.read(info)
            if info.filename.startswith("xl/worksheets/"):
                text = part.decode("utf-8")
                for row in range(first, last + 1):
                    cell = f"{column}{row}"
                    formula = (
                        f'<f t="shared" ref="{column}{first}:{column}{last}" si="0">\\2</f>'
                        if row == first
                        else '<f t="shared" si="0"/>'
                    )
                    value = f"<v>{saved[cell]}</v>" if cell in saved else ""
                    kind = ' t="str"' if cell in saved else ""
                    text, count = re.subn(
                        rf'<c r="{cell}"([^>]*)><f>(.*?)</f><v\s*/?>(?:</v>)?</c>',
                        rf'<c r="{cell}"\1{kind}>{formula}{value}</c>',
                        text,
                    )
                    assert count == 1, (cell, text)
                part = text.encode("utf-8")
            target.writestr(info, part)
    return buffer.getvalue()
