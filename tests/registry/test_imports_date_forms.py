"""Dates in the other forms a French spreadsheet or another software's export carries
(docs/imports.md, "Dates"), read by the one `read_date`, from a CSV file and from a
workbook's text cells:

- a time after "à" or a comma ("01/03/2024 à 14h30", "1 mars 2024, 14:30"), as the long
  French date-and-time is written, was refused where "01/03/2024 14h30" was read;
- a date in words ("1er mars 2024", "vendredi 1 mars 2024", "15 sept. 2024", Excel's
  "1-mars-24"), a spreadsheet's long date format, was refused: the module read no month name;
- ISO 8601's basic format with its time ("20240301T143000", "20240301T1430Z") was refused.

The existing rules hold: a time other than midnight is left out with a note, a zone never
shifts the date, a two-digit year gets its note; a bare 20240301 stays refused (it could be
an amount, a code, or 01032024 the other way round), and so do impossible dates and a day
of the week the date is not.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import translation

from mutualis.registry.models import Site
from tests.conftest import Cast

from .import_files import check, dated_assets, imported_dates, problems, reference_lists

pytestmark = pytest.mark.django_db

TIME_NOTE = (
    "“{written}” is recorded as {recorded}: this column holds dates only, so the time ({time}) was left out."
)
SHORT_YEAR_NOTE = (
    "“{written}” is recorded as {recorded}: the year had two digits. In the spreadsheet, "
    "format the column as dates with a four-digit year to be sure of the century."
)
FIRST_OF_MARCH = dt.date(2024, 3, 1)
# (the cell as written, the date recorded, the date as the short-year note quotes it or ""
# for none, the time the time note names or "" for none)
Form = tuple[str, dt.date, str, str]
FORMS: list[Form] = [
    # "à" or a comma before the time.
    ("01/03/2024 à 14h30", FIRST_OF_MARCH, "", "14h30"),
    ("01/03/2024 à 14:30", FIRST_OF_MARCH, "", "14:30"),
    ("2024-03-01 à 9 h 05", FIRST_OF_MARCH, "", "9 h 05"),
    ("01/03/2024, 14:30:00", FIRST_OF_MARCH, "", "14:30:00"),
    ("01/03/2024 à 00h00", FIRST_OF_MARCH, "", ""),
    # Dates in words: long date formats of Excel and LibreOffice in French, CLDR's
    # abbreviations, the ordinal of the first day, and a time after them.
    ("1er mars 2024", FIRST_OF_MARCH, "", ""),
    ("1 mars 2024", FIRST_OF_MARCH, "", ""),
    ("01 mars 2024", FIRST_OF_MARCH, "", ""),
    ("vendredi 1 mars 2024", FIRST_OF_MARCH, "", ""),
    ("Vendredi 1er Mars 2024", FIRST_OF_MARCH, "", ""),
    ("ven. 1 mars 2024", FIRST_OF_MARCH, "", ""),
    ("15 sept. 2024", dt.date(2024, 9, 15), "", ""),
    ("1 août 2024", dt.date(2024, 8, 1), "", ""),
    ("1 aout 2024", dt.date(2024, 8, 1), "", ""),
    ("28 févr. 2025", dt.date(2025, 2, 28), "", ""),
    ("31 décembre 2023", dt.date(2023, 12, 31), "", ""),
    ("1 mars 2024 à 14:30", FIRST_OF_MARCH, "", "14:30"),
    ("vendredi 1er mars 2024 à 14h30", FIRST_OF_MARCH, "", "14h30"),
    ("1 mars 2024, 14:30", FIRST_OF_MARCH, "", "14:30"),
    ("1-mars-24", FIRST_OF_MARCH, "1-mars-24", ""),
    ("15-janv.-24 à 8h", dt.date(2024, 1, 15), "15-janv.-24", "8h"),
    # ISO 8601 basic: the time shown as the extended format writes it; a zone never applied.
    ("20240301T143000", FIRST_OF_MARCH, "", "14:30:00"),
    ("20240301T1430", FIRST_OF_MARCH, "", "14:30"),
    ("20240301T143015,5", FIRST_OF_MARCH, "", "14:30:15.5"),
    ("20240301T233000-0500", FIRST_OF_MARCH, "", "23:30:00-0500"),
    ("20240301T003000+01", FIRST_OF_MARCH, "", "00:30:00+01"),
    ("20240301T1430Z", FIRST_OF_MARCH, "", "14:30Z"),
    ("20240301T000000Z", FIRST_OF_MARCH, "", ""),
    ("20240301T0000", FIRST_OF_MARCH, "", ""),
]


@pytest.fixture(autouse=True)
def _setup(cast: Cast, settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    reference_lists()
    Site.objects.filter(pk=cast.site_a.pk).update(code="HDV")


def _expected_notes(form: Form) -> list[tuple[int, str, str]]:
    written, day, short_year, time = form
    recorded = day.strftime("%m/%d/%Y")  # English short dates
    notes = []
    if short_year:
        notes.append((2, "acquired_on", SHORT_YEAR_NOTE.format(written=short_year, recorded=recorded)))
    if time:
        notes.append((2, "acquired_on", TIME_NOTE.format(written=written, recorded=recorded, time=time)))
    return notes


@pytest.mark.parametrize(
    ("fmt", "form"),
    [pytest.param(fmt, form, id=f"{fmt}-{form[0]}") for fmt in ("csv", "xlsx") for form in FORMS],
)
def test_a_date_in_another_form_is_read_as_the_date_written(
    cast: Cast, english: None, fmt: str, form: Form
) -> None:
    report = check(cast.operator, "assets", dated_assets(fmt, [form[0]]))
    assert problems(report) == []
    assert [(n.line, n.column, n.message) for n in report.notes] == _expected_notes(form)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_dates_in_every_other_form_are_imported(cast: Cast, as_english, fmt: str) -> None:  # type: ignore[no-untyped-def]
    recorded = imported_dates(as_english(cast.adam), fmt, [form[0] for form in FORMS])
    assert recorded == {f"T-{n:04d}": form[1] for n, form in enumerate(FORMS, 1)}


NOT_A_DATE = "“{}” is not a date: write 2024-09-01 or 01/09/2024."
NOT_EXISTING = "“{}” is not a date that exists."
WRONG_WEEKDAY = "“{}”: the day of the week is not that of the date. Check the day and the date."
# (the cell, the message)
REFUSED: list[tuple[object, str]] = [
    # A bare basic date is a number (an amount, a code, 01032024 the other way round), in a
    # CSV file as in a workbook's number cell, and is not a spreadsheet's number of days.
    ("20240301", NOT_A_DATE.format("20240301")),
    (20240301, NOT_A_DATE.format("20240301")),
    # The basic format needs the minutes, and is not mixed with the extended one (ISO 8601 §4.3.2).
    ("20240301T14", NOT_A_DATE.format("20240301T14")),
    ("20240301T14:30", NOT_A_DATE.format("20240301")),
    ("20240231T1430", NOT_EXISTING.format("20240231")),
    ("20240301T2530", NOT_A_DATE.format("20240301T2530")),
    ("20240301T1430+2500", NOT_A_DATE.format("20240301T1430+2500")),
    ("31 févr. 2024", NOT_EXISTING.format("31 févr. 2024")),
    ("30 février 2024 à 14h30", NOT_EXISTING.format("30 février 2024")),
    ("1 mars 1850", "“1 mars 1850”: the year is out of range."),
    # Which of the two is wrong, the day of the week or the date, cannot be told.
    ("lundi 1 mars 2024", WRONG_WEEKDAY.format("lundi 1 mars 2024")),
    ("2er mars 2024", NOT_A_DATE.format("2er mars 2024")),
    # No year, no day, or a month that is not a French one.
    ("14-mars", NOT_A_DATE.format("14-mars")),
    ("mars 2024", NOT_A_DATE.format("mars 2024")),
    ("1 march 2024", NOT_A_DATE.format("1 march 2024")),
    ("01/03/2024 à 14h75", NOT_A_DATE.format("01/03/2024 à 14h75")),
    ("01/03/2024 à", NOT_A_DATE.format("01/03/2024 à")),
]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_ambiguous_or_impossible_date_is_still_refused(cast: Cast, english: None, fmt: str) -> None:
    cells = [cell for cell, _message in REFUSED if fmt == "xlsx" or isinstance(cell, str)]
    messages = [message for cell, message in REFUSED if fmt == "xlsx" or isinstance(cell, str)]
    report = check(cast.operator, "assets", dated_assets(fmt, cells))
    assert problems(report) == [(line, "acquired_on", message) for line, message in enumerate(messages, 2)]
    assert report.notes == []


def test_a_wrong_day_of_the_week_is_explained_in_french(cast: Cast) -> None:
    with translation.override("fr"):
        report = check(cast.operator, "assets", dated_assets("csv", ["lundi 1 mars 2024"]))
    assert problems(report) == [
        (
            2,
            "acquired_on",
            "« lundi 1 mars 2024 » : le jour de la semaine n’est pas celui de cette date. "
            "Vérifiez le jour et la date.",
        )
    ]
