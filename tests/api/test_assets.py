"""Assets: scoped lists and objects, filters, registration, changes, moves, life cycle."""

from __future__ import annotations

import datetime as dt

import pytest

from mutualis.people.roles import Role
from mutualis.registry import services
from mutualis.registry.models import Asset, AssetStatus, AssetStatusChange
from tests.factories import (
    AssetFactory,
    AssetModelFactory,
    AssetTypeFactory,
    MemberFactory,
    MembershipFactory,
    SiteFactory,
)

from .support import field_messages, ids, problem

pytestmark = pytest.mark.django_db


def _new_asset(cast, **overrides):
    return {
        "site": cast.site_a.pk,
        "asset_type": "tablette",
        "inventory_tag": "A-0002",
        "serial_number": "R52T90",
        "label": "Tablette du conseil",
        "acquired_on": "2025-03-01",
        "acquisition_cost": "289.00",
        **overrides,
    }


# Reading.


def test_lists_contain_exactly_the_scoped_assets(cast, api):
    other_operator_asset = AssetFactory(site=SiteFactory(member=MemberFactory(operator=cast.other_operator)))
    assert ids(api(cast.alice).get("assets/")) == [cast.asset_a.pk]
    assert ids(api(cast.bob).get("assets/")) == [cast.asset_a.pk]
    assert ids(api(cast.charlie).get("assets/")) == [cast.asset_b.pk]
    assert ids(api(cast.olivia).get("assets/")) == sorted([cast.asset_a.pk, cast.asset_b.pk])
    assert ids(api(cast.oscar).get("assets/")) == [other_operator_asset.pk]


def test_an_asset_shows_summaries_of_what_it_points_at(cast, api):
    model = AssetModelFactory(asset_type=cast.asset_a.asset_type)
    Asset.objects.filter(pk=cast.asset_a.pk).update(model=model)
    body = api(cast.alice).get(f"assets/{cast.asset_a.pk}/").json()
    assert body["asset_type"] == {"code": "tablette", "name": "Tablette"}
    assert body["model"] == {"id": model.pk, "manufacturer": "Lenovo", "name": "Tab M10"}
    assert body["site"] == {"id": cast.site_a.pk, "name": "Mairie de Versailles"}
    assert body["member"] == {"id": cast.member_a.pk, "name": cast.member_a.name}
    assert body["status"] == "in_service"
    assert body["acquisition_cost"] == "289.00"


def test_outsiders_get_the_404_of_a_missing_asset(cast, api):
    missing = problem(api(cast.alice).get("assets/999999/"), 404)
    for outsider in (cast.charlie, cast.oscar):
        assert problem(api(outsider).get(f"assets/{cast.asset_a.pk}/"), 404) == missing
        assert problem(api(outsider).get(f"assets/{cast.asset_a.pk}/history/"), 404) == missing


# Filters.


def test_filters(cast, api):
    camera = AssetFactory(
        site=cast.site_a,
        asset_type=AssetTypeFactory(code="camera", name="Caméra"),
        inventory_tag="A-CAM-1",
        serial_number="CAM123",
        status=AssetStatus.IN_REPAIR,
        acquired_on=dt.date(1999, 1, 1),
        warranty_ends_on=dt.date(2000, 1, 1),
    )
    Asset.objects.filter(pk__in=[cast.asset_a.pk, cast.asset_b.pk]).update(
        warranty_ends_on=dt.date(2999, 1, 1)
    )
    olivia = api(cast.olivia)
    assert ids(olivia.get("assets/", {"asset_type": "camera"})) == [camera.pk]
    assert ids(olivia.get("assets/", {"status": "in_repair"})) == [camera.pk]
    assert ids(olivia.get("assets/", {"site": cast.site_b.pk})) == [cast.asset_b.pk]
    assert ids(olivia.get("assets/", {"member": cast.member_a.pk})) == sorted([cast.asset_a.pk, camera.pk])
    assert ids(olivia.get("assets/", {"inventory_tag": "A-CAM-1"})) == [camera.pk]
    assert ids(olivia.get("assets/", {"serial_number": "CAM123"})) == [camera.pk]
    assert ids(olivia.get("assets/", {"warranty": "expired"})) == [camera.pk]
    assert ids(olivia.get("assets/", {"site_kind": "mairie"})) == sorted(
        [cast.asset_a.pk, cast.asset_b.pk, camera.pk]
    )
    assert ids(olivia.get("assets/", {"updated_since": "2199-01-01T00:00:00+01:00"})) == []


