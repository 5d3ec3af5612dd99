"""A one-sheet XLSX writer for exports: rows in, a workbook out, in bounded memory.

openpyxl (write-only) and XlsxWriter (constant memory) spend 10 to 16 µs a cell in
generic per-cell machinery; an export only ever needs text, numbers, booleans and dates
in one sheet, so this writes the sheet's XML a row at a time, 4 to 7 times faster
(figures in docs/architecture.md, "Exports"). The parts are the smallest package that
spreadsheet software opens (ECMA-376 Part 1, SpreadsheetML), with strings stored inline
(`t="inlineStr"`) so that no shared-string table is held in memory.

Every string is stored as text, never as a formula: a cell "=cmd|..." reaches the
spreadsheet as the text "=cmd|...".
"""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import IO, Any

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Excel's limits ("Excel specifications and limits"): longer text makes it refuse the file.
MAX_TEXT = 32_767
MAX_TITLE = 31
# Sheet names may not contain these (Excel refuses the workbook; openpyxl raises).
_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")

# Excel's day 0 is 1899-12-30 for every date from 1900-03-01 on; earlier dates fall before
# Excel's fictitious 1900-02-29 (the 1900 leap-year bug) and go out as ISO text instead.
_EPOCH = date(1899, 12, 30)
_FIRST_SERIAL_DATE = date(1900, 3, 1)

# Characters XML 1.0 cannot carry, and a literal "_xHHHH_" that a reader would decode:
# both are written as Excel's `_xHHHH_` escapes (ECMA-376 Part 1, §22.9.2.19 ST_Xstring).
# A carriage return stays as it is: XML readers turn "\r\n" into "\n", the line break of
# a cell, where "_x000D_" would show as such in readers other than Excel (openpyxl, pandas).
_NEEDS_ESCAPE = re.compile(r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_x[0-9A-Fa-f]{4}_")
_XSTRING = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")
_SPACE = " \t\n\r"
_DATE_STYLE = 1  # indexes into `cellXfs` of styles.xml below
_DATETIME_STYLE = 2
# Level 6 (zlib's default, as openpyxl and XlsxWriter use): on 37,360 rows of 12 columns
# level 1 takes 0.73 s instead of 0.98 s but makes the file a quarter larger (3.6 MiB, not
# 2.9), and the download is then what the user waits for.
_COMPRESSION = 6


def sheet_title(name: str) -> str:
    """`name` as a sheet name Excel accepts: no []:*?/\\, no leading or trailing
    apostrophe, at most 31 characters, never empty."""
    title = _TITLE_FORBIDDEN.sub("-", name).strip("'")[:MAX_TITLE].strip("'")
    return title or "Sheet1"


def write_xlsx(
    file: IO[bytes], *, title: str, header: Sequence[str], rows: Iterable[Sequence[Any]], tz: tzinfo
) -> None:
    """Write a workbook of one sheet to `file` (seekable, so every zip entry carries its
    sizes in its header rather than a trailing data descriptor, which some readers
    reject): `header` as the first row, then `rows`.

    Cells by type: str as text, int/float/Decimal as numbers, bool as a boolean, date and
    datetime as dates shown yyyy-mm-dd (hh:mm), aware datetimes as wall-clock time in
    `tz`; None and "" as empty cells; anything else as its text."""
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=_COMPRESSION) as package:
        for name, xml in _static_parts(sheet_title(title)).items():
            package.writestr(name, xml)
        with package.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(_SHEET_START)
            batch: list[str] = []
            for xml in _rows_xml(header, rows, tz):
                batch.append(xml)
                # A few hundred rows an encode: fewer, larger writes to zlib, still small.
                if len(batch) == 256:
                    sheet.write("".join(batch).encode())
                    batch.clear()
            batch.append(_SHEET_END)
            sheet.write("".join(batch).encode())


