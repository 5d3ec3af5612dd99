"""Moving equipment between members' sites: its parts never stay behind at the old member."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from mutualis.registry import services
from mutualis.registry.models import Asset
from tests.api.support import Api, field_messages, issue_token, problem
from tests.conftest import Cast
from tests.factories import AssetFactory

pytestmark = pytest.mark.django_db

STAYING = (
    "Parts of this equipment (A-CAM-1, A-CAM-2) would stay at sites of another member: "
    "detach them from it first."
)


def _recorder_with_two_cameras(cast: Cast) -> Asset:
    recorder = AssetFactory(site=cast.site_a, inventory_tag="A-REC")
    for tag in ("A-CAM-2", "A-CAM-1"):
        AssetFactory(site=cast.site_a, inventory_tag=tag, parent=recorder)
    return recorder


def test_equipment_whose_parts_stay_behind_is_not_moved_to_another_member(cast: Cast) -> None:
    recorder = _recorder_with_two_cameras(cast)
    with pytest.raises(ValidationError) as error:
        services.move_asset(asset=recorder, site=cast.site_b)
    # In the product's language: French.
    assert error.value.message_dict == {
        "site": [
            "Des éléments de cet équipement (A-CAM-1, A-CAM-2) resteraient sur des sites d’un autre "
            "adhérent : détachez-les d’abord de cet équipement."
        ]
    }
    recorder.refresh_from_db()
    assert recorder.site == cast.site_a


def test_a_move_within_the_member_keeps_the_parts(cast: Cast) -> None:
    recorder = _recorder_with_two_cameras(cast)
    annex = AssetFactory(site__member=cast.member_a).site
    services.move_asset(asset=recorder, site=annex)
    assert set(Asset.objects.filter(parent=recorder).values_list("inventory_tag", flat=True)) == {
        "A-CAM-1",
        "A-CAM-2",
    }


def test_the_api_refuses_the_move_on_the_site_and_writes_nothing(cast: Cast, client: Client) -> None:
    recorder = _recorder_with_two_cameras(cast)
    adam = Api(client, issue_token(cast.adam, can_write=True)[1])
    body = problem(adam.patch(f"assets/{recorder.pk}/", {"site": cast.site_b.pk, "label": "Déplacé"}), 400)
    assert field_messages(body, "site") == [STAYING]
    recorder.refresh_from_db()
    assert (recorder.site, recorder.label) == (cast.site_a, "")
    # Detached, the parts stay at member A and the recorder moves.
    for part in Asset.objects.filter(parent=recorder):
        assert adam.patch(f"assets/{part.pk}/", {"parent": None}).status_code == 200
    response = adam.patch(f"assets/{recorder.pk}/", {"site": cast.site_b.pk})
    assert response.status_code == 200, response.content
