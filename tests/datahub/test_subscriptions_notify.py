"""Which changes notify which subscriptions, and what the queued notification says
(NGSI-LD 5.8.1, 5.3.1), driven through `entities_changed` with internal-form entities."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mutualis.datahub.models import Subscription, Tenant
from mutualis.datahub.ngsild.context import core_context
from mutualis.datahub.subscriptions.notify import NOTIFY_TASK, Change, entities_changed
from mutualis.datahub.subscriptions.services import create_subscription, update_subscription
from mutualis.jobs import Job
from tests.datahub.conftest import Hub

from .test_subscriptions_support import DEFAULT, entity, subscription_payload

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def subscribe(tenant: Tenant, **members: Any) -> Subscription:
    return create_subscription(
        tenant=tenant, payload=subscription_payload(**members), ctx=core_context(), now=NOW
    )


def created(e: dict[str, Any]) -> Change:
    return Change(entity=e, previous=None, attributes=frozenset(e["attrs"]))


def updated(before: dict[str, Any], after: dict[str, Any], *names: str) -> Change:
    return Change(entity=after, previous=before, attributes=frozenset(DEFAULT + n for n in names))


def deleted(e: dict[str, Any]) -> Change:
    return Change(entity=None, previous=e, attributes=frozenset(e["attrs"]))


def notifications() -> list[dict[str, Any]]:
    return [job.kwargs["notification"] for job in Job.objects.filter(name=NOTIFY_TASK).order_by("pk")]


def notified_ids() -> list[list[str]]:
    return [[e["id"] for e in n["data"]] for n in notifications()]


def test_a_tenant_without_subscriptions_or_rules_costs_two_queries(hub: Hub) -> None:
    """Whatever the batch's size: the operator's alert rules, the tenant's subscriptions."""
    with CaptureQueriesContext(connection) as queries:
        changes = [created(entity(temperature=20 + n)) for n in range(50)]
        assert entities_changed(hub.tenant_a, changes, now=NOW) == 0
    assert len(queries) == 2


def test_an_entity_of_the_watched_type_is_notified_in_the_subscription_format(hub: Hub) -> None:
    subscription = subscribe(
        hub.tenant_a, notification={"endpoint": {"uri": "http://127.0.0.1:9/n"}, "format": "keyValues"}
    )
    assert entities_changed(hub.tenant_a, [created(entity(temperature=20.5))], now=NOW) == 1
    (notification,) = notifications()
    assert notification["type"] == "Notification"
    assert notification["id"].startswith("urn:ngsi-ld:Notification:")
    assert notification["subscriptionId"] == subscription.subscription_id
    assert notification["notifiedAt"] == "2026-11-23T10:00:00.000Z"
    assert notification["data"] == [{"id": "urn:ngsi-ld:Sensor:1", "type": "Sensor", "temperature": 20.5}]
    job = Job.objects.get(name=NOTIFY_TASK)
    assert job.operator_id == hub.cast.operator.pk
    assert job.kwargs["subscription_pk"] == subscription.pk


def test_selectors_by_type_id_and_id_pattern(hub: Hub) -> None:
    subscribe(hub.tenant_a, entities=[{"type": "Sensor", "id": "urn:ngsi-ld:Sensor:2"}])
    subscribe(hub.tenant_a, entities=[{"type": "Sensor", "idPattern": "urn:ngsi-ld:Sensor:1[0-9]"}])
    subscribe(hub.tenant_a, entities=[{"type": "Streetlight,Camera"}])
    changes = [
        created(entity("urn:ngsi-ld:Sensor:1", temperature=1)),  # matches none: id, pattern, type
        created(entity("urn:ngsi-ld:Sensor:2", temperature=1)),
        created(entity("urn:ngsi-ld:Sensor:12", temperature=1)),
        created(entity("urn:ngsi-ld:Camera:1", type_="Camera", temperature=1)),
        created(entity("urn:ngsi-ld:Sensor:12x", temperature=1)),  # idPattern matches whole ids
    ]
    assert entities_changed(hub.tenant_a, changes, now=NOW) == 3
    assert notified_ids() == [["urn:ngsi-ld:Sensor:2"], ["urn:ngsi-ld:Sensor:12"], ["urn:ngsi-ld:Camera:1"]]


def test_watched_attributes_only_changes_of_those_attributes_notify(hub: Hub) -> None:
    subscribe(hub.tenant_a, entities=None, watchedAttributes=["temperature"])
    before = entity(temperature=20, humidity=40)
    after = entity(temperature=20, humidity=45)
    assert entities_changed(hub.tenant_a, [updated(before, after, "humidity")], now=NOW) == 0
    hotter = entity("urn:ngsi-ld:Other:1", type_="Other", temperature=21, humidity=45)
    assert entities_changed(hub.tenant_a, [updated(after, hotter, "temperature")], now=NOW) == 1
    assert notified_ids() == [["urn:ngsi-ld:Other:1"]]


def test_triggers_default_to_attribute_created_and_updated(hub: Hub) -> None:
    subscribe(hub.tenant_a)
    e = entity(temperature=20)
    later = entity(temperature=21)
    emptied = {**later, "attrs": {}}
    assert entities_changed(hub.tenant_a, [created(e)], now=NOW) == 1
    assert entities_changed(hub.tenant_a, [updated(e, later, "temperature")], now=NOW) == 1
    # Neither an attribute's deletion nor the entity's is in the default triggers.
    assert entities_changed(hub.tenant_a, [updated(later, emptied, "temperature")], now=NOW) == 0
    assert entities_changed(hub.tenant_a, [deleted(later)], now=NOW) == 0


