"""The asset life cycle and the registry verbs."""

import pytest
from django.core.exceptions import ValidationError

from mutualis.registry import services
from mutualis.registry.models import Asset, AssetStatus, AssetStatusChange
from mutualis.registry.models.assets import ASSET_TRANSITIONS
from tests.conftest import Cast
from tests.factories import AssetFactory, AssetModelFactory, AssetTypeFactory, SiteFactory, SiteKindFactory

pytestmark = pytest.mark.django_db


def test_every_status_has_declared_transitions() -> None:
    assert set(ASSET_TRANSITIONS) == set(AssetStatus.values)
    assert ASSET_TRANSITIONS[AssetStatus.RETIRED] == frozenset()


def test_status_change_records_history_with_who_and_why(cast: Cast) -> None:
    change = services.change_asset_status(
        asset=cast.asset_a, status="in_repair", by=cast.adam, note="Écran cassé"
    )
    cast.asset_a.refresh_from_db()
    assert cast.asset_a.status == "in_repair"
    assert change.from_status == "in_service"
    assert change.changed_by == cast.adam
    assert list(AssetStatusChange.objects.filter(asset=cast.asset_a).values_list("to_status", flat=True)) == [
        "in_repair",
        "in_service",
    ]


@pytest.mark.parametrize(
    ("start", "target"), [("retired", "in_service"), ("in_service", "in_service"), ("in_stock", "banana")]
)
def test_illegal_transitions_are_refused_and_write_nothing(cast: Cast, start: str, target: str) -> None:
    asset = AssetFactory(site=cast.site_a, status=start)
    before = AssetStatusChange.objects.count()
    with pytest.raises(services.IllegalTransition):
        services.change_asset_status(asset=asset, status=target)
    asset.refresh_from_db()
    assert asset.status == start
    assert AssetStatusChange.objects.count() == before


def test_register_asset_writes_its_first_history_line(cast: Cast) -> None:
    asset = services.register_asset(
        site=cast.site_a,
        asset_type=AssetTypeFactory(),
        inventory_tag=" TAB-1 ",
        by=cast.adam,
        status="in_stock",
    )
    assert asset.inventory_tag == "TAB-1"
    assert asset.operator_id == cast.operator.pk
    assert asset.status_changes.get().to_status == "in_stock"


def test_inventory_tag_is_unique_per_operator_not_globally(cast: Cast) -> None:
    asset_type = AssetTypeFactory()
    with pytest.raises(ValidationError) as error:
        services.register_asset(site=cast.site_b, asset_type=asset_type, inventory_tag="A-0001")
    assert "inventory_tag" in error.value.message_dict
    other = SiteFactory(member__operator=cast.other_operator)
    assert services.register_asset(site=other, asset_type=asset_type, inventory_tag="A-0001").pk


def test_model_must_match_the_asset_type(cast: Cast) -> None:
    camera = AssetTypeFactory(code="camera", name="Caméra")
    tablet_model = AssetModelFactory()
    with pytest.raises(ValidationError) as error:
        services.register_asset(
            site=cast.site_a, asset_type=camera, inventory_tag="CAM-1", model=tablet_model
        )
    assert "model" in error.value.message_dict


def test_parent_asset_must_belong_to_the_same_member_and_not_loop(cast: Cast) -> None:
    with pytest.raises(ValidationError):
        services.register_asset(
            site=cast.site_a, asset_type=AssetTypeFactory(), inventory_tag="CHILD", parent=cast.asset_b
        )
    child = services.register_asset(
        site=cast.site_a, asset_type=AssetTypeFactory(), inventory_tag="CHILD", parent=cast.asset_a
    )
    cast.asset_a.parent = child
    with pytest.raises(ValidationError):
        cast.asset_a.full_clean()


def test_site_outside_member_territory_is_refused(cast: Cast) -> None:
    with pytest.raises(ValidationError) as error:
        services.create_site(
            member=cast.member_a, kind=SiteKindFactory(), name="Annexe", commune=cast.member_b.commune
        )
    assert "Nanterre (92050) est hors du territoire de Versailles" in str(error.value)


def test_site_postal_code_must_be_one_of_the_commune(cast: Cast) -> None:
    with pytest.raises(ValidationError) as error:
        services.create_site(
            member=cast.member_a,
            kind=SiteKindFactory(),
            name="Annexe",
            commune=cast.member_a.commune,
            postal_code="75001",
        )
    assert "postal_code" in error.value.message_dict


def test_move_asset_to_another_operator_is_refused(cast: Cast) -> None:
    foreign = SiteFactory(member__operator=cast.other_operator)
    with pytest.raises(ValidationError):
        services.move_asset(asset=cast.asset_a, site=foreign)
    moved = services.move_asset(asset=cast.asset_a, site=cast.site_b)
    assert moved.site == cast.site_b


def test_a_change_does_not_undo_a_status_change_made_meanwhile(cast: Cast) -> None:
    """Two people at once: one puts the asset in repair while the other, who read it in
    service, changes its label. The status and its history stay in repair."""
    stale = Asset.objects.get(pk=cast.asset_a.pk)
    services.change_asset_status(asset=cast.asset_a, status=AssetStatus.IN_REPAIR, note="Écran cassé")
    services.update_asset(asset=stale, label="Tablette du maire")
    services.update_asset(asset=Asset.objects.get(pk=cast.asset_a.pk), site=cast.site_b, notes="Prêtée")
    cast.asset_a.refresh_from_db()
    assert (cast.asset_a.status, cast.asset_a.label, cast.asset_a.site, cast.asset_a.notes) == (
        AssetStatus.IN_REPAIR,
        "Tablette du maire",
        cast.site_b,
        "Prêtée",
    )
    assert cast.asset_a.status_changes.first().to_status == AssetStatus.IN_REPAIR
