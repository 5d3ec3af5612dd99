"""Reading an Excel workbook (.xlsx) into the same `Table` as a CSV file.

Operators' staff keep their inventories in Excel: the workbook is read directly, its
first non-empty sheet (hidden sheets last), and every cell turned into the text its CSV
export would hold, so that every check after reading is the one CSV files get. Line
numbers are the sheet's row numbers, as Excel shows them.

Memory and time stay bounded: the sheet is streamed (openpyxl's read-only mode), the
unzipped parts are measured before anything is parsed, and the cells read count against
`IMPORT_MAX_BYTES` as their CSV export would.

Other workbooks (.ods, .xls, password-protected .xlsx) are refused with a message saying
what to save them as.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import math
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.utils import formats
from django.utils.translation import gettext as _
from openpyxl.cell.read_only import EMPTY_CELL, ReadOnlyCell
from openpyxl.reader.excel import ExcelReader
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

from .columns import ImportSpec
from .reading import (
    MAX_ROWS_ABOVE_HEADER,
    Table,
    UnreadableFileError,
    check_unnamed_columns,
    names_columns,
    read_header,
)
from .report import WHOLE_FILE, Report

logger = logging.getLogger(__name__)

ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")  # .xlsx and .ods are zip archives
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0"  # .xls, and a password-protected .xlsx
# A password-protected Office file is an OLE2 container holding these streams (MS-OFFCRYPTO 2.3.4).
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
# Unzipped, a sheet's XML takes 30 to 40 bytes a cell, against 5 to 10 for its CSV export.
UNZIPPED_FACTOR = 10
# Excel keeps 15 significant digits: a longer integer has lost its last digits already.
_EXACT_DIGITS = 15
# What a damaged zip archive raises (a bad header, a bad checksum, a truncated part).
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, ValueError)


def is_workbook(data: bytes) -> bool:
    return data.startswith((*ZIP_SIGNATURES, OLE2_SIGNATURE))


def _formats_read() -> str:
    return _("Files read: CSV (text) and Excel workbooks (.xlsx).")


def _check_archive(data: bytes) -> zipfile.ZipFile:
    """The zip archive of an .xlsx file, or UnreadableFileError saying what the file is."""
    if data.startswith(OLE2_SIGNATURE):
        if _ENCRYPTED_STREAM in data:
            raise UnreadableFileError(
                _(
                    "This workbook is protected by a password, so it cannot be read. In Excel, remove the "
                    "password (File > Info > Protect Workbook > Encrypt with Password, then empty the "
                    "password), save, and upload it again."
                )
            )
        raise UnreadableFileError(
            _(
                "This is an Excel 97-2003 workbook (.xls), which is not read. In Excel, use “Save as” and "
                "choose “Excel Workbook (.xlsx)” or “CSV UTF-8”."
            )
            + " "
            + _formats_read()
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        if "mimetype" in names and archive.read("mimetype").strip() == _ODS_MIMETYPE:
            raise UnreadableFileError(
                _(
                    "This is an OpenDocument spreadsheet (.ods), which is not read. In LibreOffice, use "
                    "“Save as” and choose “Excel 2007-365 (.xlsx)” or “Text CSV”."
                )
                + " "
                + _formats_read()
            )
    except _ZIP_ERRORS as exc:
        raise _damaged() from exc
    if "xl/workbook.bin" in names:
        raise UnreadableFileError(
            _(
                "This is an Excel binary workbook (.xlsb), which is not read: save it as “Excel Workbook (.xlsx)”."
            )
            + " "
            + _formats_read()
        )
    if "xl/workbook.xml" not in names:
        raise UnreadableFileError(
            _("This is a zip archive, not a CSV file or an Excel workbook.") + " " + _formats_read()
        )
    unzipped = sum(info.file_size for info in archive.infolist())
    if unzipped > UNZIPPED_FACTOR * settings.IMPORT_MAX_BYTES:
        raise UnreadableFileError(
            _(
                "Unzipped, this workbook holds %(size)s MB; workbooks up to %(limit)s MB unzipped are read. "
                "Delete what the import does not need (other sheets, pictures), or split the table in "
                "several files."
            )
            % {
                "size": formats.number_format(unzipped / 1_048_576, 1),
                "limit": formats.number_format(UNZIPPED_FACTOR * settings.IMPORT_MAX_BYTES / 1_048_576, 0),
            }
        )
    return archive


def _damaged() -> UnreadableFileError:
    return UnreadableFileError(
        _(
            "This workbook is damaged and cannot be read. Open it in Excel or LibreOffice, save it again "
            "as “Excel Workbook (.xlsx)”, and upload that file."
        )
    )


class _CellError(Exception):
    """A cell whose value cannot be given as text; the message says what to do."""


def _number_text(value: float | int, number_format: str | None) -> str:
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _CellError(_("This cell holds a number too large for a spreadsheet: type the value again."))
        if not value.is_integer() or abs(value) >= 10**_EXACT_DIGITS:
            # As Excel shows it, 15 significant digits at most: 347.88 rather than the
            # 347.88000000000005 a formula stored; a long code in scientific notation
            # (1.23456789012346E+19), which the identifier columns report.
            return f"{value:.{_EXACT_DIGITS}g}".upper()
        value = int(value)
    text = str(value)
    if number_format and set(number_format) == {"0"} and value >= 0:
        # A "00000" format shows 1004 as 01004 (Excel's format for postal codes): the text
        # the person sees, leading zeros included.
        text = text.zfill(len(number_format))
    return text


def _cell_text(cell: Any) -> str:
    """The text of a cell as its CSV export would hold it."""
    value = cell.value
    if value is None:
        return ""
    if cell.data_type == "e":
        raise _CellError(
            _("This cell shows the error %(error)s (a formula that failed): correct it, or type the value.")
            % {"error": value}
        )
    if isinstance(value, bool):
        raise _CellError(
            _(
                "This cell holds a true/false value (a checkbox or a test), which no column takes: type the text."
            )
        )
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes" if not value.second else "seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat(timespec="minutes" if not value.second else "seconds")
    if isinstance(value, dt.timedelta):
        minutes = round(value.total_seconds() / 60)
        return f"{minutes // 60}:{minutes % 60:02d}"
    if isinstance(value, int | float):
        try:
            number_format = cell.number_format
        except (AttributeError, IndexError, KeyError):  # a style table the workbook lacks
            number_format = None
        return _number_text(value, number_format)
    return str(value)


class _ValuesParser(WorkSheetParser):
    """openpyxl's sheet parser reading saved values (`data_only`), which also gives the
    formula of a cell whose value was never saved, as data type "f".

    One parse of the sheet serves both: openpyxl reads either values or formulas, and a
    second parse for the formulas cost as much again (docs/imports.md, "Time")."""

    def parse_cell(self, element: Any) -> dict[str, Any]:
        cell: dict[str, Any] = super().parse_cell(element)
        formula = element.find(FORMULA_TAG)
        if formula is None:
            return cell
        if formula.get("t") == "shared" and formula.text and formula.get("si") not in self.shared_formulae:
            # The first cell of a shared formula holds its text, the others refer to it by
            # number (ECMA-376 Part 1, §18.3.1.40): keep it, saved value or not, for a later
            # cell of the group whose value is missing.
            self.parse_formula(element)
        # "str" with no value: the formula's saved value is an empty text (=IF(A2="";"";…)).
        if cell["value"] is None and cell["data_type"] != "str":
            cell["data_type"], cell["value"] = "f", self.parse_formula(element)
        return cell


def _rows(ws: Any) -> Iterator[tuple[int, list[Any]]]:
    """(row number, cells) for every row of the sheet holding a cell, each row as long as
    its last cell: the size a workbook declares may be wrong (some programs write "A1")."""
    workbook = ws.parent
    try:
        source = ws._get_source()
    except _ZIP_ERRORS as exc:
        raise _damaged() from exc
    with source:
        parser = _ValuesParser(
            source,
            ws._shared_strings,
            data_only=True,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        )
        rows = parser.parse()
        while True:
            try:
                number, parsed = next(rows)
                # Cells come left to right; a damaged file may say otherwise.
                cells: list[Any] = [EMPTY_CELL] * max((cell["column"] for cell in parsed), default=0)
                for cell in parsed:
                    cells[cell["column"] - 1] = ReadOnlyCell(ws, **cell)
            except StopIteration:
                return
            except Exception as exc:
                # The sheet is parsed as it is read: damaged XML fails here, in many ways.
                logger.warning("Unreadable sheet in a workbook", exc_info=True)
                raise _damaged() from exc
            yield number, cells


class _SheetReader:
    """One sheet: its header line, then its rows, into a Table."""

    def __init__(self, spec: ImportSpec, report: Report) -> None:
        self.spec, self.report = spec, report
        # What the cells read would weigh as CSV: each cell's text and its separator.
        self.budget = settings.IMPORT_MAX_BYTES
        self.empty = True
        # The sheet's first non-empty row, when no row of its first ones names columns: the
        # sheet holds no table (a notice), or its header is wrong; `read_header` says which.
        self.first_row: tuple[int, list[str]] | None = None

    def read(self, ws: Any) -> Table | None:
        """The table, or None when the header is unusable, not found (`self.first_row`), or
        the sheet empty (`self.empty`).

        The header is the first row naming columns: rows above it (a title, group headings
        over merged cells) are passed over, up to MAX_ROWS_ABOVE_HEADER."""
        table: Table | None = None
        above = 0
        for number, cells in _rows(ws):
            texts, problems = self._texts(cells)
            self.budget -= sum(len(t) for t in texts) + len(texts)
            if self.budget < 0:
                raise UnreadableFileError(
                    _(
                        "The sheet holds more than %(limit)s MB of values (as a CSV file would). Split it "
                        "in several files, or delete the empty rows and columns the sheet may hold at the "
                        "bottom or right of the table."
                    )
                    % {"limit": formats.number_format(settings.IMPORT_MAX_BYTES / 1_048_576, 0)}
                )
            if not any(t.strip() for t in texts) and not problems:
                continue  # blank lines, above the header or between rows
            if table is None:
                self.empty = False
                if not names_columns(texts, self.spec):
                    if self.first_row is None:
                        self.first_row = (number, texts)
                    above += 1
                    if above > MAX_ROWS_ABOVE_HEADER:
                        return None
                    continue
                self.first_row = None
                table = read_header(texts, number, self.spec, self.report, workbook=True)
                if table is None:
                    return None
                positions = {position: name for name, position in table.positions.items()}
                continue
            texts += [""] * (table.width - len(texts))
            named = [(table.names[positions[p]], message) for p, message in problems if p in positions]
            if named:
                table.cell_problems[number] = named
            table.rows.append((number, texts))
        if table is not None:
            check_unnamed_columns(table, self.report)
        return table

    def _texts(self, cells: list[Any]) -> tuple[list[str], list[tuple[int, str]]]:
        texts: list[str] = []
        problems: list[tuple[int, str]] = []
        for position, cell in enumerate(cells):
            text = ""
            if cell.data_type == "f":
                formula = str(getattr(cell.value, "text", cell.value))
                problems.append(
                    (
                        position,
                        _(
                            "This cell holds the formula %(formula)s, but no value for it was saved (the file was "
                            "made by a program that does not compute formulas). Open the file in Excel or "
                            "LibreOffice and save it again, or type the value."
                        )
                        % {"formula": formula if formula.startswith("=") else f"={formula}"},
                    )
                )
            else:
                try:
                    text = _cell_text(cell)
                except _CellError as exc:
                    problems.append((position, str(exc)))
            texts.append(text)
        return texts, problems


def read_workbook(data: bytes, spec: ImportSpec, report: Report) -> Table | None:
    """The first non-empty sheet of an .xlsx workbook as a Table (see `reading.read_table`);
    None, with the problem in `report`, when it cannot be read."""
    workbook: Any = None
    try:
        _check_archive(data).close()
        # openpyxl warns of what it leaves aside (data validation, unknown extensions, a
        # date out of range, which then reads as #VALUE!): nothing a person importing can
        # act on. The warnings filter is process-wide for the duration of the reading.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = _open(data)
            return _read_first_sheet(workbook, spec, report)
    except UnreadableFileError as exc:
        report.add(exc.line, "", exc.message)
        return None
    finally:
        if workbook is not None:
            workbook.close()


class _UnsizedWorksheet(ReadOnlyWorksheet):
    """A streamed sheet whose size is not looked up when the workbook is opened.

    openpyxl's read-only sheet looks for the size a sheet declares (its <dimension>) as
    soon as the workbook is opened, for every sheet; a sheet that declares none (files
    written by openpyxl's write-only mode, or by our own exports, `mutualis.lib.xlsx`) is
    then parsed whole for nothing: a quarter of the time it took to read 30,000 rows
    (4.1 s of CPU time, 3.1 s without; docs/imports.md, "Time"). The size is not needed:
    `_rows` resets it anyway, as it may be wrong."""

    def _get_size(self) -> None:
        self._min_column = self._min_row = 1
        self._max_column = self._max_row = None


class _StreamingReader(ExcelReader):
    """openpyxl's reader in read-only mode, making `_UnsizedWorksheet`s (the read-only
    branch of openpyxl 3.1's `read_worksheets`)."""

    def read_worksheets(self) -> None:
        for sheet, rel in self.parser.find_sheets():
            if rel.target not in self.valid_files:
                continue
            if "chartsheet" in rel.Type:
                # Kept in the sheets' order: defined names point to sheets by position.
                # The stubs type the first argument as a Chartsheet; openpyxl passes this same ChildSheet.
                self.read_chartsheet(sheet, rel)  # type: ignore[arg-type]
                continue
            worksheet = _UnsizedWorksheet(self.wb, sheet.name, rel.target, self.shared_strings)
            worksheet.sheet_state = sheet.state or "visible"
            # As openpyxl does: `Workbook._add_sheet` refuses read-only sheets; the stubs omit `_sheets`.
            self.wb._sheets.append(worksheet)  # type: ignore[attr-defined]


def _open(data: bytes) -> Any:
    try:
        reader = _StreamingReader(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
        reader.read()
        return reader.wb
    except Exception as exc:
        # A file from anyone: a damaged one fails in many ways (KeyError, XML errors,
        # TypeError…); the person gets one clear message rather than an error page.
        logger.warning("Unreadable workbook", exc_info=True)
        raise _damaged() from exc


def _read_first_sheet(workbook: Any, spec: ImportSpec, report: Report) -> Table | None:
    sheets = workbook.worksheets
    # Hidden sheets (the lists behind drop-downs, old versions) come after the visible ones.
    ordered = [ws for ws in sheets if ws.sheet_state == "visible"] + [
        ws for ws in sheets if ws.sheet_state != "visible"
    ]
    report.sheet_count = len(sheets)
    # The first non-empty sheet, with its first row, in case no sheet has a header.
    first: tuple[str, tuple[int, list[str]]] | None = None
    for ws in ordered:
        reader = _SheetReader(spec, report)
        table = reader.read(ws)
        if reader.empty:
            continue
        if reader.first_row is not None:
            # No header on this sheet (a notice, a summary): the table may be on the next one.
            first = first or (ws.title, reader.first_row)
            continue
        report.sheet = ws.title
        if table is not None:
            report.rows = len(table.rows)
            if not table.rows and report.ok:
                report.add(WHOLE_FILE, "", _("The sheet has a header line but no rows."))
        return table
    if first is not None:
        # Reported on the first non-empty sheet, as if its first row were the header.
        report.sheet, (number, texts) = first
        read_header(texts, number, spec, report, workbook=True)
        return None
    report.add(WHOLE_FILE, "", _("The workbook is empty: none of its sheets holds a value."))
    return None
