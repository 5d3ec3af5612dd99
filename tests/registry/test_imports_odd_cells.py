"""Cells that damaged files, copy-paste and spreadsheets mangle: control characters, long
numbers in scientific notation, phone numbers that lost their leading zero."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from mutualis.people.models import User
from mutualis.registry.imports import apply_batch, create_batch
from mutualis.registry.models import ImportBatch, ImportStatus, Site
from tests.conftest import Cast

from .import_files import ASSET_HEADER, SITE_HEADER, check, csv_bytes, problems, reference_lists

pytestmark = pytest.mark.django_db

CONTROL = (
    "This cell holds an invisible control character (%(code)s), left by a damaged file or a copy "
    "from another program: type the value again."
)


def scientific(value: str) -> str:
    return (
        f"“{value}” is a long number as a spreadsheet shows it, its last digits lost. In the spreadsheet, "
        "format this column as Text, type the values again, and save the file again."
    )


@pytest.fixture(autouse=True)
def _setup(cast: Cast, settings, tmp_path) -> Iterator[None]:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    reference_lists()
    Site.objects.filter(pk=cast.site_a.pk).update(code="HDV")
    with translation.override("en"):
        yield


def test_a_nul_byte_deep_in_a_file_is_reported_at_its_line_and_column(
    cast: Cast, as_user: Callable[[User], Client]
) -> None:
    # Far past the start of the file, where a NUL no longer means "not a text file". On
    # PostgreSQL the report quoting it could not be saved: the upload was a 500.
    rows = [("78646", "mairie", f"Annexe {i}", f"A{i}", "78000", "78646") for i in range(3000)]
    rows.append(("78646", "mai\x00rie", "Annexe\x00 NUL", "NUL", "78000", "78646"))
    adam = as_user(cast.adam)
    response = adam.post(
        "/imports/new/",
        {
            "kind": "sites",
            "mode": "create",
            "file": SimpleUploadedFile("sites.csv", csv_bytes(SITE_HEADER, rows), content_type="text/csv"),
        },
    )

    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert batch.status == ImportStatus.INVALID
    with translation.override("fr"):
        control = translation.gettext(CONTROL) % {"code": "U+0000"}
    assert [(e["line"], e["column"], e["message"]) for e in batch.report["errors"]] == [
        (3002, "kind", control),
        (3002, "name", control),
    ]
    assert control in adam.get(f"/imports/{batch.pk}/").content.decode()
    assert not Site.objects.filter(name__startswith="Annexe").exists()


def test_a_control_character_in_a_header_or_file_name_is_shown_as_a_replacement_sign(cast: Cast) -> None:
    data = csv_bytes(("member", "ki\x01nd", "name", "commune"), [("78646", "mairie", "Annexe", "78646")])
    batch = create_batch(
        operator=cast.operator, kind="sites", mode="create", file_name="in\x00ventaire.csv", data=data
    )
    batch.refresh_from_db()
    assert batch.file_name == "in\ufffdventaire.csv"
    assert (batch.report["errors"][0]["line"], batch.report["errors"][0]["column"]) == (1, "ki\ufffdnd")
    assert "\x01" not in str(batch.report)


def test_serial_numbers_and_tags_in_scientific_notation_are_refused(cast: Cast) -> None:
    # Excel shows a number of more than 11 digits as 1,23457E+14 and saves it so in CSV:
    # imported, the serial number would have lost its last digits for good.
    header = (*ASSET_HEADER, "serial_number", "parent_tag")
    report = check(
        cast.operator,
        "assets",
        csv_bytes(
            header,
            [
                ("T-1", "78646", "HDV", "tablette", "in_service", "1,23457E+14", ""),
                ("4,56789E+12", "78646", "HDV", "tablette", "in_service", "SN-2", "7.1E+11"),
                ("T-3", "78646", "HDV", "tablette", "in_service", "1E5", ""),
            ],
        ),
    )
    assert problems(report) == [
        (2, "serial_number", scientific("1,23457E+14")),
        (3, "inventory_tag", scientific("4,56789E+12")),
        (3, "parent_tag", scientific("7.1E+11")),
    ]


def test_a_site_id_or_a_siren_in_scientific_notation_says_why_it_is_unknown(cast: Cast) -> None:
    report = check(
        cast.operator,
        "assets",
        csv_bytes(("inventory_tag", "site_id", "type"), [("T-1", "3,64E+02", "tablette")]),
    )
    assert problems(report) == [(2, "site_id", scientific("3,64E+02"))]
    report = check(
        cast.operator,
        "sites",
        csv_bytes(SITE_HEADER, [("2,17806E+08", "mairie", "Annexe", "ANX", "78000", "78646")]),
    )
    assert problems(report) == [(2, "member", scientific("2,17806E+08"))]


def test_a_phone_number_that_lost_its_leading_zero_gets_it_back(cast: Cast) -> None:
    data = csv_bytes(
        (*SITE_HEADER, "phone"),
        [
            ("78646", "mairie", "Annexe", "ANX", "78000", "78646", "130978000"),
            ("78646", "mairie", "Annexe 2", "ANX2", "78000", "78646", "01 30 97 80 01"),
        ],
    )
    batch = apply_batch(
        batch=create_batch(operator=cast.operator, kind="sites", mode="create", file_name="s.csv", data=data)
    )
    assert batch.status == ImportStatus.APPLIED
    assert dict(Site.objects.filter(code__startswith="ANX").values_list("code", "phone")) == {
        "ANX": "0130978000",
        "ANX2": "01 30 97 80 01",
    }