def test_an_unknown_status_names_the_allowed_ones(cast, api):
    body = problem(api(cast.olivia).get("assets/", {"status": "banana"}), 400)
    assert field_messages(body, "status") == [
        "“banana” is not allowed here; use one of: in_stock, in_service, in_repair, lost, retired."
    ]


def test_foreign_site_and_member_filters_read_like_unknown_ones(cast, api):
    alice = api(cast.alice)
    assert field_messages(problem(alice.get("assets/", {"site": cast.site_b.pk}), 400), "site") == [
        "No such site."
    ]
    assert field_messages(problem(alice.get("assets/", {"site": "x"}), 400), "site") == ["No such site."]
    assert field_messages(problem(alice.get("assets/", {"member": cast.member_b.pk}), 400), "member") == [
        "No such member."
    ]


# Registering.


def test_an_operator_admin_registers_an_asset_with_its_first_history_line(cast, api):
    response = api(cast.adam).post("assets/", _new_asset(cast, status="in_stock", note="Livrée"))
    assert response.status_code == 201, response.content
    asset = Asset.objects.get(pk=response.json()["id"])
    assert response["Location"].endswith(f"/api/v1/assets/{asset.pk}/")
    assert (asset.site, asset.status, asset.operator) == (cast.site_a, "in_stock", cast.operator)
    line = asset.status_changes.get()
    assert (line.from_status, line.to_status, line.note, line.changed_by) == (
        "",
        "in_stock",
        "Livrée",
        cast.adam,
    )


def test_a_technician_registers_assets(cast, api):
    technician = MembershipFactory(member=None, operator=cast.operator, role=Role.TECHNICIAN).user
    assert api(technician).post("assets/", _new_asset(cast)).status_code == 201


def test_a_duplicate_inventory_tag_is_refused_on_the_tag(cast, api):
    body = problem(api(cast.adam).post("assets/", _new_asset(cast, inventory_tag="B-0001")), 400)
    assert field_messages(body, "inventory_tag") == [
        "Inventory tag B-0001 is already used by an asset at Mairie de Nanterre."
    ]


def test_an_asset_cannot_be_registered_at_a_site_out_of_scope(cast, api):
    foreign_site = SiteFactory(member=MemberFactory(operator=cast.other_operator))
    body = problem(api(cast.adam).post("assets/", _new_asset(cast, site=foreign_site.pk)), 400)
    assert field_messages(body, "site") == ["No such site."]
    assert not Asset.objects.filter(inventory_tag="A-0002").exists()


@pytest.mark.parametrize(
    ("who", "can_write", "reason"),
    [
        ("alice", True, "Your role (member agent) does not allow registering assets."),
        ("bob", True, "Your role (elected official (read-only)) gives read-only access."),
        ("olivia", True, "Your role (service-desk agent) does not allow registering assets."),
        (
            "adam",
            False,
            "This API token is read-only; create a token that allows changes on your account page.",
        ),
    ],
)
def test_refused_registrations_say_why(cast, api, who, can_write, reason):
    body = problem(api(getattr(cast, who), can_write=can_write).post("assets/", _new_asset(cast)), 403)
    assert body["detail"] == reason
    assert not Asset.objects.filter(inventory_tag="A-0002").exists()


# Changing and moving.


