"""Exports of any table as CSV or XLSX, streamed so a whole fleet exports in bounded memory.

CSV uses `;`, a UTF-8 byte-order mark and the language's decimal separator: what French
spreadsheet software opens correctly by double-click. XLSX is written to an anonymous
temporary file (`mutualis.lib.xlsx`), then streamed from it; the file goes when the
response is closed.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils import formats, timezone, translation
from django.utils.http import content_disposition_header

from mutualis.lib import xlsx

EXPORT_FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class Column:
    header: Any  # a str or a lazy translation, rendered in the request's language
    value: Callable[[Any], Any]


def choice_label(attribute: str) -> Callable[[Any], str]:
    """A column's value: the label of the row's choice field `attribute`, in the request's
    language, translated once per language rather than once per row: Django's
    `get_FOO_display()` hashes every label of the field, each a translation, for every row
    (six translations a row, a third of an export of 37,000 pieces of equipment)."""
    labels: dict[str | None, dict[Any, str]] = {}

    def value(row: Any) -> str:
        language = translation.get_language()
        known = labels.get(language)
        if known is None:
            field = row._meta.get_field(attribute)
            known = labels[language] = {choice: str(label) for choice, label in field.flatchoices}
        raw = getattr(row, attribute)
        return known.get(raw, "" if raw is None else str(raw))

    return value


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, date | Decimal | int | float):
        return value
    return str(value)


def _csv_text(value: Any) -> str:
    value = _cell(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal | float):
        # In the reader's language: "289,90" for French spreadsheets, "289.90" in English.
        return formats.number_format(value)
    text = str(value)
    # A cell starting with = + - @ is run as a formula by spreadsheets (CSV injection).
    if text[:1] in ("=", "+", "-", "@") and not _is_number(text):
        text = "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_rows(columns: list[Column], rows: Iterable[Any]) -> Iterator[str]:
    writer = csv.writer(_Echo(), delimiter=";")
    yield "\ufeff" + writer.writerow([str(c.header) for c in columns])
    for row in rows:
        yield writer.writerow([_csv_text(c.value(row)) for c in columns])


def export_response(columns: list[Column], rows: Iterable[Any], *, filename: str, fmt: str) -> HttpResponse:
    """A download of `rows` in `fmt` ("csv" or "xlsx")."""
    stamp = timezone.localdate().isoformat()
    if fmt == "xlsx":
        return _xlsx_response(columns, rows, filename=f"{filename}-{stamp}.xlsx", title=filename)
    streaming = StreamingHttpResponse(csv_rows(columns, rows), content_type="text/csv; charset=utf-8")
    streaming["Content-Disposition"] = content_disposition_header(True, f"{filename}-{stamp}.csv")
    return streaming  # type: ignore[return-value]


def _xlsx_response(columns: list[Column], rows: Iterable[Any], *, filename: str, title: str) -> HttpResponse:
    # Written whole before the response starts, so a failure is a 500, not a truncated
    # download. TemporaryFile has no name on disk (O_TMPFILE, or unlinked at once): the
    # space is freed when FileResponse closes it, and by the OS if the process dies.
    file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the response, or below
    try:
        xlsx.write_xlsx(
            file,
            title=title,
            header=[str(c.header) for c in columns],
            rows=([c.value(row) for c in columns] for row in rows),
            tz=timezone.get_current_timezone(),
        )
        file.seek(0)
    except BaseException:
        file.close()
        raise
    response = FileResponse(file, content_type=xlsx.CONTENT_TYPE)
    # Not FileResponse(filename=...): it keeps only what follows the last "/" of the name.
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response  # type: ignore[return-value]
