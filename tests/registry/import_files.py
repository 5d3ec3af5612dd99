"""Building import files for the tests of CSV imports (tests/registry/test_imports_*.py)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from mutualis.registry.imports import Report, validate
from mutualis.registry.models import Commune, ImportMode, Operator, SiteKind
from tests.factories import AssetTypeFactory, CommuneFactory, SiteKindFactory

SITE_HEADER = ("member", "kind", "name", "reference", "postal_code", "commune")
ASSET_HEADER = ("inventory_tag", "member", "site", "type", "status")


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
