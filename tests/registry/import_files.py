"""Building import files for the tests of imports (tests/registry/test_imports_*.py): CSV
files, and Excel workbooks written with openpyxl."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Sequence
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook

from mutualis.registry.imports import Report, validate
from mutualis.registry.models import Asset, Commune, ImportBatch, ImportMode, ImportStatus, Operator, SiteKind
from tests.factories import AssetTypeFactory, CommuneFactory, SiteKindFactory

SITE_HEADER = ("member", "kind", "name", "reference", "postal_code", "commune")
ASSET_HEADER = ("inventory_tag", "member", "site", "type", "status")
# Equipment with an acquisition date: the column the date readings are tested in.
DATED_ASSET_HEADER = (*ASSET_HEADER, "acquired_on")


def csv_bytes(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    delimiter: str = ";",
    encoding: str = "utf-8",
    bom: bool = False,
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    text = ("\ufeff" if bom else "") + buffer.getvalue()
    return text.encode(encoding)


def xlsx_bytes(*sheets: tuple[str, Sequence[Sequence[Any]]], hidden: Sequence[str] = ()) -> bytes:
    """A workbook with these sheets, (title, rows) each; cells keep their Python type
    (numbers, dates, booleans), as Excel stores them."""
    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    for title, rows in sheets:
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
        if title in hidden:
            sheet.sheet_state = "hidden"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def with_cached_values(data: bytes, values: dict[str, str]) -> bytes:
    """The workbook with the value Excel would have saved for formula cells ({"D2": "HDV"}):
    openpyxl writes formulas without their value."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            part = source.read(info)
            if info.filename.startswith("xl/worksheets/"):
                text = part.decode("utf-8")
                for cell, value in values.items():
                    kind = "" if re.fullmatch(r"[\d.]+", value) else ' t="str"'
                    text, count = re.subn(
                        rf'<c r="{cell}"([^>]*)><f>(.*?)</f><v\s*/?>(?:</v>)?</c>',
                        rf'<c r="{cell}"\1{kind}><f>\2</f><v>{value}</v></c>',
                        text,
                    )
                    assert count == 1, (cell, text)
                part = text.encode("utf-8")
            target.writestr(info, part)
    return buffer.getvalue()


def check(operator: Operator, kind: str, data: bytes, mode: str = ImportMode.CREATE) -> Report:
    return validate(kind=kind, operator=operator, data=data, mode=mode).report


def problems(report: Report) -> list[tuple[int, str, str]]:
    return [(p.line, p.column, p.message) for p in report.problems]


def reference_lists() -> None:
    """Kinds of site, types of equipment and the real postal codes of the cast's communes."""
    SiteKindFactory(code="mairie", name="Mairie")
    SiteKindFactory(code="ecole", name="École")
    AssetTypeFactory(code="tablette", name="Tablette")
    AssetTypeFactory(code="camera", name="Caméra de vidéoprotection")
    Commune.objects.filter(code="78646").update(postal_codes=["78000"])
    Commune.objects.filter(code="92050").update(postal_codes=["92000"])
    CommuneFactory(code="78551", name="Saint-Germain-en-Laye", postal_codes=["78100"])


def kinds() -> list[str]:
    return list(SiteKind.objects.values_list("code", flat=True))


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(
    client: Client, data: bytes, *, kind: str = "sites", mode: str = "create", name: str = "sites.csv"
) -> Any:
    """Send a file to the upload page, as a browser would (its type from its name)."""
    content_type = XLSX if name.endswith(".xlsx") else "text/csv"
    return client.post(
        "/imports/new/",
        {"kind": kind, "mode": mode, "file": SimpleUploadedFile(name, data, content_type=content_type)},
    )


def dated_assets(fmt: str, dates: Sequence[object]) -> bytes:
    """A CSV file or a workbook (`fmt`) of tablets at the cast's town hall (site code HDV),
    one for each acquisition date in `dates`, written as given."""
    rows = [(f"T-{n:04d}", "78646", "HDV", "tablette", "en service", date) for n, date in enumerate(dates, 1)]
    if fmt == "xlsx":
        return xlsx_bytes(("Matériel", [DATED_ASSET_HEADER, *rows]))
    return csv_bytes(DATED_ASSET_HEADER, [tuple(map(str, row)) for row in rows])


def imported_dates(client: Client, fmt: str, dates: Sequence[object]) -> dict[str, Any]:
    """Upload `dated_assets(fmt, dates)` as `client`, apply it, and give each tablet's
    recorded acquisition date by inventory tag; the import must have been applied."""
    upload(client, dated_assets(fmt, dates), kind="assets", name=f"equipment.{fmt}")
    batch = ImportBatch.objects.get()
    client.post(f"/imports/{batch.pk}/apply/")
    batch.refresh_from_db()
    assert batch.status == ImportStatus.APPLIED, batch.report["errors"][:3]
    return dict(
        Asset.objects.filter(inventory_tag__startswith="T-").values_list("inventory_tag", "acquired_on")
    )
