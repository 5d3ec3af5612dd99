"""What the imports pages tell the person: a file uploaded as the wrong kind, a file
imported already, a form sent twice, counts and sizes written the French way."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from mutualis.people.models import User
from mutualis.registry.imports import apply_batch, create_batch
from mutualis.registry.models import Asset, AssetStatus, ImportBatch, ImportStatus, Site
from tests.conftest import Cast

from .import_files import ASSET_HEADER, SITE_HEADER, csv_bytes, reference_lists, upload

pytestmark = pytest.mark.django_db

SITES = csv_bytes(SITE_HEADER, [("78646", "mairie", "Hôtel de ville", "HDV", "78000", "78646")])
ASSETS = csv_bytes(ASSET_HEADER, [("A-0002", "78646", "HDV", "tablette", "in_service")])


@pytest.fixture(autouse=True)
def _setup(cast: Cast, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    reference_lists()


def test_a_file_uploaded_as_the_wrong_kind_says_which_kind_it_is(
    cast: Cast, as_user: Callable[[User], Client]
) -> None:
    # Before, five problems asked to rename or add columns ("site": did you mean "siren"?).
    adam = as_user(cast.adam)
    upload(adam, ASSETS, kind="sites")
    batch = ImportBatch.objects.get()
    assert batch.status == ImportStatus.INVALID
    message = (
        "Ce fichier contient des équipements, pas des sites : sa ligne d’en-tête nomme les colonnes des "
        "équipements. Importez-le à nouveau en choisissant « équipements »."
    )
    assert [(e["line"], e["column"], e["message"]) for e in batch.report["errors"]] == [(1, "", message)]
    assert message in adam.get(f"/imports/{batch.pk}/").content.decode()

    upload(adam, SITES, kind="assets")
    assert problems_of(ImportBatch.objects.latest("pk")) == [
        (
            1,
            "",
            "Ce fichier contient des sites, pas des équipements : sa ligne d’en-tête nomme les colonnes des "
            "sites. Importez-le à nouveau en choisissant « sites ».",
        )
    ]


def test_a_header_fitting_no_kind_still_lists_its_columns(cast: Cast) -> None:
    data = csv_bytes(("member", "kind", "nom", "serial_number"), [("78646", "mairie", "X", "1")])
    batch = create_batch(operator=cast.operator, kind="sites", mode="create", file_name="f.csv", data=data)
    assert [(line, column) for line, column, _m in problems_of(batch)] == [
        (1, "serial_number"),
        (1, "commune"),
    ]


def problems_of(batch: ImportBatch) -> list[tuple[int, str, str]]:
    return [(e["line"], e["column"], e["message"]) for e in batch.report["errors"]]


def test_the_same_file_uploaded_again_links_to_its_earlier_import(
    cast: Cast, as_user: Callable[[User], Client]
) -> None:
    first = apply_batch(
        batch=create_batch(
            operator=cast.operator, kind="sites", mode="create", file_name="a.csv", data=SITES
        ),
        by=cast.adam,
    )
    # Another operator importing the very same bytes is none of this operator's business.
    create_batch(operator=cast.other_operator, kind="sites", mode="create", file_name="a.csv", data=SITES)
    adam = as_user(cast.adam)
    upload(adam, SITES)
    again = ImportBatch.objects.filter(operator=cast.operator).latest("pk")
    assert again.status == ImportStatus.INVALID  # its site exists now
    page = adam.get(f"/imports/{again.pk}/").content.decode()
    assert "Ce même fichier a déjà été importé, le " in page
    assert f'<a href="/imports/{first.pk}/">import n° {first.pk}</a>' in page
    # Not said of the first import itself, nor of a different file.
    assert "Ce même fichier" not in adam.get(f"/imports/{first.pk}/").content.decode()
    upload(adam, ASSETS, kind="assets")
    other = ImportBatch.objects.filter(operator=cast.operator).latest("pk")
    assert "Ce même fichier" not in adam.get(f"/imports/{other.pk}/").content.decode()


def test_an_import_sent_twice_says_it_was_imported_once(
    cast: Cast, as_user: Callable[[User], Client]
) -> None:
    batch = create_batch(operator=cast.operator, kind="sites", mode="create", file_name="a.csv", data=SITES)
    adam = as_user(cast.adam)
    first = adam.post(f"/imports/{batch.pk}/apply/", follow=True).content.decode()
    assert "Importé : 1 créé, 0 mis à jour, 0 inchangé." in first
    second = adam.post(f"/imports/{batch.pk}/apply/", follow=True).content.decode()
    assert "Ce fichier a déjà été importé ; il n’a pas été importé une seconde fois." in second
    assert "ne peut pas être appliqué" not in second
    assert Site.objects.filter(code="HDV").count() == 1


def test_the_upload_and_import_forms_say_they_are_working(
    cast: Cast, as_user: Callable[[User], Client]
) -> None:
    adam = as_user(cast.adam)
    form = adam.get("/imports/new/").content.decode()
    assert 'data-busy="Vérification du fichier… ' in form
    assert '<p role="status" data-busy-status></p>' in form
    assert "/static/registry/imports.js" in form
    batch = create_batch(operator=cast.operator, kind="sites", mode="create", file_name="a.csv", data=SITES)
    detail = adam.get(f"/imports/{batch.pk}/").content.decode()
    assert 'data-busy="Import en cours… ' in detail


def test_an_oversize_file_says_its_size_the_french_way(
    cast: Cast, as_user: Callable[[User], Client], settings
) -> None:  # type: ignore[no-untyped-def]
    settings.IMPORT_MAX_BYTES = 2 * 1_048_576
    response = upload(as_user(cast.adam), SITES * 24_000)
    assert "Le fichier fait 2,1 Mo ; les fichiers jusqu’à 2 Mo sont acceptés." in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_an_update_lists_what_it_changes_before_anything_is_written(
    cast: Cast, as_user: Callable[[User], Client]
) -> None:
    # An empty cell empties its field: before, the report said "To update: 1" and nothing
    # more, and a column of blank addresses wiped the recorded ones unseen.
    Site.objects.filter(pk=cast.site_a.pk).update(code="HDV", address="4 avenue de Paris", phone="")
    data = csv_bytes(
        (*SITE_HEADER, "adresse", "telephone"),
        [("78646", "mairie", cast.site_a.name, "HDV", "78000", "78646", "", "130978000")],
    )
    adam = as_user(cast.adam)
    adam.post(
        "/imports/new/",
        {
            "kind": "sites",
            "mode": "update",
            "file": SimpleUploadedFile("s.csv", data, content_type="text/csv"),
        },
    )
    batch = ImportBatch.objects.get()
    page = adam.get(f"/imports/{batch.pk}/").content.decode()
    assert '<h2 id="changes">Ce que l’import modifie</h2>' in page
    assert "1 ligne à mettre à jour, par ligne du fichier" in page
    assert "<li>adresse : « 4 avenue de Paris » → (vide)</li>" in page
    assert "<li>telephone : (vide) → « 0130978000 »</li>" in page
    # A preview: nothing is written before "Import now".
    assert Site.objects.get(pk=cast.site_a.pk).address == "4 avenue de Paris"
    # Another operator's admin does not reach the page.
    assert as_user(cast.oscar).get(f"/imports/{batch.pk}/").status_code == 404


def test_an_equipment_update_lists_the_site_and_status_it_changes(cast: Cast) -> None:
    Site.objects.filter(pk=cast.site_a.pk).update(code="HDV")
    annexe = Site.objects.create(
        member=cast.member_a, kind=cast.site_a.kind, name="Annexe", code="ANX", commune=cast.site_a.commune
    )
    Asset.objects.filter(pk=cast.asset_a.pk).update(status=AssetStatus.IN_SERVICE, serial_number="SN-1")
    data = csv_bytes(
        ("inventory_tag", "member", "site", "type", "statut", "serial_number"),
        [("A-0001", "78646", "ANX", cast.asset_a.asset_type.code, "en réparation", "")],
    )
    batch = create_batch(operator=cast.operator, kind="assets", mode="update", file_name="e.csv", data=data)
    assert batch.status == ImportStatus.READY
    (change,) = batch.report["changes"]
    assert (change["line"], change["key"]) == (2, "A-0001")
    assert change["fields"][0] == (
        f"site : « {cast.site_a.name} ({cast.member_a.name}) » → « {annexe.name} ({cast.member_a.name}) »"
    )
    assert change["fields"][1:] == [
        "serial_number : « SN-1 » → (vide)",
        "statut : « en service » → « en réparation »",
    ]