def test_explicit_triggers_select_the_kinds_of_change(hub: Hub) -> None:
    subscribe(hub.tenant_a, notificationTrigger=["entityDeleted", "attributeDeleted"])
    e = entity(temperature=20, humidity=40)
    without_humidity = entity(temperature=20)
    assert entities_changed(hub.tenant_a, [created(e)], now=NOW) == 0
    assert (
        entities_changed(
            hub.tenant_a, [updated(e, entity(temperature=21, humidity=40), "temperature")], now=NOW
        )
        == 0
    )
    assert entities_changed(hub.tenant_a, [updated(e, without_humidity, "humidity")], now=NOW) == 1
    assert entities_changed(hub.tenant_a, [deleted(without_humidity)], now=NOW) == 1
    # A deleted entity is shown by its id and type, with when it went.
    assert notifications()[-1]["data"] == [
        {"id": "urn:ngsi-ld:Sensor:1", "type": "Sensor", "deletedAt": "2026-11-23T10:00:00.000Z"}
    ]


def test_q_and_scope_q_are_tested_on_the_new_state(hub: Hub) -> None:
    subscribe(hub.tenant_a, q="temperature>25")
    subscribe(hub.tenant_a, scopeQ="/Versailles/#")
    cool = entity(temperature=20)
    hot = entity(temperature=30)
    assert entities_changed(hub.tenant_a, [updated(cool, hot, "temperature")], now=NOW) == 1
    assert entities_changed(hub.tenant_a, [updated(hot, cool, "temperature")], now=NOW) == 0
    scoped = {**cool, "scope": ["/Versailles/Eclairage"]}
    assert entities_changed(hub.tenant_a, [updated(cool, scoped, "temperature")], now=NOW) == 1


def test_geo_q_is_tested_on_the_entity_location(hub: Hub) -> None:
    subscribe(
        hub.tenant_a,
        geoQ={
            "geometry": "Polygon",
            "coordinates": [[[2.0, 48.7], [2.2, 48.7], [2.2, 48.9], [2.0, 48.9], [2.0, 48.7]]],
            "georel": "within",
        },
    )

    def located(lon: float, lat: float) -> dict[str, Any]:
        e = entity(temperature=20)
        e["attrs"]["https://uri.etsi.org/ngsi-ld/location"] = [
            {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [lon, lat]}}
        ]
        return e

    assert entities_changed(hub.tenant_a, [created(located(2.13, 48.80))], now=NOW) == 1
    assert entities_changed(hub.tenant_a, [created(located(5.0, 45.0))], now=NOW) == 0


def test_notification_attributes_filter_what_is_shown(hub: Hub) -> None:
    subscribe(
        hub.tenant_a,
        notification={
            "endpoint": {"uri": "http://127.0.0.1:9/n"},
            "attributes": ["humidity"],
            "format": "keyValues",
        },
    )
    entities_changed(hub.tenant_a, [created(entity(temperature=20, humidity=40))], now=NOW)
    assert notifications()[0]["data"] == [{"id": "urn:ngsi-ld:Sensor:1", "type": "Sensor", "humidity": 40}]


def test_several_changes_in_one_call_make_one_notification_per_subscription(hub: Hub) -> None:
    subscribe(hub.tenant_a)
    subscribe(hub.tenant_a, watchedAttributes=["humidity"])
    first = entity("urn:ngsi-ld:Sensor:1", temperature=20)
    second = entity("urn:ngsi-ld:Sensor:2", temperature=20, humidity=40)
    again = entity("urn:ngsi-ld:Sensor:1", temperature=22)
    changes = [created(first), created(second), updated(first, again, "temperature")]
    assert entities_changed(hub.tenant_a, changes, now=NOW) == 2
    # The entity changed twice appears once, as the call left it.
    assert notified_ids() == [["urn:ngsi-ld:Sensor:2", "urn:ngsi-ld:Sensor:1"], ["urn:ngsi-ld:Sensor:2"]]
    assert notifications()[0]["data"][1]["temperature"]["value"] == 22


def test_throttling_withholds_notifications_within_the_window(hub: Hub) -> None:
    subscription = subscribe(hub.tenant_a, throttling=60)
    change = created(entity(temperature=20))
    assert entities_changed(hub.tenant_a, [change], now=NOW) == 1
    assert entities_changed(hub.tenant_a, [change], now=NOW + timedelta(seconds=59)) == 0
    subscription.refresh_from_db()
    assert subscription.last_notification == NOW
    assert entities_changed(hub.tenant_a, [change], now=NOW + timedelta(seconds=60)) == 1
    assert len(notifications()) == 2


def test_paused_and_expired_subscriptions_are_not_notified(hub: Hub) -> None:
    paused = subscribe(hub.tenant_a)
    update_subscription(
        tenant=hub.tenant_a,
        subscription_id=paused.subscription_id,
        payload={"isActive": False},
        ctx=core_context(),
        now=NOW,
    )
    subscribe(hub.tenant_a, expiresAt="2026-11-23T11:00:00Z")
    change = created(entity(temperature=20))
    assert entities_changed(hub.tenant_a, [change], now=NOW) == 1  # the expiring one, still on time
    assert entities_changed(hub.tenant_a, [change], now=NOW + timedelta(hours=2)) == 0


def test_a_tenants_changes_never_notify_another_tenants_subscriptions(hub: Hub) -> None:
    subscribe(hub.tenant_b)
    subscribe(hub.shared)
    assert entities_changed(hub.tenant_a, [created(entity(temperature=20))], now=NOW) == 0
    assert not Job.objects.filter(name=NOTIFY_TASK).exists()
