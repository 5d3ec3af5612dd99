"""`mutualis import_sites` and `mutualis import_assets`: the same checks, printed per line."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from mutualis.registry.models import Asset, ImportBatch, ImportStatus, Operator, Site
from tests.conftest import Cast

from .import_files import ASSET_HEADER, SITE_HEADER, csv_bytes, reference_lists

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _setup(cast: Cast, settings, tmp_path: Path) -> Iterator[None]:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    reference_lists()
    with translation.override("en"):
        yield


def write(tmp_path: Path, data: bytes, name: str = "sites.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_import_sites_imports_a_clean_file_and_records_the_batch(cast: Cast, tmp_path: Path) -> None:
    path = write(
        tmp_path, csv_bytes(SITE_HEADER, [("78646", "mairie", "Hôtel de ville", "HDV", "78000", "78646")])
    )
    output = run("import_sites", str(path), "--operator", "test-operator")
    assert "Rows: 1; to create: 1; to update: 0; unchanged: 0." in output
    assert f"Imported (import #{ImportBatch.objects.get().pk}): 1 created, 0 updated, 0 unchanged." in output
    assert Site.objects.filter(code="HDV", member=cast.member_a).exists()
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.created_by, batch.applied_by, batch.file_name) == (
        ImportStatus.APPLIED,
        None,
        None,
        "sites.csv",
    )


def test_a_file_with_problems_prints_each_and_exits_non_zero(cast: Cast, tmp_path: Path) -> None:
    rows = [("78646", "mairie", "Bonne", "B", "", "78646"), ("78646", "mairie", "Annexe", "A", "", "92050")]
    path = write(tmp_path, csv_bytes(SITE_HEADER, rows))
    out = StringIO()
    with pytest.raises(CommandError, match=r"1 problem found: nothing was imported \(import #\d+\)\."):
        call_command("import_sites", str(path), "--operator", "test-operator", stdout=out)
    assert (
        'line 3, column "commune": 92050 (Nanterre) is outside the territory of Versailles.' in out.getvalue()
    )
    assert not Site.objects.filter(code__in=["A", "B"]).exists()
    assert ImportBatch.objects.get().status == ImportStatus.INVALID


def test_dry_run_checks_and_records_but_imports_nothing(cast: Cast, tmp_path: Path) -> None:
    Site.objects.filter(pk=cast.site_a.pk).update(code="HDV")
    path = write(tmp_path, csv_bytes(ASSET_HEADER, [("T-1", "78646", "HDV", "tablette", "")]), "eq.csv")
    output = run("import_assets", str(path), "--dry-run", "--operator", "test-operator")
    assert "Dry run: the file is clean; nothing was imported." in output
    assert "new models: 0" in output
    assert not Asset.objects.filter(inventory_tag="T-1").exists()
    assert ImportBatch.objects.get().status == ImportStatus.READY


def test_update_flag_updates_recorded_equipment(cast: Cast, tmp_path: Path) -> None:
    header = ("inventory_tag", "site_id", "type", "status")
    path = write(
        tmp_path, csv_bytes(header, [("A-0001", str(cast.site_a.pk), "tablette", "in_stock")]), "eq.csv"
    )
    with pytest.raises(CommandError):
        call_command("import_assets", str(path), "--operator", "test-operator", stdout=StringIO())
    output = run("import_assets", str(path), "--update", "--operator", "test-operator")
    assert "1 updated" in output
    cast.asset_a.refresh_from_db()
    assert cast.asset_a.status == "in_stock"


def test_the_operator_must_be_named_when_there_are_several(cast: Cast, tmp_path: Path) -> None:
    path = write(
        tmp_path, csv_bytes(SITE_HEADER, [("78646", "mairie", "Hôtel de ville", "HDV", "", "78646")])
    )
    with pytest.raises(CommandError, match=r"There are several operators .*: choose one with --operator"):
        call_command("import_sites", str(path), stdout=StringIO())
    with pytest.raises(CommandError, match="No operator has the identifier “nope”"):
        call_command("import_sites", str(path), "--operator", "nope", stdout=StringIO())
    assert not ImportBatch.objects.exists()


def test_the_only_operator_is_the_default(cast: Cast, tmp_path: Path) -> None:
    Operator.objects.filter(pk=cast.other_operator.pk).update(slug="gone")
    cast.oscar.memberships.all().delete()
    Operator.objects.filter(slug="gone").delete()
    path = write(
        tmp_path, csv_bytes(SITE_HEADER, [("78646", "mairie", "Hôtel de ville", "HDV", "", "78646")])
    )
    assert "1 created" in run("import_sites", str(path))


def test_an_oversize_file_is_refused_before_reading(cast: Cast, tmp_path: Path, settings) -> None:  # type: ignore[no-untyped-def]
    settings.IMPORT_MAX_BYTES = 10
    path = write(
        tmp_path, csv_bytes(SITE_HEADER, [("78646", "mairie", "Hôtel de ville", "HDV", "", "78646")])
    )
    with pytest.raises(CommandError, match="files up to 0 MB are accepted"):
        call_command("import_sites", str(path), "--operator", "test-operator", stdout=StringIO())
    assert not ImportBatch.objects.exists()


def test_a_missing_file_is_named(cast: Cast, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no such file"):
        call_command(
            "import_sites", str(tmp_path / "nope.csv"), "--operator", "test-operator", stdout=StringIO()
        )
