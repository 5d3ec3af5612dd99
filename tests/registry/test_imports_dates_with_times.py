"""Dates written with a time in the forms people send, read as their date (docs/imports.md, "Dates").

- A spreadsheet's number of days with a fraction for the time (45352.604, a date-and-time
  cell formatted as a number, or its CSV export) was refused where a whole number of days
  was read: it is read as its day, the time as a spreadsheet shows it (HH:MM) in the note.
- French times after a date ("01/03/2024 14h30", "14 h 30", "14h") were refused where
  "14:30" was read: they are read the same way.
- A date-time with a time zone ("2024-03-01T14:30:00+01:00", "… 14:30:00Z") was refused:
  it is read as the date written, the day the person typed, never shifted by a conversion
  to another time zone (23:30 on 1 March in New York is 2 March in Paris and in UTC).

Every form is read from a CSV file and from a workbook's cells, with the same note.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from mutualis.registry.models import Site
from tests.conftest import Cast

from .import_files import check, dated_assets, imported_dates, problems, reference_lists

pytestmark = pytest.mark.django_db

SERIAL_NOTE = (
    "“{written}” is recorded as {recorded}: it is a date as spreadsheets store it, as a number of days. "
    "In the spreadsheet, format the column as dates to see them."
)
TIME_NOTE = (
    "“{written}” is recorded as {recorded}: this column holds dates only, so the time ({time}) was left out."
)
# 01/03/2024 14:30 as a spreadsheet stores it, and as its cell holds it once formatted as a
# number: Excel keeps 15 significant digits.
AFTERNOON_SERIAL = 45352 + (14 * 60 + 30) / 1440
# (the cell of a workbook or the text of a CSV file, the value as the report quotes it, the
# date recorded, the time the note names or "" for none, whether it is a number of days)
Form = tuple[object, str, dt.date, str, bool]
FIRST_OF_MARCH = dt.date(2024, 3, 1)
SERIAL_FORMS: dict[str, list[Form]] = {
    "xlsx": [
        (AFTERNOON_SERIAL, "45352.6041666667", FIRST_OF_MARCH, "14:30", True),
        # A value rounded to three decimals: 14:29:45.6, which a spreadsheet shows as 14:29.
        (45352.604, "45352.604", FIRST_OF_MARCH, "14:29", True),
        (45352.25, "45352.25", FIRST_OF_MARCH, "06:00", True),
        (45716.99, "45716.99", dt.date(2025, 2, 28), "23:45", True),
    ],
    "csv": [
        # LibreOffice in French exports the number as it shows it, with a decimal comma.
        ("45352,6041666667", "45352,6041666667", FIRST_OF_MARCH, "14:30", True),
        ("45352.604", "45352.604", FIRST_OF_MARCH, "14:29", True),
        ("45352,25", "45352,25", FIRST_OF_MARCH, "06:00", True),
        ("45716.99", "45716.99", dt.date(2025, 2, 28), "23:45", True),
    ],
}
TEXT_FORMS: list[Form] = [
    ("01/03/2024 14h30", "01/03/2024 14h30", FIRST_OF_MARCH, "14h30", False),
    ("01/03/2024 14 h 30", "01/03/2024 14 h 30", FIRST_OF_MARCH, "14 h 30", False),
    ("01/03/2024 14h", "01/03/2024 14h", FIRST_OF_MARCH, "14h", False),
    ("2024-03-01 9H05", "2024-03-01 9H05", FIRST_OF_MARCH, "9H05", False),
    ("2024-03-01T14:30:00+01:00", "2024-03-01T14:30:00+01:00", FIRST_OF_MARCH, "14:30:00+01:00", False),
    ("2024-03-01 14:30:00Z", "2024-03-01 14:30:00Z", FIRST_OF_MARCH, "14:30:00Z", False),
    # Converted to UTC, or to Paris time, these would fall on another day than written.
    ("2024-03-01T00:30:00+01:00", "2024-03-01T00:30:00+01:00", FIRST_OF_MARCH, "00:30:00+01:00", False),
    ("2024-03-01T23:30:00-05:00", "2024-03-01T23:30:00-05:00", FIRST_OF_MARCH, "23:30:00-05:00", False),
    ("2024-03-01 23:30:00Z", "2024-03-01 23:30:00Z", FIRST_OF_MARCH, "23:30:00Z", False),
    ("01/03/2024 23:59:59.5 +0530", "01/03/2024 23:59:59.5 +0530", FIRST_OF_MARCH, "23:59:59.5 +0530", False),
    # Midnight, the time a plain date is given, with or without a zone: no note.
    ("01/03/2024 0h00", "", FIRST_OF_MARCH, "", False),
    ("2024-03-01T00:00:00Z", "", FIRST_OF_MARCH, "", False),
    ("2024-03-01T00:00:00.000+02:00", "", FIRST_OF_MARCH, "", False),
]
# A whole number of days in a date-time cell's number: the serial note only.
MIDNIGHT_SERIAL: dict[str, Form] = {
    "xlsx": (45352.0, "45352", FIRST_OF_MARCH, "", True),
    "csv": ("45352,00", "45352,00", FIRST_OF_MARCH, "", True),
}


@pytest.fixture(autouse=True)
def _setup(cast: Cast, settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    reference_lists()
    Site.objects.filter(pk=cast.site_a.pk).update(code="HDV")


def _expected_notes(forms: list[Form]) -> list[tuple[int, str, str]]:
    notes = []
    for line, (_cell, written, day, time, serial) in enumerate(forms, 2):
        recorded = day.strftime("%m/%d/%Y")  # English short dates
        if serial:
            notes.append((line, "acquired_on", SERIAL_NOTE.format(written=written, recorded=recorded)))
        if time:
            notes.append(
                (line, "acquired_on", TIME_NOTE.format(written=written, recorded=recorded, time=time))
            )
    return notes


def _forms(fmt: str) -> list[Form]:
    return [*SERIAL_FORMS[fmt], *TEXT_FORMS, MIDNIGHT_SERIAL[fmt]]


@pytest.mark.parametrize(
    ("fmt", "form"),
    [pytest.param(fmt, form, id=f"{fmt}-{form[0]}") for fmt in ("csv", "xlsx") for form in _forms(fmt)],
)
def test_a_date_with_a_time_is_read_as_the_date_written(
    cast: Cast, english: None, fmt: str, form: Form
) -> None:
    report = check(cast.operator, "assets", dated_assets(fmt, [form[0]]))
    assert problems(report) == []
    assert [(n.line, n.column, n.message) for n in report.notes] == _expected_notes([form])


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_dates_with_a_time_in_every_form_are_imported_as_the_date_written(  # type: ignore[no-untyped-def]
    cast: Cast, as_english, fmt: str
) -> None:
    forms = _forms(fmt)
    recorded = imported_dates(as_english(cast.adam), fmt, [form[0] for form in forms])
    assert recorded == {f"T-{n:04d}": form[2] for n, form in enumerate(forms, 1)}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_number_of_days_with_a_time_outside_1970_2100_is_no_date(
    cast: Cast, english: None, fmt: str
) -> None:
    # A year with a fraction, an amount, a day count before 1970 or after 2100: not dates.
    cells: list[object] = ["2024.5", "12345.5", "73416.25", "25568,9", "45352.5.1"]
    if fmt == "xlsx":
        cells = [2024.5, 12345.5, 73416.25, 25568.9, "45352.5.1"]
    report = check(cast.operator, "assets", dated_assets(fmt, cells))
    written = ["2024.5", "12345.5", "73416.25", "25568.9" if fmt == "xlsx" else "25568,9", "45352.5.1"]
    assert problems(report) == [
        (line, "acquired_on", f"“{text}” is not a date: write 2024-09-01 or 01/09/2024.")
        for line, text in enumerate(written, 2)
    ]
    assert report.notes == []


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_wrong_date_or_time_written_the_french_way_is_refused(cast: Cast, english: None, fmt: str) -> None:
    cells: list[object] = ["31/02/2024 14h30", "01/03/2024 14h75", "01/03/2024 25h", "01/03/2024 14:30+25:00"]
    report = check(cast.operator, "assets", dated_assets(fmt, cells))
    assert problems(report) == [
        (2, "acquired_on", "“31/02/2024” is not a date that exists."),
        (3, "acquired_on", "“01/03/2024 14h75” is not a date: write 2024-09-01 or 01/09/2024."),
        (4, "acquired_on", "“01/03/2024 25h” is not a date: write 2024-09-01 or 01/09/2024."),
        (5, "acquired_on", "“01/03/2024 14:30+25:00” is not a date: write 2024-09-01 or 01/09/2024."),
    ]
