"""The imports pages: upload, report, apply; operator admins only, each page with its outsiders."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client

from mutualis.registry.imports import create_batch
from mutualis.registry.models import ImportBatch, ImportStatus, Site
from tests.conftest import Cast

from .import_files import SITE_HEADER, csv_bytes, reference_lists, upload

pytestmark = pytest.mark.django_db

GOOD = csv_bytes(SITE_HEADER, [("78646", "mairie", "Hôtel de ville", "HDV", "78000", "78646")])
BAD = csv_bytes(
    SITE_HEADER,
    [
        ("78646", "mairie", "Hôtel de ville", "HDV", "78000", "78646"),
        ("78646", "mairie", "Annexe", "ANX", "", "92050"),
    ],
)


@pytest.fixture(autouse=True)
def _setup(cast: Cast, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    reference_lists()


def test_upload_report_and_apply(cast: Cast, as_english) -> None:  # type: ignore[no-untyped-def]
    adam = as_english(cast.adam)
    form = adam.get("/imports/new/").content.decode()
    assert '<label for="id_file">File (CSV or Excel)' in form
    assert "<legend>What the file holds" in form

    response = upload(adam, GOOD)
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/imports/{batch.pk}/"
    assert (batch.created_by, batch.file_name, batch.status) == (cast.adam, "sites.csv", ImportStatus.READY)
    # Kept privately under MEDIA_ROOT/imports/, under a name of ours, with its fingerprint.
    assert Path(batch.file.path).is_relative_to(Path(django_settings.MEDIA_ROOT) / "imports")
    assert Path(batch.file.path).read_bytes() == GOOD
    assert (batch.size, batch.sha256) == (len(GOOD), hashlib.sha256(GOOD).hexdigest())
    assert not Site.objects.filter(code="HDV").exists()

    report = adam.get(f"/imports/{batch.pk}/").content.decode()
    assert "Import now" in report
    assert "read as UTF-8, columns separated by “;”" in report

    applied = adam.post(f"/imports/{batch.pk}/apply/", follow=True)
    assert "Imported: 1 created, 0 updated, 0 unchanged." in applied.content.decode()
    assert Site.objects.filter(code="HDV", member=cast.member_a).exists()
    batch.refresh_from_db()
    assert (batch.status, batch.applied_by) == (ImportStatus.APPLIED, cast.adam)
    assert "Import now" not in applied.content.decode()

    listing = adam.get("/imports/").content.decode()
    assert f'href="/imports/{batch.pk}/"' in listing
    assert "1 import, newest first" in listing


def test_a_file_with_problems_shows_them_offers_no_import_and_downloads_them(cast: Cast, as_english) -> None:  # type: ignore[no-untyped-def]
    adam = as_english(cast.adam)
    upload(adam, BAD)
    batch = ImportBatch.objects.get()
    assert batch.status == ImportStatus.INVALID
    page = adam.get(f"/imports/{batch.pk}/").content.decode()
    assert "Import now" not in page
    assert "<caption>1 problem, by line of the file</caption>" in page
    assert (
        '<th scope="row" class="num">3</th><td>commune</td><td>92050 (Nanterre) is outside the territory of Versailles.</td>'
        in page
    )

    refused = adam.post(f"/imports/{batch.pk}/apply/", follow=True).content.decode()
    assert "cannot be applied" in refused
    assert not Site.objects.filter(code__in=["HDV", "ANX"]).exists()

    download = adam.get(f"/imports/{batch.pk}/errors/?format=csv")
    assert download["Content-Type"].startswith("text/csv")
    rows = list(
        csv.reader(io.StringIO(b"".join(download.streaming_content).decode("utf-8-sig")), delimiter=";")
    )
    assert rows == [
        ["Line", "Column", "Problem"],
        ["3", "commune", "92050 (Nanterre) is outside the territory of Versailles."],
    ]
    problems = adam.get(f"/imports/{batch.pk}/errors/?format=xlsx")
    assert problems.status_code == 200
    problems.getvalue()  # read to the end, as a browser does: that closes an XLSX download's file
    assert adam.get(f"/imports/{batch.pk}/errors/?format=pdf").status_code == 404

    original = adam.get(f"/imports/{batch.pk}/file/")
    assert b"".join(original.streaming_content) == BAD
    assert 'filename="sites.csv"' in original["Content-Disposition"]


def test_long_reports_are_paginated(cast: Cast, as_english) -> None:  # type: ignore[no-untyped-def]
    rows = [("78646", "mairie", f"Site {i}", f"S{i}", "", "92050") for i in range(150)]
    batch = create_batch(
        operator=cast.operator,
        kind="sites",
        mode="create",
        file_name="many.csv",
        data=csv_bytes(SITE_HEADER, rows),
        by=cast.adam,
    )
    adam = as_english(cast.adam)
    first = adam.get(f"/imports/{batch.pk}/")
    assert len(first.context["page"]) == 100
    assert "Page 1 of 2" in first.content.decode()
    assert len(adam.get(f"/imports/{batch.pk}/?page=2").context["page"]) == 50


def test_the_form_reports_a_missing_or_oversize_file_accessibly(cast: Cast, as_english, settings) -> None:  # type: ignore[no-untyped-def]
    adam = as_english(cast.adam)
    missing = adam.post("/imports/new/", {"kind": "sites", "mode": "create"}).content.decode()
    assert 'class="error-summary" role="alert"' in missing
    assert '<a href="#id_file">File (CSV or Excel)</a>' in missing
    settings.IMPORT_MAX_BYTES = 10
    oversize = upload(adam, GOOD).content.decode()
    assert "files up to 0 MB are accepted" in oversize
    assert not ImportBatch.objects.exists()


def test_columns_page_and_example_files(cast: Cast, as_english) -> None:  # type: ignore[no-untyped-def]
    adam = as_english(cast.adam)
    page = adam.get("/imports/columns/").content.decode()
    assert '<th scope="row"><code>inventory_tag</code></th>' in page
    assert "adherent, membre, siren, code_adherent" in page
    example = adam.get("/imports/example/assets.csv")
    assert example["Content-Disposition"] == 'attachment; filename="mutualis-assets-example.csv"'
    assert example.content.decode("utf-8-sig").startswith("inventory_tag;member;site;type;")
    assert adam.get("/imports/example/tickets.csv").status_code == 404


def test_examples_in_the_docs_are_the_downloadable_ones() -> None:
    from mutualis.registry.imports import example_csv

    docs = Path(django_settings.BASE_DIR).parent / "docs" / "examples"
    assert (docs / "sites.csv").read_bytes() == example_csv("sites")
    assert (docs / "assets.csv").read_bytes() == example_csv("assets")


def test_the_menu_shows_imports_to_operator_admins_only(cast: Cast, as_english) -> None:  # type: ignore[no-untyped-def]
    assert 'href="/imports/"' in as_english(cast.adam).get("/").content.decode()
    assert 'href="/imports/"' not in as_english(cast.olivia).get("/").content.decode()
    assert 'href="/imports/"' not in as_english(cast.alice).get("/").content.decode()


def test_get_on_apply_is_not_allowed(cast: Cast, as_english) -> None:  # type: ignore[no-untyped-def]
    batch = create_batch(
        operator=cast.operator, kind="sites", mode="create", file_name="s.csv", data=GOOD, by=cast.adam
    )
    assert as_english(cast.adam).get(f"/imports/{batch.pk}/apply/").status_code == 405


BATCH_PAGES = ["/imports/{}/", "/imports/{}/errors/", "/imports/{}/file/"]
OTHER_PAGES = ["/imports/", "/imports/new/", "/imports/columns/", "/imports/example/sites.csv"]


@pytest.mark.parametrize("who", ["charlie", "olivia", "alice", "bob"])
def test_no_other_role_reaches_any_imports_page(cast: Cast, as_user, who: str) -> None:  # type: ignore[no-untyped-def]
    batch = create_batch(
        operator=cast.operator, kind="sites", mode="create", file_name="s.csv", data=GOOD, by=cast.adam
    )
    client = as_user(getattr(cast, who))
    for url in [*OTHER_PAGES, *(u.format(batch.pk) for u in BATCH_PAGES)]:
        assert client.get(url).status_code == 403, url
    assert client.post(f"/imports/{batch.pk}/apply/").status_code == 403
    assert upload(client, GOOD).status_code == 403
    batch.refresh_from_db()
    assert batch.status == ImportStatus.READY
    assert ImportBatch.objects.count() == 1
    assert not Site.objects.filter(code="HDV").exists()


def test_another_operators_admin_gets_404_and_cannot_apply(cast: Cast, as_user) -> None:  # type: ignore[no-untyped-def]
    batch = create_batch(
        operator=cast.operator, kind="sites", mode="create", file_name="s.csv", data=GOOD, by=cast.adam
    )
    oscar = as_user(cast.oscar)
    for url in BATCH_PAGES:
        assert oscar.get(url.format(batch.pk)).status_code == 404, url
    assert oscar.post(f"/imports/{batch.pk}/apply/").status_code == 404
    listing = oscar.get("/imports/")
    assert listing.status_code == 200
    assert list(listing.context["page"]) == []
    batch.refresh_from_db()
    assert batch.status == ImportStatus.READY
    assert not Site.objects.filter(code="HDV").exists()


def test_another_operators_admin_imports_into_their_own_operator_only(cast: Cast, as_user) -> None:  # type: ignore[no-untyped-def]
    oscar = as_user(cast.oscar)
    upload(oscar, GOOD)
    batch = ImportBatch.objects.get()
    assert batch.operator == cast.other_operator
    assert batch.status == ImportStatus.INVALID  # Versailles is not one of their members
    assert as_user(cast.adam).get(f"/imports/{batch.pk}/").status_code == 404


def test_anonymous_visitors_are_sent_to_the_login_page(client: Client, cast: Cast) -> None:
    batch = create_batch(
        operator=cast.operator, kind="sites", mode="create", file_name="s.csv", data=GOOD, by=cast.adam
    )
    for url in [*OTHER_PAGES, *(u.format(batch.pk) for u in BATCH_PAGES)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/")
    assert client.post(f"/imports/{batch.pk}/apply/").status_code == 302
    batch.refresh_from_db()
    assert batch.status == ImportStatus.READY