def test_an_operator_admin_changes_an_asset(cast, api):
    response = api(cast.adam).patch(
        f"assets/{cast.asset_a.pk}/", {"label": "Tablette du maire", "notes": "Étui"}
    )
    assert response.status_code == 200, response.content
    cast.asset_a.refresh_from_db()
    assert (cast.asset_a.label, cast.asset_a.notes) == ("Tablette du maire", "Étui")


def test_patching_the_site_moves_the_asset(cast, api):
    response = api(cast.adam).patch(f"assets/{cast.asset_a.pk}/", {"site": cast.site_b.pk})
    assert response.status_code == 200, response.content
    assert response.json()["site"] == {"id": cast.site_b.pk, "name": "Mairie de Nanterre"}
    cast.asset_a.refresh_from_db()
    assert cast.asset_a.site == cast.site_b


def test_patching_the_status_points_to_the_status_endpoint(cast, api):
    body = problem(api(cast.adam).patch(f"assets/{cast.asset_a.pk}/", {"status": "lost"}), 400)
    assert field_messages(body, "status") == [
        "The status changes through POST /api/v1/assets/{id}/status/, which keeps the history."
    ]
    cast.asset_a.refresh_from_db()
    assert cast.asset_a.status == "in_service"


def test_a_change_is_checked_by_the_model(cast, api):
    body = problem(api(cast.adam).patch(f"assets/{cast.asset_a.pk}/", {"inventory_tag": "B-0001"}), 400)
    assert field_messages(body, "inventory_tag")
    body = problem(
        api(cast.adam).patch(f"assets/{cast.asset_a.pk}/", {"warranty_ends_on": "2020-01-01"}),
        400,
    )
    assert field_messages(body, "warranty_ends_on") == [
        "The warranty cannot end before the asset was acquired."
    ]


def test_outsiders_cannot_change_an_asset_they_cannot_see(cast, api):
    for outsider in (cast.charlie, cast.oscar):
        problem(api(outsider).patch(f"assets/{cast.asset_a.pk}/", {"label": "Pris"}), 404)
        problem(api(outsider).post(f"assets/{cast.asset_a.pk}/status/", {"status": "lost"}), 404)
    cast.asset_a.refresh_from_db()
    assert (cast.asset_a.label, cast.asset_a.status) == ("", "in_service")


def test_a_desk_agent_reads_but_does_not_change_assets(cast, api):
    olivia = api(cast.olivia)
    assert olivia.get(f"assets/{cast.asset_a.pk}/").status_code == 200
    body = problem(olivia.patch(f"assets/{cast.asset_a.pk}/", {"label": "Pris"}), 403)
    assert body["detail"] == "Your role (service-desk agent) does not allow changing assets."
    problem(olivia.post(f"assets/{cast.asset_a.pk}/status/", {"status": "lost"}), 403)


# The life cycle.


