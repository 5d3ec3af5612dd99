"""Importing sites: every bad cell reported, nothing half-imported, update mode, isolation."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.utils import translation

from mutualis.registry.imports import apply_batch, create_batch
from mutualis.registry.models import Commune, ImportBatch, ImportStatus, Site
from tests.conftest import Cast
from tests.factories import CommuneFactory, MemberFactory, SiteFactory

from .import_files import SITE_HEADER, check, csv_bytes, problems, reference_lists

pytestmark = pytest.mark.django_db

FULL_HEADER = (*SITE_HEADER, "address", "latitude", "longitude", "opening_hours", "phone")


@pytest.fixture(autouse=True)
def _setup(cast: Cast, settings, tmp_path) -> Iterator[None]:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    reference_lists()
    with translation.override("en"):
        yield


def import_sites(cast: Cast, data: bytes, mode: str = "create") -> ImportBatch:
    batch = create_batch(
        operator=cast.operator, kind="sites", mode=mode, file_name="sites.csv", data=data, by=cast.adam
    )
    if batch.status == ImportStatus.READY:
        batch = apply_batch(batch=batch, by=cast.adam)
    return batch


def test_a_clean_file_creates_every_site_with_its_details(cast: Cast) -> None:
    rows = [
        (
            "78646",
            "mairie",
            "Hôtel de ville",
            "HDV",
            "78000",
            "78646",
            "4 avenue de Paris",
            "48,8049",
            "2.1307",
            "Mo-Fr 08:30-17:30",
            "01 30 97 80 00",
        ),
        ("78646", "École", "École Les Petits-Bois", "", "", "78646", "", "", "", "", ""),
    ]
    batch = import_sites(cast, csv_bytes(FULL_HEADER, rows))
    assert batch.status == ImportStatus.APPLIED, batch.report["errors"]
    assert (batch.report["rows"], batch.report["to_create"]) == (2, 2)
    hdv = Site.objects.get(code="HDV")
    assert (hdv.member, hdv.kind.code, hdv.commune.code, hdv.postal_code) == (
        cast.member_a,
        "mairie",
        "78646",
        "78000",
    )
    assert (hdv.latitude, hdv.longitude) == (Decimal("48.804900"), Decimal("2.130700"))
    assert hdv.operator_id == cast.operator.pk
    assert hdv.opening_hours == "Mo-Fr 08:30-17:30"
    assert Site.objects.get(name="École Les Petits-Bois").kind.code == "ecole"


def test_members_are_found_by_siren_or_by_the_insee_code_of_their_territory(cast: Cast) -> None:
    cast.member_b.siren = "219200508"
    cast.member_b.save()
    departement = MemberFactory(operator=cast.operator, departement_member=True)
    rows = [
        ("219 200 508", "mairie", "Annexe", "ANX", "92000", "92050"),
        ("78", "mairie", "Archives départementales", "ARC", "", "78551"),
    ]
    report = check(cast.operator, "sites", csv_bytes(SITE_HEADER, rows))
    assert report.ok, problems(report)
    import_sites(cast, csv_bytes(SITE_HEADER, rows))
    assert Site.objects.get(code="ANX").member == cast.member_b
    assert Site.objects.get(code="ARC").member == departement


def test_an_epci_is_found_by_its_siren_and_covers_its_communes(cast: Cast) -> None:
    epci = MemberFactory(operator=cast.operator, epci_member=True)
    Commune.objects.filter(code="78551").update(epci=epci.epci)
    rows = [
        (epci.epci.code, "mairie", "Siège", "SIEGE", "", "78551"),
        (epci.epci.code, "mairie", "Ailleurs", "X", "", "78646"),
    ]
    report = check(cast.operator, "sites", csv_bytes(SITE_HEADER, rows))
    assert problems(report) == [
        (3, "commune", f"78646 (Versailles) is outside the territory of {epci.name}."),
    ]


def test_every_bad_cell_of_every_row_is_reported_and_nothing_is_imported(cast: Cast) -> None:
    Commune.objects.filter(code="78551").update(is_current=False)
    rows = [
        ("78646", "mairie", "Bonne ligne", "OK1", "78000", "78646", "", "", "", "", ""),
        ("12345", "Mairy", "", "R2", "780", "92050", "", "48.8", "", "Mo-Fr le matin", "call me"),
        ("78646", "mairie", "Loin", "R3", "92000", "92050", "", "91", "2.1", "", ""),
        ("78646", "mairie", "Ancienne commune", "R4", "", "78551", "x" * 251, "", "", "", ""),
        ("78646", "mairie", "Nulle part", "R5", "", "99999", "", "", "", "", ""),
    ]
    batch = import_sites(cast, csv_bytes(FULL_HEADER, rows))
    assert batch.status == ImportStatus.INVALID
    assert problems_of(batch) == [
        (3, "member", "No member of Opérateur numérique test has the SIREN or INSEE code “12345”."),
        (3, "kind", "Unknown kind of site “Mairy”. Did you mean “Mairie”?"),
        (3, "name", "This value is required; the cell is empty."),
        (3, "postal_code", "“780” is not a postal code: five digits, e.g. 78000."),
        (3, "longitude", "Give both latitude and longitude, or neither."),
        (
            3,
            "opening_hours",
            "“matin” is not understood in opening hours. For example: “lun-ven 8h30-12h, 13h30-17h; sam "
            "9h-12h”, or in OpenStreetMap syntax “Mo-Fr 08:30-12:00,13:30-17:00; Sa 09:00-12:00”.",
        ),
        (3, "phone", "“call me” is not a phone number: digits, spaces and + only."),
        (4, "commune", "92050 (Nanterre) is outside the territory of Versailles."),
        (4, "latitude", "91 is out of range: decimal degrees between -90 and 90."),
        (5, "address", "At most 250 characters; this one has 251."),
        (
            5,
            "commune",
            "78551 (Saint-Germain-en-Laye) no longer exists: it was merged into another commune; use the current "
            "commune's code.",
        ),
        (6, "commune", "No commune has the INSEE code “99999” in the territory reference."),
    ]
    assert not Site.objects.filter(code__in=["OK1", "R2", "R3", "R4", "R5"]).exists()


def test_a_postal_code_must_be_one_of_the_communes(cast: Cast) -> None:
    report = check(
        cast.operator, "sites", csv_bytes(SITE_HEADER, [("78646", "mairie", "Mairie", "M", "78100", "78646")])
    )
    assert problems(report) == [(2, "postal_code", "78100 is not a postal code of Versailles (78000).")]


def test_a_site_outside_its_members_territory_names_the_problem(cast: Cast) -> None:
    """The foundation issue's example: a Versailles site in Nanterre."""
    report = check(
        cast.operator, "sites", csv_bytes(SITE_HEADER, [("78646", "mairie", "Annexe", "A", "", "92050")])
    )
    assert [str(p) for p in report.problems] == [
        'line 2, column "commune": 92050 (Nanterre) is outside the territory of Versailles.'
    ]


