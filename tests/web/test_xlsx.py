"""The XLSX writer of every export (`mutualis.lib.xlsx`): what a spreadsheet shows of each
kind of value, Excel's rules for sheet names, and no temporary file left by a failure."""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from mutualis.lib import xlsx
from mutualis.lib.tabular import Column, export_response

PARIS = ZoneInfo("Europe/Paris")


def workbook(rows: list[list[object]], title: str = "export"):  # type: ignore[no-untyped-def]
    file = io.BytesIO()
    xlsx.write_xlsx(file, title=title, header=["A", "B", "C"], rows=rows, tz=PARIS)
    return load_workbook(io.BytesIO(file.getvalue()))


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("sensor-12-pm2.5", "sensor-12-pm2.5"),
        ("a/b\\c:d*e?f[g]", "a-b-c-d-e-f-g-"),
        ("insights-a-very-long-table-name-for-a-panel", "insights-a-very-long-table-name"),
        ("'quoted'", "quoted"),
        ("", "Sheet1"),
    ],
)
def test_sheet_names_follow_excel_s_rules(name: str, title: str) -> None:
    assert xlsx.sheet_title(name) == title
    assert workbook([], title=name).active.title == title


def test_each_kind_of_value_shows_as_such() -> None:
    sheet = workbook(
        [
            ["=1+1", "+33 1 23", "@SUM(A1)"],
            ["a < b & c > d", "line\r\nbreak", "bell\x07"],
            [dt.datetime(2025, 3, 30, 0, 30, tzinfo=dt.UTC), dt.date(2025, 3, 30), dt.date(1899, 12, 31)],
            [Decimal("289.90"), 37360, float("nan")],
            [True, None, ""],
            ["x" * 40_000, " kept ", dt.time(8, 30)],
        ]
    ).active
    rows = list(sheet.iter_rows(min_row=2))
    assert [(c.value, c.data_type) for c in rows[0]] == [("=1+1", "s"), ("+33 1 23", "s"), ("@SUM(A1)", "s")]
    # A control character goes as Excel's escape, which Excel shows as the character.
    assert [c.value for c in rows[1]] == ["a < b & c > d", "line\nbreak", "bell_x0007_"]
    when, day, old = rows[2]
    # Wall-clock time in Paris (UTC+1 until 02:00 that day), as the pages show it.
    assert (when.value.isoformat(), when.number_format) == ("2025-03-30T01:30:00", "yyyy-mm-dd hh:mm")
    assert (day.value.date(), day.number_format) == (dt.date(2025, 3, 30), "yyyy-mm-dd")
    assert (old.value, old.data_type) == ("1899-12-31", "s")  # before Excel's calendar
    assert [c.value for c in rows[3]] == [289.9, 37360, None]
    assert [c.value for c in rows[4]] == [True, None, None]
    assert [c.value for c in rows[5]] == ["x" * xlsx.MAX_TEXT, " kept ", "08:30:00"]


def test_a_failing_export_leaves_no_file_open(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    files = []
    temporary_file = tempfile.TemporaryFile

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        files.append(temporary_file(*args, **kwargs))
        return files[-1]

    def broken(row: int) -> int:
        if row == 500:
            raise RuntimeError("the database went away")
        return row

    monkeypatch.setattr(tempfile, "TemporaryFile", spy)
    with pytest.raises(RuntimeError):
        export_response([Column("n", broken)], range(1000), filename="numbers", fmt="xlsx")
    [file] = files
    assert file.closed
