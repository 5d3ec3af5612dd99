"""From uploaded bytes to a header and rows, each row with the physical line it starts on.

Office spreadsheets save "CSV" in many shapes: UTF-8 with a byte-order mark (Excel's "CSV
UTF-8"), Windows-1252 (Excel's plain "CSV" on a French Windows), `;` as separator (French
locale), `,` (English locale or LibreOffice), tab ("Unicode text", UTF-16), an Excel
`sep=;` first line, quoted values spanning several lines. All of these are read; anything
else gets a message saying what to do in the spreadsheet software. Excel workbooks (.xlsx)
are read by `workbook` into the same `Table`.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import formats
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from .columns import ImportSpec, normalize
from .report import CONTROL_CHARACTERS, WHOLE_FILE, Report, number

# Rows above the header that are looked past, to find it: a title, a date, a blank line
# left for looks ("Inventaire des sites, mise à jour de mars"). Bounded, so that a file
# without a header is not read to its end for one.
MAX_ROWS_ABOVE_HEADER = 10
DELIMITERS = (";", "\t", ",")  # by preference when a header line counts as many of each
_SEP_LINE = re.compile(r"^sep=(.)\s*$", re.IGNORECASE)
# A valid multi-byte UTF-8 sequence: found in a file that is not UTF-8 as a whole, it means
# the file mixes encodings (rows pasted from elsewhere), and no single decoding is right.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


class UnreadableFileError(Exception):
    """The bytes cannot be read as CSV text at all; the message says why and what to do."""

    def __init__(self, message: str, line: int = WHOLE_FILE) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class Table:
    """A decoded CSV file or workbook sheet: the columns found in its header, and its
    non-blank rows."""

    # Our column name -> its position in the row, and its name as written in the header.
    positions: dict[str, int] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    width: int = 0
    header_line: int = 1
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    # Read from a workbook: columns have letters, and there are no separators to get wrong.
    workbook: bool = False
    # Cells a workbook could not give as text (a formula's error…): line -> [(column, message)].
    cell_problems: dict[int, list[tuple[str, str]]] = field(default_factory=dict)
    # Positions of the columns the header leaves without a name: see `check_unnamed_columns`.
    unnamed: list[int] = field(default_factory=list)

    def label(self, position: int) -> str:
        """A column as the person sees it: its letter in a workbook (C, AB), its number in a CSV file."""
        return get_column_letter(position + 1) if self.workbook else str(position + 1)


def check_unnamed_columns(table: Table, report: Report) -> None:
    """Report the columns without a name in the header that hold a value on some row.

    A column both unnamed and empty is left aside, as the empty ones right of the header
    are: a table drawn from cell B2 of a sheet, or a spacer column between two groups of
    columns, holds nothing to import. An unnamed column holding values is a problem: its
    values would be lost without a word."""
    for position in table.unnamed:
        if any(position < len(cells) and cells[position].strip() for _line, cells in table.rows):
            report.add(
                table.header_line,
                "",
                _("Column %(n)s has no name: name it or delete it.") % {"n": table.label(position)},
            )


def names_columns(cells: list[str], spec: ImportSpec) -> bool:
    """Whether a row is a header: two of its cells at least name columns of `spec` (every kind
    of file has more than two required columns; a title may happen to be a column's name)."""
    return sum(1 for cell in cells if cell.strip() and spec.resolve(cell) is not None) >= 2


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode(data: bytes) -> tuple[str, str]:
    """(text, name of the encoding used)."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "UTF-8 (BOM)"
        except UnicodeDecodeError as exc:
            raise UnreadableFileError(
                _("The file says it is UTF-8 but is not: save it again as “CSV UTF-8”."),
                _line_of(data, exc.start + len(codecs.BOM_UTF8)),
            ) from exc
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError as exc:
            raise UnreadableFileError(
                _("The file says it is UTF-16 but is not: save it as “CSV UTF-8”.")
            ) from exc
    if b"\x00" in data[:65536]:
        raise UnreadableFileError(
            _("This is not a text file. Export your table as “CSV UTF-8” and upload that file.")
        )
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError as exc:
        if _UTF8_SEQUENCE.search(data):
            raise UnreadableFileError(
                _(
                    "The file mixes encodings: most of it is UTF-8 but this line is not. Save the whole "
                    "file again as “CSV UTF-8”."
                ),
                _line_of(data, exc.start),
            ) from exc
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError as exc:
        raise UnreadableFileError(
            _("The file is neither UTF-8 nor Windows-1252 text (byte %(byte)s). Save it as “CSV UTF-8”.")
            % {"byte": f"0x{data[exc.start]:02X}"},
            _line_of(data, exc.start),
        ) from exc


def _count_outside_quotes(line: str, char: str) -> int:
    count, quoted = 0, False
    for c in line:
        if c == '"':
            quoted = not quoted
        elif c == char and not quoted:
            count += 1
    return count


def detect_delimiter(header_line: str) -> str | None:
    """The separator the header line uses most (quoted text aside), None if it has none.

    Only the header is looked at: values may hold commas (opening hours, addresses) and
    would mislead a guess made on the rows.
    """
    counts = {d: _count_outside_quotes(header_line, d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])  # max keeps the first of equals
    return best if counts[best] else None


def _csv_error_message(exc: csv.Error) -> str:
    text = str(exc)
    if "unexpected end of data" in text:
        return _(
            'A quoted value starting on this row is never closed: a quote (") is missing, so the rest of the '
            "file was read as one value. Nothing after this line was checked."
        )
    if "expected after" in text:
        return _(
            'A quoted value is followed by more text. Inside a quoted value, write a quote as two quotes (""). '
            "Nothing after this line was checked."
        )
    if "field larger than field limit" in text:
        return _("A value is longer than %(limit)s characters: a quote is probably missing.") % {
            "limit": number(csv.field_size_limit())
        }
    return _("This line is not valid CSV (%(reason)s). Nothing after it was checked.") % {"reason": text}


def read_table(data: bytes, spec: ImportSpec, report: Report) -> Table | None:
    """Decode and split `data`; header problems and unreadable rows go to `report`.

    Returns None when the rows cannot be checked (unreadable file, unusable header).
    """
    if len(data) > settings.IMPORT_MAX_BYTES:
        report.add(WHOLE_FILE, "", too_big_message(len(data)))
        return None
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        report.add(WHOLE_FILE, "", _("The file is empty."))
        return None
    # Imported here: the workbook reader builds its Table with this module's header reading.
    from .workbook import is_workbook, read_workbook

    if is_workbook(data):
        table = read_workbook(data, spec, report)
        if table is None and report.sheet:
            report.rows_checked = False
        return table
    try:
        text, report.encoding = decode(data)
    except UnreadableFileError as exc:
        report.add(exc.line, "", exc.message)
        return None
    lines = io.StringIO(text, newline="")
    line_no, header_line = 0, ""
    # (line number, text) of the lines before the header, and what follows the first: if no
    # line names columns, the first non-blank line is taken as the header and reported.
    above: list[tuple[int, str]] = []
    for physical in lines:
        line_no += 1
        if not physical.strip():
            continue
        candidate = physical.rstrip("\r\n")
        if _SEP_LINE.match(candidate) or _header_line_names_columns(candidate, spec):
            header_line = candidate
            break
        above.append((line_no, candidate))
        if len(above) > MAX_ROWS_ABOVE_HEADER:
            break
    if not header_line and above:
        # No header found: the first line is read as the header, and reported as not one.
        first_line, header_line = above[0]
        lines = io.StringIO(text, newline="")
        for _skipped in range(first_line):
            next(lines)
        line_no = first_line
    if not header_line:
        report.add(WHOLE_FILE, "", _("The file is empty."))
        return None
    delimiter: str | None
    if match := _SEP_LINE.match(header_line):
        # Excel's own hint: "sep=;" on the first line names the separator.
        delimiter = match.group(1)
        header_line = next(lines, "").rstrip("\r\n")
        line_no += 1
        if not header_line.strip():
            report.add(line_no, "", _("The header line (the column names) is missing after “sep=”."))
            return None
    else:
        delimiter = detect_delimiter(header_line)
    report.delimiter = delimiter or ";"
    # The reader goes on from the header line, so its line count is the file's minus those skipped.
    skipped = line_no - 1
    reader = csv.reader(
        io.StringIO(header_line + "\n" + lines.read(), newline=""), delimiter=report.delimiter, strict=True
    )
    try:
        header = next(reader)
    except csv.Error as exc:
        report.add(line_no, "", _csv_error_message(exc))
        return None
    table = read_header(header, line_no, spec, report, separator_found=delimiter is not None)
    if table is None:
        report.rows_checked = False
        return None
    while True:
        start = skipped + reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            report.add(start, "", _csv_error_message(exc))
            break
        if any(c.strip() for c in cells):
            table.rows.append((start, cells))
    check_unnamed_columns(table, report)
    report.rows = len(table.rows)
    if not table.rows and report.ok:
        report.add(WHOLE_FILE, "", _("The file has a header line but no rows."))
    return table


def _header_line_names_columns(line: str, spec: ImportSpec) -> bool:
    delimiter = detect_delimiter(line)
    if delimiter is None:
        return False
    try:
        cells = next(csv.reader([line], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return False
    return names_columns(cells, spec)


def too_big_message(size: int) -> str:
    return _("The file is %(size)s MB; files up to %(limit)s MB are accepted. Split it in several files.") % {
        # In the reader's language: "23,4 MB" in French.
        "size": formats.number_format(size / 1_048_576, 1),
        "limit": formats.number_format(settings.IMPORT_MAX_BYTES / 1_048_576, 0),
    }


def _read_over(
    spec: ImportSpec, header: list[str], position: int, line: int, label: Callable[[int], str], report: Report
) -> bool:
    """Whether the header cell at `position` is one the import passes over (`spec.read_over`),
    said in a note: a column an export writes beside what the import reads."""
    written = header[position].strip().lstrip("\ufeff")
    key = normalize(written)
    if key not in spec.read_over:
        return False
    instead = spec.read_over[key]
    if instead is None:
        report.add_note(
            line,
            written,
            _(
                "Column %(column)s (“%(name)s”) is worked out by Mutualis (an export writes it): it was not read."
            )
            % {"column": label(position), "name": written},
        )
        return True
    for other, cell in enumerate(header):
        if other != position and normalize(cell) != key and spec.resolve(cell) == instead:
            report.add_note(
                line,
                written,
                _(
                    "Column %(column)s (“%(name)s”) was not read: column %(other)s (“%(other_name)s”) gives it."
                )
                % {
                    "column": label(position),
                    "name": written,
                    "other": label(other),
                    "other_name": cell.strip(),
                },
            )
            return True
    return False


def read_header(
    header: list[str],
    line: int,
    spec: ImportSpec,
    report: Report,
    *,
    separator_found: bool = True,
    workbook: bool = False,
) -> Table | None:
    """The columns a header line names, or None (with the problems reported) when the rows
    cannot be checked against it."""
    # Spreadsheets often add empty columns at the right ("a;b;c;;;"): ignore them.
    width = len(header)
    while width and not header[width - 1].strip():
        width -= 1
    table = Table(width=width, header_line=line, workbook=workbook)
    label = table.label
    usable = True

    if not separator_found and spec.resolve(header[0]) is None:
        report.add(
            line,
            "",
            _(
                "No column separator found in the header line “%(header)s”. Separate columns with a "
                "semicolon (;), a comma (,) or a tab."
            )
            % {"header": header[0][:80]},
        )
        return None
    if not any(spec.resolve(cell) for cell in header[:width]):
        # Not one known name: the first line is data, or the file is another kind of file.
        report.add(
            line,
            "",
            _("The first line must name the columns (%(names)s…); none of its cells is a known column name.")
            % {"names": ";".join(c.name for c in spec.columns[:4])},
        )
        return None
    for position, cell in enumerate(header[:width]):
        written = cell.strip().lstrip("\ufeff")
        name = spec.resolve(written)
        if written and _read_over(spec, header[:width], position, line, label, report):
            continue
        if not written:
            table.unnamed.append(position)
        elif name is None:
            report.add(line, written, _unknown_column_message(written, spec))
        elif name in table.positions:
            first = table.positions[name]
            report.add(
                line,
                written,
                _(
                    "Columns %(a)s (“%(first)s”) and %(b)s (“%(second)s”) are both the column “%(name)s”: keep one."
                )
                % {
                    "a": label(first),
                    "first": table.names[name],
                    "b": label(position),
                    "second": written,
                    "name": name,
                },
            )
            usable = False
        else:
            table.positions[name] = position
            table.names[name] = written
    for column in spec.columns:
        if column.required and column.name not in table.positions:
            others = ", ".join(a for a in column.aliases)
            message = _("The required column “%(name)s” is missing.") % {"name": column.name}
            if others:
                message += " " + _("It may also be called: %(others)s.") % {"others": others}
            report.add(line, column.name, message)
            usable = False
    if spec.header_rules:
        for message in spec.header_rules(set(table.positions)):
            report.add(line, "", message)
            usable = False
    if not usable:
        # The rows will not be read: whether the unnamed columns hold values is unknown.
        for position in table.unnamed:
            report.add(
                line, "", _("Column %(n)s has no name: name it or delete it.") % {"n": label(position)}
            )
    return table if usable else None


def _unknown_column_message(written: str, spec: ImportSpec) -> str:
    close = difflib.get_close_matches(normalize(written), spec.accepted_names(), n=1, cutoff=0.6)
    if close:
        return _("Unknown column “%(name)s”: did you mean “%(close)s”?") % {
            "name": written,
            "close": close[0],
        }
    return _("Unknown column “%(name)s”. The columns are: %(known)s.") % {
        "name": written,
        "known": ", ".join(c.name for c in spec.columns),
    }


def row_values(line: int, cells: list[str], table: Table, report: Report) -> dict[str, str] | None:
    """The row's cells by column name, trimmed; None (with a problem reported) when the row
    does not have as many cells as the header (its values would land in the wrong columns),
    when a cell holds a control character, or a workbook's cell could not be read."""
    count = len(cells)
    if problems := table.cell_problems.get(line):
        for column, message in problems:
            report.add(line, column, message)
        return None
    if count > table.width and any(c.strip() for c in cells[table.width :]) and table.workbook:
        position = next(i for i in range(table.width, count) if cells[i].strip())
        report.add(
            line,
            "",
            _(
                "This row has a value in column %(letter)s (“%(value)s”), right of the last named column: "
                "name that column in the header line, or delete the value."
            )
            % {"letter": get_column_letter(position + 1), "value": cells[position].strip()[:60]},
        )
        return None
    if count > table.width and any(c.strip() for c in cells[table.width :]):
        extra = next(c for c in cells[table.width :] if c.strip())
        report.add(
            line,
            "",
            _(
                "This row has %(count)s cells but the header has %(width)s: is there a separator inside "
                "a value that should be quoted? First extra value: “%(extra)s”."
            )
            % {"count": number(count), "width": number(table.width), "extra": extra.strip()[:60]},
        )
        return None
    if count < table.width:
        report.add(
            line,
            "",
            _("This row has %(count)s cells but the header has %(width)s: a separator is missing.")
            % {"count": number(count), "width": number(table.width)},
        )
        return None
    values = {name: _clean(cells[position]) for name, position in table.positions.items()}
    damaged = False
    for name, value in values.items():
        if match := CONTROL_CHARACTERS.search(value):
            # Left by a damaged file or a copy from another program; PostgreSQL refuses a
            # NUL in text, so such a value could not be imported anyway.
            report.add(
                line,
                table.names[name],
                _(
                    "This cell holds an invisible control character (%(code)s), left by a damaged file "
                    "or a copy from another program: type the value again."
                )
                % {"code": f"U+{ord(match.group()):04X}"},
            )
            damaged = True
    return None if damaged else values


def _clean(cell: str) -> str:
    # Non-breaking spaces come from spreadsheets' number formats and copy-pasted web pages.
    return cell.replace("\u00a0", " ").replace("\u202f", " ").strip()