def test_the_status_endpoint_writes_history(cast, api):
    response = api(cast.adam).post(
        f"assets/{cast.asset_a.pk}/status/", {"status": "in_repair", "note": "Écran cassé"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "in_repair"
    line = AssetStatusChange.objects.filter(asset=cast.asset_a).latest("id")
    assert (line.from_status, line.to_status, line.note, line.changed_by) == (
        "in_service",
        "in_repair",
        "Écran cassé",
        cast.adam,
    )


@pytest.mark.parametrize(
    ("start", "target", "message"),
    [
        (
            "retired",
            "in_service",
            "An asset cannot go from retired to in service (allowed: none).",
        ),
        ("in_service", "in_service", "The asset is already in service."),
    ],
)
def test_an_illegal_transition_is_a_conflict_naming_the_status(cast, api, start, target, message):
    if start != "in_service":
        services.change_asset_status(asset=cast.asset_a, status=start)
    body = problem(api(cast.adam).post(f"assets/{cast.asset_a.pk}/status/", {"status": target}), 409)
    assert body["type"].endswith("/illegal-transition")
    assert body["detail"] == message
    assert field_messages(body, "status") == [message]
    assert Asset.objects.get(pk=cast.asset_a.pk).status == start


def test_an_unknown_status_is_a_bad_request(cast, api):
    body = problem(api(cast.adam).post(f"assets/{cast.asset_a.pk}/status/", {"status": "banana"}), 400)
    assert field_messages(body, "status")[0].startswith("“banana” is not allowed here")


def test_the_history_lists_the_latest_change_first(cast, api):
    services.change_asset_status(asset=cast.asset_a, status="in_repair", by=cast.adam, note="Écran")
    response = api(cast.alice).get(f"assets/{cast.asset_a.pk}/history/")
    assert response.status_code == 200
    lines = response.json()["results"]
    assert [(line["from_status"], line["to_status"]) for line in lines] == [
        ("in_service", "in_repair"),
        (None, "in_service"),
    ]
    assert (lines[0]["changed_by"], lines[0]["note"]) == (cast.adam.full_name, "Écran")


# Cost.


@pytest.mark.parametrize("rows", [3, 30])
def test_the_list_costs_the_same_for_3_and_30_assets(cast, api, django_assert_max_num_queries, rows):
    model = AssetModelFactory()
    for _ in range(rows - 1):
        AssetFactory(site=cast.site_a, model=model)
    olivia = api(cast.olivia)
    with django_assert_max_num_queries(3):
        response = olivia.get("assets/", {"limit": 100})
    assert len(response.json()["results"]) == rows + 1


@pytest.mark.parametrize("rows", [3, 30])
def test_the_history_costs_the_same_for_3_and_30_lines(cast, api, django_assert_max_num_queries, rows):
    statuses = ["in_repair", "in_service"]
    for index in range(rows - 1):
        services.change_asset_status(asset=cast.asset_a, status=statuses[index % 2], by=cast.adam)
    alice = api(cast.alice)
    # Token, last-used stamp, the asset, the page.
    with django_assert_max_num_queries(4):
        response = alice.get(f"assets/{cast.asset_a.pk}/history/", {"limit": 100})
    assert len(response.json()["results"]) == rows


def test_another_operators_admin_cannot_register_an_asset_at_our_site(cast, api):
    body = problem(api(cast.oscar).post("assets/", _new_asset(cast)), 400)
    assert field_messages(body, "site") == ["No such site."]
    assert not Asset.objects.filter(inventory_tag="A-0002").exists()


def test_a_read_only_token_changes_nothing(cast, api):
    read_only = api(cast.adam, can_write=False)
    assert read_only.get(f"assets/{cast.asset_a.pk}/").status_code == 200
    problem(read_only.patch(f"assets/{cast.asset_a.pk}/", {"label": "Pris"}), 403)
    problem(read_only.post(f"assets/{cast.asset_a.pk}/status/", {"status": "lost"}), 403)
    cast.asset_a.refresh_from_db()
    assert (cast.asset_a.label, cast.asset_a.status) == ("", "in_service")


@pytest.mark.parametrize(
    ("change", "day"), [("acquired_on", "0001-01-01"), ("warranty_ends_on", "9999-12-31")]
)
def test_a_day_outside_the_years_computed_with_is_refused_and_changes_nothing(cast, api, change, day):
    """Bought in year 1: the forecasts then aged the tablet 2025 years. Such a day is a
    typing slip, refused as the filters and forms refuse it; nothing is written."""
    adam = api(cast.adam)
    created = problem(adam.post("assets/", _new_asset(cast, **{change: day})), 400)
    assert [m.startswith("Enter a date between") for m in field_messages(created, change)] == [True]
    assert not Asset.objects.filter(inventory_tag="A-0002").exists()
    changed = problem(adam.patch(f"assets/{cast.asset_a.pk}/", {change: day}), 400)
    assert [m.startswith("Enter a date between") for m in field_messages(changed, change)] == [True]
    cast.asset_a.refresh_from_db()
    assert getattr(cast.asset_a, change) != dt.date.fromisoformat(day)
    # An outsider of the asset's member gets the 404 of a missing asset, writing nothing.
    assert api(cast.charlie).patch(f"assets/{cast.asset_a.pk}/", {change: day}).status_code == 404
