"""Exports of the members, sites and equipment lists with a filter the list cannot use: no
file (a file of the whole list would pass for the filtered one), the page saying why,
nothing of the outsider; valid filters still export."""

from __future__ import annotations

import pytest

from mutualis.registry.models import Site
from tests.conftest import Cast
from tests.export_checks import csv_rows, refused_page, repeated_page
from tests.factories import AssetFactory, MemberFactory, SiteFactory
from tests.servicedesk.pages import in_english

pytestmark = pytest.mark.django_db


@pytest.fixture
def far_site(cast: Cast) -> Site:
    """A site of a member of another operator, with a piece of equipment."""
    site = SiteFactory(
        member=MemberFactory(operator=cast.other_operator, name="Commune lointaine"), name="Mairie lointaine"
    )
    AssetFactory(site=site, inventory_tag="FAR-0001")
    return site


@pytest.mark.parametrize("url", ["/sites/", "/equipment/"])
def test_staff_export_nothing_for_another_operators_member(
    cast: Cast, far_site: Site, as_user, url: str
) -> None:
    client = in_english(as_user, cast.olivia)
    for fmt in ("csv", "xlsx"):
        response = client.get(url, {"member": far_site.member_id, "export": fmt})
        refused_page(response, field="member", absent=["lointaine", "FAR-0001"])
    rows = csv_rows(client.get(url, {"member": cast.member_a.pk, "export": "csv"}))
    body = "\n".join(";".join(row) for row in rows[1:])
    assert "Versailles" in body
    assert "Nanterre" not in body


def test_an_export_with_any_invalid_filter_makes_no_file(cast: Cast, as_user) -> None:
    """Reference lists (départements, kinds of equipment) hold no one's data, but a value
    that does not exist is no filter either: the file would be the whole list."""
    client = in_english(as_user, cast.alice)
    refused_page(client.get("/members/", {"departement": 999_999, "export": "csv"}), field="departement")
    refused_page(client.get("/equipment/", {"asset_type": 999_999, "export": "csv"}), field="asset_type")
    refused_page(client.get("/sites/", {"active": "maybe", "export": "csv"}), field="active")
    rows = csv_rows(client.get("/equipment/", {"asset_type": cast.asset_a.asset_type_id, "export": "csv"}))
    assert [r[0] for r in rows[1:]] == ["A-0001"]


@pytest.mark.parametrize("url", ["/sites/", "/equipment/"])
def test_a_member_filter_is_no_filter_of_a_members_user(cast: Cast, as_user, url: str) -> None:
    """A member's users see their member's rows only and have no member filter: member B's
    id in the address is no filter of theirs, and their file holds their member's rows."""
    client = in_english(as_user, cast.alice)
    rows = csv_rows(client.get(url, {"member": cast.member_b.pk, "export": "csv"}))
    body = "\n".join(";".join(row) for row in rows[1:])
    assert "Versailles" in body
    assert "Nanterre" not in body
    assert "B-0001" not in body


@pytest.mark.parametrize(
    ("url", "name", "values", "label"),
    [
        ("/equipment/", "status", ["lost", "retired"], "Status"),
        ("/members/", "kind", ["commune", "epci"], "Kind"),
        ("/sites/", "member", None, "Member"),
    ],
)
def test_a_filter_given_twice_exports_nothing(
    cast: Cast, far_site: Site, as_user, url: str, name: str, values: list[str] | None, label: str
) -> None:
    """`?status=lost&status=retired` was read as the retired equipment alone: a file of it
    would pass for the lost and the retired."""
    client = in_english(as_user, cast.olivia)
    values = values or [str(cast.member_a.pk), str(cast.member_b.pk)]
    for fmt in ("csv", "xlsx"):
        page = repeated_page(client.get(url, {name: values, "export": fmt}), label=label)
        assert "lointaine" not in page  # another operator's
    assert csv_rows(client.get(url, {name: values[0], "export": "csv"}))[0]  # once: a file


def test_equipment_exported_with_a_status_given_once_is_of_that_status(cast: Cast, as_user) -> None:
    client = in_english(as_user, cast.alice)
    repeated_page(
        client.get("/equipment/", {"status": ["in_service", "lost"], "export": "csv"}), label="Status"
    )
    rows = csv_rows(client.get("/equipment/", {"status": cast.asset_a.status, "export": "csv"}))
    assert [r[0] for r in rows[1:]] == ["A-0001"]  # not member B's B-0001