def test_an_establishment_covers_its_parents_territory(cast: Cast) -> None:
    departement = MemberFactory(operator=cast.operator, departement_member=True)
    MemberFactory(
        operator=cast.operator,
        establishment=True,
        siren="287800016",
        parent=departement,
        commune=Commune.objects.get(code="78646"),
    )
    rows = [
        ("287800016", "mairie", "Caserne", "C1", "78100", "78551"),
        ("287800016", "mairie", "Caserne 2", "C2", "", "92050"),
    ]
    report = check(cast.operator, "sites", csv_bytes(SITE_HEADER, rows))
    assert problems(report) == [(3, "commune", "92050 (Nanterre) is outside the territory of Collège Test.")]


def test_a_reference_twice_in_the_file_is_reported_on_both_lines(cast: Cast) -> None:
    rows = [
        ("78646", "mairie", "A", "REF", "", "78646"),
        ("78646", "mairie", "B", "OTHER", "", "78646"),
        ("78646", "mairie", "C", "REF", "", "78646"),
    ]
    report = check(cast.operator, "sites", csv_bytes(SITE_HEADER, rows))
    assert problems(report) == [
        (2, "reference", "The reference REF of this member is also on line 4."),
        (4, "reference", "The reference REF of this member is also on line 2."),
    ]


def test_the_same_reference_for_two_members_is_fine(cast: Cast) -> None:
    rows = [("78646", "mairie", "A", "MAIRIE", "", "78646"), ("92050", "mairie", "B", "MAIRIE", "", "92050")]
    assert check(cast.operator, "sites", csv_bytes(SITE_HEADER, rows)).ok


def test_create_mode_refuses_a_recorded_reference_and_a_reimported_file(cast: Cast) -> None:
    SiteFactory(member=cast.member_a, code="HDV", name="Hôtel de ville")
    rows = [
        ("78646", "mairie", "Hôtel de ville", "HDV", "", "78646"),
        ("78646", "mairie", "Mairie de Versailles", "", "", "78646"),
    ]
    report = check(cast.operator, "sites", csv_bytes(SITE_HEADER, rows))
    assert problems(report) == [
        (
            2,
            "reference",
            "Versailles already has a site with the reference HDV (“Hôtel de ville”). To change existing sites, "
            "import the file in update mode.",
        ),
        (
            3,
            "name",
            "Versailles already has a site named “Mairie de Versailles” in this commune (was this file imported "
            "already?). Give the new site another name, or a reference.",
        ),
    ]


