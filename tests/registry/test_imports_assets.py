"""Importing equipment: tags, sites, models, parents, statuses; all or nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.db import DatabaseError
from django.utils import translation

from mutualis.registry.imports import apply_batch, create_batch
from mutualis.registry.models import Asset, AssetModel, AssetStatusChange, ImportBatch, ImportStatus, Site
from tests.conftest import Cast
from tests.factories import AssetFactory, AssetModelFactory, MemberFactory, SiteFactory

from .import_files import ASSET_HEADER, check, csv_bytes, problems, reference_lists

pytestmark = pytest.mark.django_db

FULL_HEADER = (
    "inventory_tag",
    "member",
    "site",
    "type",
    "manufacturer",
    "model",
    "serial_number",
    "label",
    "status",
    "acquired_on",
    "warranty_ends_on",
    "acquisition_cost",
    "parent_tag",
)


@pytest.fixture(autouse=True)
def _setup(cast: Cast, settings, tmp_path) -> Iterator[None]:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    reference_lists()
    Site.objects.filter(pk=cast.site_a.pk).update(code="HDV")
    Site.objects.filter(pk=cast.site_b.pk).update(code="HDV")
    with translation.override("en"):
        yield


def import_assets(cast: Cast, data: bytes, mode: str = "create") -> ImportBatch:
    batch = create_batch(
        operator=cast.operator, kind="assets", mode=mode, file_name="eq.csv", data=data, by=cast.adam
    )
    if batch.status == ImportStatus.READY:
        batch = apply_batch(batch=batch, by=cast.adam)
    return batch


def errors(batch: ImportBatch) -> list[tuple[int, str, str]]:
    return [(e["line"], e["column"], e["message"]) for e in batch.report["errors"]]


def test_a_clean_file_creates_equipment_models_parents_and_first_history_lines(cast: Cast) -> None:
    AssetModelFactory(manufacturer="Lenovo", name="Tab M10")
    rows = [
        (
            "T-1",
            "78646",
            "HDV",
            "Tablette",
            "LENOVO",
            "tab m10",
            "SN1",
            "Accueil",
            "",
            "2024-09-01",
            "31/08/2027",
            "289,90",
            "",
        ),
        (
            "C-2",
            "78646",
            "hdv-name-not-used",
            "camera",
            "Axis",
            "P3265-LVE",
            "",
            "",
            "en stock",
            "",
            "",
            "1 450",
            "C-1",
        ),
        (
            "C-1",
            "78646",
            "HDV",
            "camera",
            "Axis",
            "P3265-LVE",
            "",
            "Entrée nord",
            "in repair",
            "",
            "",
            "",
            "A-0001",
        ),
    ]
    Site.objects.filter(pk=cast.site_a.pk).update(
        name="hdv-name-not-used"
    )  # found by name as well as by reference
    batch = import_assets(cast, csv_bytes(FULL_HEADER, rows))
    assert batch.status == ImportStatus.APPLIED, errors(batch)
    assert (batch.report["to_create"], batch.report["new_models"]) == (3, 1)
    tablet = Asset.objects.get(inventory_tag="T-1")
    assert (tablet.site, tablet.asset_type.code, str(tablet.model), tablet.status) == (
        cast.site_a,
        "tablette",
        "Lenovo Tab M10",
        "in_service",
    )
    assert (tablet.acquired_on, tablet.warranty_ends_on, tablet.acquisition_cost) == (
        dt.date(2024, 9, 1),
        dt.date(2027, 8, 31),
        Decimal("289.90"),
    )
    assert tablet.operator_id == cast.operator.pk
    camera, housing = Asset.objects.get(inventory_tag="C-2"), Asset.objects.get(inventory_tag="C-1")
    assert (camera.parent, housing.parent) == (housing, cast.asset_a)
    assert (camera.status, housing.status, camera.acquisition_cost) == (
        "in_stock",
        "in_repair",
        Decimal("1450.00"),
    )
    assert (
        AssetModel.objects.filter(manufacturer="Axis", name="P3265-LVE", asset_type__code="camera").count()
        == 1
    )
    first = AssetStatusChange.objects.get(asset=housing)
    assert (first.from_status, first.to_status, first.changed_by) == ("", "in_repair", cast.adam)
    assert first.note == f"Imported from eq.csv (import #{batch.pk})"
    assert first.changed_at == housing.status_changed_at


def test_a_tag_twice_in_the_file_is_an_error_on_both_lines(cast: Cast) -> None:
    rows = [
        ("T-1", "78646", "HDV", "tablette", ""),
        ("T-2", "78646", "HDV", "tablette", ""),
        ("T-1", "92050", "HDV", "tablette", ""),
    ]
    report = check(cast.operator, "assets", csv_bytes(ASSET_HEADER, rows))
    assert problems(report) == [
        (2, "inventory_tag", "The inventory tag T-1 is also on line 4."),
        (4, "inventory_tag", "The inventory tag T-1 is also on line 2."),
    ]


def test_a_recorded_tag_is_an_error_naming_the_site_of_the_recorded_equipment(cast: Cast) -> None:
    report = check(
        cast.operator, "assets", csv_bytes(ASSET_HEADER, [("B-0001", "78646", "HDV", "tablette", "")])
    )
    assert problems(report) == [
        (
            2,
            "inventory_tag",
            "The inventory tag B-0001 is already used by equipment at Mairie de Nanterre (Nanterre). To change "
            "existing equipment, import the file in update mode.",
        )
    ]


def test_every_bad_cell_is_reported_and_nothing_is_written(cast: Cast) -> None:
    rows = [
        ("OK-1", "78646", "HDV", "tablette", "", "", "", "", "", "", "", "", ""),
        ("X-2", "78646", "GYM", "Tablete", "Lenovo", "", "", "", "broken", "31/02/2024", "", "-3", ""),
        (
            "X-3",
            "92050",
            "HDV",
            "tablette",
            "",
            "",
            "",
            "",
            "",
            "2024-09-01",
            "2024-08-31",
            "12.345",
            "A-0001",
        ),
        ("X-4", "78646", "HDV", "tablette", "", "", "", "", "", "", "", "", "NOPE"),
        ("X-5", "78646", "HDV", "tablette", "", "", "", "", "", "", "", "", "X-5"),
        ("", "78646", "HDV", "", "", "", "", "", "", "2024/09/01", "", "1.289,90", ""),
    ]
    batch = import_assets(cast, csv_bytes(FULL_HEADER, rows))
    assert batch.status == ImportStatus.INVALID
    assert errors(batch) == [
        (3, "site", "Versailles has no site with the reference or name “GYM”."),
        (3, "type", "Unknown type of equipment “Tablete”. Did you mean “Tablette”?"),
        (3, "model", "Give the manufacturer and the model together, or neither."),
        (3, "acquired_on", "“31/02/2024” is not a date that exists."),
        (3, "acquisition_cost", "An amount cannot be negative."),
        (
            3,
            "status",
            "Unknown status “broken”. Write one of: in_stock, in_service, in_repair, lost, retired.",
        ),
        (4, "acquisition_cost", "“12.345” has more than two decimals."),
        (4, "warranty_ends_on", "The warranty cannot end before the equipment was acquired."),
        (
            4,
            "parent_tag",
            "A-0001 belongs to Versailles: equipment and its parent must belong to the same member.",
        ),
        (5, "parent_tag", "No equipment has the inventory tag “NOPE”, in this file or in Mutualis."),
        (6, "parent_tag", "Equipment cannot be part of itself."),
        (7, "inventory_tag", "This value is required; the cell is empty."),
        (7, "type", "This value is required; the cell is empty."),
        (7, "acquired_on", "“2024/09/01” is not a date: write 2024-09-01 or 01/09/2024."),
        (
            7,
            "acquisition_cost",
            "“1.289,90” mixes commas and points: write 1289.90 or 1289,90, without thousands separators.",
        ),
    ]
    assert not Asset.objects.filter(inventory_tag__in=["OK-1", "X-2", "X-3", "X-4", "X-5"]).exists()


def test_a_parent_of_another_member_is_refused(cast: Cast) -> None:
    rows = [("X-1", "92050", "HDV", "tablette", "A-0001")]
    report = check(cast.operator, "assets", csv_bytes((*ASSET_HEADER[:4], "parent_tag"), rows))
    assert problems(report) == [
        (
            2,
            "parent_tag",
            "A-0001 belongs to Versailles: equipment and its parent must belong to the same member.",
        )
    ]


def test_cycles_are_refused_within_the_file_and_through_recorded_equipment(cast: Cast) -> None:
    header = (*ASSET_HEADER[:4], "parent_tag")
    in_file = [("P-1", "78646", "HDV", "tablette", "P-2"), ("P-2", "78646", "HDV", "tablette", "P-1")]
    assert problems(check(cast.operator, "assets", csv_bytes(header, in_file))) == [
        (2, "parent_tag", "Equipment P-1 would be part of itself: P-1 → P-2 → P-1."),
        (3, "parent_tag", "Equipment P-2 would be part of itself: P-2 → P-1 → P-2."),
    ]
    child = AssetFactory(site=cast.site_a, inventory_tag="CHILD", parent=cast.asset_a)
    AssetFactory(site=cast.site_a, inventory_tag="GRANDCHILD", parent=child)
    through_db = [("A-0001", "78646", "HDV", "tablette", "GRANDCHILD")]
    assert problems(check(cast.operator, "assets", csv_bytes(header, through_db), "update")) == [
        (2, "parent_tag", "Equipment A-0001 would be part of itself: A-0001 → GRANDCHILD → CHILD → A-0001.")
    ]


def test_moving_a_part_to_another_members_site_needs_its_parent_changed_too(cast: Cast) -> None:
    AssetFactory(site=cast.site_a, inventory_tag="PART", parent=cast.asset_a)
    header = ("inventory_tag", "member", "site", "type")
    moved = check(
        cast.operator, "assets", csv_bytes(header, [("PART", "92050", "HDV", "tablette")]), "update"
    )
    assert problems(moved) == [
        (
            2,
            "site",
            "This equipment is part of A-0001, which belongs to Versailles: keep it at a site of that member, "
            "or add a parent_tag column (empty to detach it).",
        )
    ]
    detached = import_assets(
        cast, csv_bytes((*header, "parent_tag"), [("PART", "92050", "HDV", "tablette", "")]), "update"
    )
    assert detached.status == ImportStatus.APPLIED, errors(detached)
    part = Asset.objects.get(inventory_tag="PART")
    assert (part.site, part.parent) == (cast.site_b, None)


def test_sites_are_found_by_site_id_within_the_operator_only(cast: Cast) -> None:
    theirs = SiteFactory(member=MemberFactory(operator=cast.other_operator))
    header = ("inventory_tag", "site_id", "type")
    rows = [
        ("S-1", str(cast.site_b.pk), "tablette"),
        ("S-2", str(theirs.pk), "tablette"),
        ("S-3", "abc", "tablette"),
        # Digits for str.isdigit(), not for int(): a message, not a failed import.
        ("S-4", "²", "tablette"),
        ("S-5", "9" * 5000, "tablette"),
    ]
    report = check(cast.operator, "assets", csv_bytes(header, rows))
    found = problems(report)
    assert found[:3] == [
        (3, "site_id", f"No site of Opérateur numérique test has the id “{theirs.pk}”."),
        (4, "site_id", "No site of Opérateur numérique test has the id “abc”."),
        (5, "site_id", "No site of Opérateur numérique test has the id “²”."),
    ]
    assert [(line, column) for line, column, _message in found[3:]] == [(6, "site_id")]


def test_the_site_columns_are_required_in_the_header(cast: Cast) -> None:
    report = check(
        cast.operator, "assets", csv_bytes(("inventory_tag", "member", "type"), [("T", "78646", "tablette")])
    )
    assert problems(report) == [
        (
            1,
            "",
            "Say where each piece of equipment is: add a “site_id” column, or “member” and “site” columns.",
        )
    ]


def test_update_mode_changes_status_through_the_life_cycle_and_keeps_history(cast: Cast) -> None:
    retired = AssetFactory(site=cast.site_a, inventory_tag="OLD", status="retired")
    header = ("inventory_tag", "member", "site", "type", "status", "label")
    rows = [
        ("A-0001", "78646", "HDV", "tablette", "en réparation", "Tablette accueil"),
        ("OLD", "78646", "HDV", "tablette", "in_service", ""),
    ]
    report = check(cast.operator, "assets", csv_bytes(header, rows), "update")
    assert problems(report) == [
        (3, "status", "An asset cannot go from retired to in service (allowed: none).")
    ]
    batch = import_assets(cast, csv_bytes(header, rows[:1]), "update")
    assert batch.status == ImportStatus.APPLIED, errors(batch)
    cast.asset_a.refresh_from_db()
    assert (cast.asset_a.status, cast.asset_a.label) == ("in_repair", "Tablette accueil")
    change = cast.asset_a.status_changes.first()
    assert (change.from_status, change.to_status, change.changed_by) == ("in_service", "in_repair", cast.adam)
    assert cast.asset_a.status_changed_at == change.changed_at
    retired.refresh_from_db()
    assert retired.status == "retired"


def test_importing_the_same_update_file_twice_changes_nothing_the_second_time(cast: Cast) -> None:
    rows = [
        (
            "A-0001",
            "78646",
            "HDV",
            "tablette",
            "Lenovo",
            "Tab M10",
            "SN-A",
            "Accueil",
            "in_stock",
            "2023-09-01",
            "",
            "300",
            "",
        ),
        ("N-1", "78646", "HDV", "camera", "Axis", "M3106", "", "", "", "", "", "", "A-0001"),
    ]
    data = csv_bytes(FULL_HEADER, rows)
    first = import_assets(cast, data, "update")
    assert first.status == ImportStatus.APPLIED, errors(first)
    assert (first.report["to_create"], first.report["to_update"], first.report["new_models"]) == (1, 1, 2)
    history = AssetStatusChange.objects.count()
    stamps = dict(Asset.objects.values_list("inventory_tag", "updated_at"))

    second = import_assets(cast, data, "update")
    assert second.status == ImportStatus.APPLIED
    assert (second.report["to_create"], second.report["to_update"], second.report["unchanged"]) == (0, 0, 2)
    assert second.report["new_models"] == 0
    assert AssetStatusChange.objects.count() == history
    assert dict(Asset.objects.values_list("inventory_tag", "updated_at")) == stamps


def test_a_database_failure_in_the_middle_of_apply_leaves_nothing_behind(cast: Cast, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    rows = [
        (f"F-{i}", "78646", "HDV", "camera", "Hikvision", "DS-2CD", "", "", "", "", "", "", "")
        for i in range(2500)
    ]
    batch = create_batch(
        operator=cast.operator,
        kind="assets",
        mode="create",
        file_name="f.csv",
        data=csv_bytes(FULL_HEADER, rows),
        by=cast.adam,
    )
    assert batch.status == ImportStatus.READY

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise DatabaseError("disk full")

    # Models and 2,500 assets are written by then; the history lines fail.
    monkeypatch.setattr(AssetStatusChange.objects, "bulk_create", refuse)
    batch = apply_batch(batch=batch, by=cast.adam)
    assert batch.status == ImportStatus.FAILED
    assert errors(batch) == [(0, "", "The database refused the import (disk full); nothing was imported.")]
    assert not Asset.objects.filter(inventory_tag__startswith="F-").exists()
    assert not AssetModel.objects.filter(manufacturer="Hikvision").exists()


def test_an_unexpected_error_in_apply_rolls_everything_back_and_keeps_the_batch_ready(
    cast: Cast, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    batch = create_batch(
        operator=cast.operator,
        kind="assets",
        mode="create",
        file_name="f.csv",
        data=csv_bytes(ASSET_HEADER, [("E-1", "78646", "HDV", "tablette", "")]),
        by=cast.adam,
    )

    def crash(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("bug")

    monkeypatch.setattr(AssetStatusChange.objects, "bulk_create", crash)
    with pytest.raises(RuntimeError):
        apply_batch(batch=batch, by=cast.adam)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.READY
    assert not Asset.objects.filter(inventory_tag="E-1").exists()


def test_an_applied_batch_cannot_be_applied_again(cast: Cast) -> None:
    from mutualis.registry.imports import ImportRefusedError

    batch = import_assets(cast, csv_bytes(ASSET_HEADER, [("E-1", "78646", "HDV", "tablette", "")]))
    assert batch.status == ImportStatus.APPLIED
    with pytest.raises(ImportRefusedError):
        apply_batch(batch=batch, by=cast.adam)
    assert Asset.objects.filter(inventory_tag="E-1").count() == 1


def test_validation_does_not_query_per_row(cast: Cast, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    rows = [
        (
            f"Q-{i}",
            "78646",
            "HDV",
            "tablette",
            "Lenovo",
            f"M{i % 7}",
            "",
            "",
            "",
            "",
            "",
            "",
            "A-0001" if i % 2 else "",
        )
        for i in range(500)
    ]
    with django_assert_max_num_queries(12):
        report = check(cast.operator, "assets", csv_bytes(FULL_HEADER, rows))
    assert report.ok, problems(report)[:3]
    assert (report.to_create, report.new_models) == (500, 7)


def test_equipment_moved_to_another_member_does_not_leave_its_parts_behind(cast: Cast) -> None:
    AssetFactory(site=cast.site_a, inventory_tag="CAM-1", parent=cast.asset_a)
    header = ASSET_HEADER[:4]
    moved = [("A-0001", "92050", "Mairie de Nanterre", "tablette")]
    assert problems(check(cast.operator, "assets", csv_bytes(header, moved), "update")) == [
        (
            2,
            "site",
            "Parts of this equipment (CAM-1) would stay at sites of another member: add them to the file "
            "with a parent_tag column (this equipment's tag to move them too, empty to detach them).",
        )
    ]
    # Named in the file with the parent moved along, or detached, they do not stay behind.
    along = [(*moved[0], ""), ("CAM-1", "92050", "Mairie de Nanterre", "tablette", "A-0001")]
    assert problems(check(cast.operator, "assets", csv_bytes((*header, "parent_tag"), along), "update")) == []
    detached = [(*moved[0], ""), ("CAM-1", "78646", cast.site_a.name, "tablette", "")]
    assert (
        problems(check(cast.operator, "assets", csv_bytes((*header, "parent_tag"), detached), "update")) == []
    )