def _column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _text(value: str) -> str:
    if len(value) > MAX_TEXT:
        value = value[:MAX_TEXT]
    if _NEEDS_ESCAPE.search(value) is None:
        return value
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _XSTRING.sub(lambda m: "_x005F_" if m[0] == "_" else f"_x{ord(m[0]):04X}_", value)


def _rows_xml(header: Sequence[str], rows: Iterable[Sequence[Any]], tz: tzinfo) -> Iterable[str]:
    letters: list[str] = []
    for number, values in enumerate(_with_header(header, rows), start=1):
        while len(letters) < len(values):
            letters.append(_column_letters(len(letters)))
        cells = [f'<row r="{number}">']
        for letter, value in zip(letters, values, strict=False):
            kind = type(value)
            # Most cells are str, int or float: told apart by exact type, cheaper than isinstance.
            if kind is str:
                if value:
                    cells.append(_text_cell(f"{letter}{number}", value))
            elif kind is int or (kind is float and math.isfinite(value)):
                cells.append(f'<c r="{letter}{number}"><v>{value}</v></c>')
            elif value is not None:
                cells.append(_other_cell(f"{letter}{number}", value, tz))
        cells.append("</row>")
        yield "".join(cells)


def _with_header(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterable[Sequence[Any]]:
    yield header
    yield from rows


def _other_cell(ref: str, value: Any, tz: tzinfo) -> str:
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, datetime):
        if value.utcoffset() is not None:
            value = value.astimezone(tz)
        value = value.replace(tzinfo=None)
        if value.date() >= _FIRST_SERIAL_DATE:
            seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1_000_000
            serial = (value.date() - _EPOCH).days + seconds / 86_400
            return f'<c r="{ref}" s="{_DATETIME_STYLE}"><v>{serial!r}</v></c>'
        return _text_cell(ref, value.isoformat(sep=" ", timespec="minutes"))
    if isinstance(value, date):
        if value >= _FIRST_SERIAL_DATE:
            return f'<c r="{ref}" s="{_DATE_STYLE}"><v>{(value - _EPOCH).days}</v></c>'
        return _text_cell(ref, value.isoformat())
    if isinstance(value, Decimal):
        # No NaN or infinity in a spreadsheet number: an empty cell, as openpyxl wrote.
        return f'<c r="{ref}"><v>{value}</v></c>' if value.is_finite() else ""
    if isinstance(value, int):  # IntEnum and other subclasses
        return f'<c r="{ref}"><v>{int(value)}</v></c>'
    if isinstance(value, float):
        return f'<c r="{ref}"><v>{float(value)!r}</v></c>' if math.isfinite(value) else ""
    text = str(value)
    return _text_cell(ref, text) if text else ""


def _text_cell(ref: str, text: str) -> str:
    # Without xml:space="preserve" a reader may drop a text's leading and trailing spaces.
    if text[0] in _SPACE or text[-1] in _SPACE:
        return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{_text(text)}</t></is></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{_text(text)}</t></is></c>'


_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_SHEET_START = f'{_XML}<worksheet xmlns="{_MAIN}"><sheetData>'.encode()
_SHEET_END = "</sheetData></worksheet>"


def _static_parts(title: str) -> dict[str, str]:
    title = title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    office = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    return {
        "[Content_Types].xml": (
            f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{office}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{office}.worksheet+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{office}.styles+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            f'{_XML}<Relationships xmlns="{_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
            "<bookViews><workbookView/></bookViews>"
            f'<sheets><sheet name="{title}" sheetId="1" r:id="rId1"/></sheets>'
            "</workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            f'{_XML}<Relationships xmlns="{_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/>'
            "</Relationships>"
        ),
        # Styles 1 and 2 of `cellXfs` are the date and date-time formats of `_other_cell`;
        # fills 0 and 1 (none, gray125) are the two Excel expects to find first.
        "xl/styles.xml": (
            f'{_XML}<styleSheet xmlns="{_MAIN}">'
            '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
            '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm"/></numFmts>'
            '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
            '<fills count="2"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
            '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>"
        ),
    }
