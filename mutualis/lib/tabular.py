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
from operator import itemgetter
from typing import Any

from django.db.models import Model, QuerySet
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils import formats, timezone, translation
from django.utils.http import content_disposition_header
from django.utils.text import slugify

from mutualis.lib import xlsx

EXPORT_FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class Column:
    header: Any  # a str or a lazy translation, rendered in the request's language
    value: Callable[[Any], Any]
    # The fields `value` reads from a row of `QuerySet.values()`, when it reads such rows
    # (`field`, `choice`): a table whose columns all say theirs exports from plain values
    # (`export_queryset`), not model instances.
    fields: tuple[str, ...] = ()


def field(header: Any, path: str, show: Callable[[Any], Any] | None = None) -> Column:
    """A column showing one field of the row, `path` as Django names it ("site__name"),
    through `show` if given."""
    if show is None:
        return Column(header, itemgetter(path), fields=(path,))
    return Column(header, lambda row: show(row[path]), fields=(path,))


def choice(header: Any, model: type[Model], path: str) -> Column:
    """A column showing the label of `model`'s choice field `path`, in the reader's
    language, translated once per language rather than once per row (Django's
    `get_FOO_display()` hashes every label of the field, each a translation, for every row:
    a third of an export of 37,000 pieces of equipment). Rows are values or, for a field of
    the row's own model, instances."""
    flatchoices = model._meta.get_field(path).flatchoices  # type: ignore[union-attr]
    labels: dict[str | None, dict[Any, str]] = {}

    def value(row: Any) -> str:
        language = translation.get_language()
        known = labels.get(language)
        if known is None:
            known = labels[language] = {key: str(label) for key, label in flatchoices}
        raw = row[path] if type(row) is dict else getattr(row, path)
        return known.get(raw, "" if raw is None else str(raw))

    return Column(header, value, fields=(path,))


def export_queryset(
    columns: list[Column], rows: QuerySet[Any], *, title: Any, fmt: str, chunk_size: int = 2000
) -> HttpResponse:
    """`export_response` of a QuerySet, read as plain values of the fields its columns
    show, a chunk at a time: no model instance is built (measured on the demo's 37,360
    pieces of equipment: 3.9 s as instances of five models, see docs/architecture.md)."""
    wanted = list(dict.fromkeys(name for column in columns for name in column.fields))
    if not all(column.fields for column in columns):
        raise ValueError("Every column of a QuerySet's export names the fields it reads.")
    return export_response(
        columns, rows.values(*wanted).iterator(chunk_size=chunk_size), title=title, fmt=fmt
    )


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


def export_response(
    columns: list[Column], rows: Iterable[Any], *, fmt: str, title: Any = None, filename: str = ""
) -> HttpResponse:
    """A download of `rows` in `fmt` ("csv" or "xlsx").

    `title` (a str or a lazy translation) names the spreadsheet's sheet and, made a slug,
    the file, in the reader's language like the headers: "Équipements" gives the sheet
    "Équipements" in equipements-2026-05-31.xlsx, not an English "equipment" tab on a French
    page. `filename` is a fixed stem, for a caller without a title."""
    name = str(title) if title is not None else filename
    stem = slugify(name) or filename or "export"
    stamp = timezone.localdate().isoformat()
    if fmt == "xlsx":
        return _xlsx_response(columns, rows, filename=f"{stem}-{stamp}.xlsx", title=name)
    streaming = StreamingHttpResponse(csv_rows(columns, rows), content_type="text/csv; charset=utf-8")
    streaming["Content-Disposition"] = content_disposition_header(True, f"{stem}-{stamp}.csv")
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