def test_update_mode_needs_the_reference_column_and_a_reference_on_every_row(cast: Cast) -> None:
    no_column = check(
        cast.operator,
        "sites",
        csv_bytes(SITE_HEADER[:3] + SITE_HEADER[4:], [("78646", "mairie", "A", "", "78646")]),
        "update",
    )
    assert problems(no_column) == [
        (1, "reference", "In update mode the column “reference” is required: it is how each site is found.")
    ]
    blank = check(
        cast.operator, "sites", csv_bytes(SITE_HEADER, [("78646", "mairie", "A", "", "", "78646")]), "update"
    )
    assert problems(blank) == [
        (2, "reference", "In update mode every row needs a reference: it is how the site is found.")
    ]


def test_update_mode_updates_matched_sites_creates_the_others_and_is_idempotent(cast: Cast) -> None:
    hdv = SiteFactory(
        member=cast.member_a, code="HDV", name="Mairie", phone="01 00 00 00 00", address="Ancienne adresse"
    )
    header = ("member", "reference", "kind", "name", "commune", "phone")
    rows = [
        ("78646", "HDV", "mairie", "Hôtel de ville", "78646", "01 30 97 80 00"),
        ("78646", "MED", "mairie", "Médiathèque", "78646", ""),
    ]
    data = csv_bytes(header, rows)
    first = import_sites(cast, data, mode="update")
    assert first.status == ImportStatus.APPLIED, first.report["errors"]
    assert (first.report["to_create"], first.report["to_update"], first.report["unchanged"]) == (1, 1, 0)
    hdv.refresh_from_db()
    assert (hdv.name, hdv.phone) == ("Hôtel de ville", "01 30 97 80 00")
    assert hdv.address == "Ancienne adresse"  # no address column: left as it was
    stamp = hdv.updated_at

    second = import_sites(cast, data, mode="update")
    assert (second.report["to_create"], second.report["to_update"], second.report["unchanged"]) == (0, 0, 2)
    hdv.refresh_from_db()
    assert hdv.updated_at == stamp
    assert Site.objects.filter(member=cast.member_a, code="MED").count() == 1


def test_an_import_never_reaches_another_operators_members(cast: Cast) -> None:
    versailles = Commune.objects.get(code="78646")
    theirs = MemberFactory(operator=cast.other_operator, commune=versailles, siren="217806462")
    SiteFactory(member=theirs, code="HDV", name="Leur mairie")
    rows = [("217806462", "mairie", "Hôtel de ville", "HDV", "", "78646")]
    report = check(cast.operator, "sites", csv_bytes(SITE_HEADER, rows), "update")
    assert problems(report) == [
        (2, "member", "No member of Opérateur numérique test has the SIREN or INSEE code “217806462”.")
    ]
    batch = import_sites(
        cast, csv_bytes(SITE_HEADER, [("78646", "mairie", "Hôtel de ville", "HDV", "", "78646")]), "update"
    )
    assert batch.report["to_create"] == 1
    assert Site.objects.get(member=theirs).name == "Leur mairie"
    assert Site.objects.get(member=cast.member_a, code="HDV").operator_id == cast.operator.pk


def test_apply_checks_again_and_refuses_what_became_wrong(cast: Cast) -> None:
    data = csv_bytes(
        SITE_HEADER,
        [
            ("78646", "mairie", "Hôtel de ville", "HDV", "", "78646"),
            ("78646", "mairie", "Salle", "SAL", "", "78646"),
        ],
    )
    batch = create_batch(
        operator=cast.operator, kind="sites", mode="create", file_name="s.csv", data=data, by=cast.adam
    )
    assert batch.status == ImportStatus.READY
    SiteFactory(member=cast.member_a, code="SAL", name="Salle des fêtes")  # someone else, meanwhile
    batch = apply_batch(batch=batch, by=cast.adam)
    assert batch.status == ImportStatus.INVALID
    assert [(e["line"], e["column"]) for e in batch.report["errors"]] == [(3, "reference")]
    assert not Site.objects.filter(code="HDV").exists()


def test_new_communes_of_the_territory_reference_are_checked_without_a_query_per_row(
    cast: Cast, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    for n in range(5):
        CommuneFactory(code=f"7890{n}", name=f"Commune {n}")
    departement = MemberFactory(operator=cast.operator, departement_member=True)
    rows = [("78", "mairie", f"Site {i}", f"S{i}", "", f"7890{i % 5}") for i in range(300)]
    with django_assert_max_num_queries(12):
        report = check(cast.operator, "sites", csv_bytes(SITE_HEADER, rows))
    assert report.ok, problems(report)[:3]
    assert report.to_create == 300
    assert departement.sites.count() == 0


def problems_of(batch: ImportBatch) -> list[tuple[int, str, str]]:
    return [(e["line"], e["column"], e["message"]) for e in batch.report["errors"]]
