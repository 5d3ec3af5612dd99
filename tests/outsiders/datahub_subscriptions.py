"""Outsider cases of the data hub (datahub_subscriptions): NGSI-LD subscriptions (5.8).

A subscription of member A's tenant; outsiders reach the API with their session (reads)
and land in their own tenant, where it does not exist. Writes need a token: the PATCH and
DELETE cases for charlie's token are in tests/datahub/test_subscriptions_api.py.
"""

from __future__ import annotations

from mutualis.datahub.models import Subscription
from mutualis.datahub.ngsild.context import core_context
from mutualis.datahub.subscriptions.services import create_subscription
from mutualis.datahub.tenancy import tenant_for_member
from tests.conftest import Cast

from . import Case, Check, Extra

SUBSCRIPTION_ID = "urn:ngsi-ld:Subscription:versailles-temperatures"
SECRET_ENDPOINT = "https://receiver.versailles.example/notify"


def _subscription(cast: Cast) -> int:
    subscription = create_subscription(
        tenant=tenant_for_member(cast.member_a),
        payload={
            "id": SUBSCRIPTION_ID,
            "type": "Subscription",
            "entities": [{"type": "Sensor"}],
            "notification": {"endpoint": {"uri": SECRET_ENDPOINT}},
        },
        ctx=core_context(),
    )
    return subscription.pk


OBJECTS: dict[str, Case] = {
    "ngsild:subscription-detail": Case(
        lambda c, x: f"/ngsi-ld/v1/subscriptions/{SUBSCRIPTION_ID}",
        ("charlie", "oscar"),
        secret=lambda c: SECRET_ENDPOINT,
    ),
}
LISTS: dict[str, Case] = {
    "ngsild:subscription-list": Case(
        lambda c, x: "/ngsi-ld/v1/subscriptions",
        ("charlie", "oscar"),
        (200,),
        secret=lambda c: SECRET_ENDPOINT,
    ),
}
NO_MEMBER_DATA: dict[str, str] = {}
EXTRA: Extra = {"subscription": _subscription}


def _subscription_unchanged(cast: Cast, extra: dict[str, int]) -> None:
    assert Subscription.objects.get(pk=extra["subscription"]).is_active


CHECKS: dict[str, Check] = {"ngsild:subscription-detail": _subscription_unchanged}
