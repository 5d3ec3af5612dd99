"""The plan of counts, checked without a database against the operator's figures."""

from __future__ import annotations

import pytest

from mutualis.demo.catalogue import ASSET_TYPES, SITE_KINDS
from mutualis.demo.plan import MAX_SCALE, SCHOOLS_PER_TOWN, USERS, apportion, demo_plan


def test_full_scale_has_the_operators_figures():
    plan = demo_plan(1.0)
    assets = plan.asset_counts()

    assert plan.colleges == 116
    assert 23_500 <= assets["tablette"] <= 24_500
    assert assets["camera"] == 1_900
    assert 95 <= plan.camera_buildings <= 105
    assert assets["enregistreur"] == plan.camera_buildings + plan.voirie_sites
    assert plan.supervised_buildings == assets["centrale-alarme"] == 55
    assert plan.telemedicine_devices == 51
    assert assets["audiovisuel"] == plan.university_rooms == 60
    assert assets["videoprojecteur"] == 116 * 25
    assert len(plan.schools_per_town) == 10
    assert all(10 <= count <= 30 for count in plan.schools_per_town)
    assert (plan.irve_pilot_communes, plan.rural_charger_communes, plan.video_pilot_communes) == (7, 12, 12)
    assert plan.fire_stations == 55
    assert 36_000 <= plan.total_assets <= 38_500


def test_full_scale_has_about_800_users_and_70_staff():
    plan = demo_plan(1.0)
    staff = sum(plan.users[role] for role in ("operator_admin", "supervisor", "desk_agent", "technician"))

    assert 780 <= plan.total_users <= 820
    assert staff == 70
    assert plan.users["technician"] == 35
    assert 3 <= plan.users["operator_admin"] <= 4
    # Every collège has its principal and its manager.
    assert plan.users["college_principal"] == plan.users["college_manager"] == plan.colleges


def test_small_scale_keeps_every_kind_present():
    plan = demo_plan(0.02)

    assert set(plan.site_counts()) == {code for code, _name in SITE_KINDS}
    assert set(plan.asset_counts()) == {spec.code for spec in ASSET_TYPES}
    assert min(plan.site_counts().values()) >= 1
    assert min(plan.asset_counts().values()) >= 1
    assert set(plan.users) == set(USERS)
    assert min(plan.users.values()) >= 1
    assert plan.total_assets < 1_500
    # The Versailles school contact needs three schools of Versailles.
    assert plan.schools_per_town[0] >= 3


def test_counts_grow_with_the_scale():
    small, full, double = demo_plan(0.5), demo_plan(1.0), demo_plan(2.0)

    assert small.total_assets < full.total_assets < double.total_assets
    assert small.total_users < full.total_users < double.total_users
    assert len(double.schools_per_town) == 2 * len(SCHOOLS_PER_TOWN)


@pytest.mark.parametrize("scale", [0, -1, MAX_SCALE + 0.1])
def test_scale_out_of_bounds_is_refused(scale):
    with pytest.raises(ValueError, match="scale"):
        demo_plan(scale)


def test_apportion_adds_up_and_follows_weights():
    parts = apportion(1_900, [1.0, 2.0, 3.0, 0.5])

    assert sum(parts) == 1_900
    assert parts[2] > parts[1] > parts[0] > parts[3]
    assert apportion(2, [2, 1]) == [1, 1]
    assert apportion(0, [1, 1]) == [0, 0]
    assert apportion(5, []) == []
