"""Notifications delivered over HTTP to a real receiver on 127.0.0.1 (NGSI-LD 5.3.1,
6.3.6), retried while it is down, and the expiry sweep."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from mutualis.datahub.models import Subscription
from mutualis.datahub.models.subscriptions import SubscriptionStatus
from mutualis.datahub.ngsild.context import core_context
from mutualis.datahub.subscriptions.delivery import expire_subscriptions
from mutualis.datahub.subscriptions.notify import NOTIFY_TASK, Change, entities_changed
from mutualis.datahub.subscriptions.services import create_subscription, delete_subscription
from mutualis.jobs import Job, JobState, run_pending
from tests.datahub.conftest import Hub

from .test_subscriptions_support import entity, free_port, receiving, subscription_payload


def subscribe(hub: Hub, uri: str, **members: Any) -> Subscription:
    return create_subscription(
        tenant=hub.tenant_a, payload=subscription_payload(uri, **members), ctx=core_context()
    )


def change(n: int = 1, temperature: float = 20.0) -> Change:
    e = entity(f"urn:ngsi-ld:Sensor:{n}", temperature=temperature)
    return Change(entity=e, previous=None, attributes=frozenset(e["attrs"]))


@pytest.mark.django_db
def test_the_receiver_gets_the_notification_with_its_headers(hub: Hub) -> None:
    with receiving() as receiver:
        subscription = subscribe(
            hub,
            receiver.url,
            notification={
                "endpoint": {"uri": receiver.url, "receiverInfo": [{"key": "X-Auth", "value": "k3y"}]},
                "format": "keyValues",
            },
        )
        entities_changed(hub.tenant_a, [change()], now=timezone.now())
        report = run_pending()
    assert report.done == 1
    (received,) = receiver.received
    assert received.path == "/notify"
    assert received.headers["Content-Type"] == "application/json"
    assert received.headers["X-Auth"] == "k3y"
    assert received.headers["NGSILD-Tenant"] == hub.tenant_a.name
    assert "Link" not in received.headers  # the core context only: nothing to link
    assert received.body["type"] == "Notification"
    assert received.body["subscriptionId"] == subscription.subscription_id
    assert received.body["data"] == [{"id": "urn:ngsi-ld:Sensor:1", "type": "Sensor", "temperature": 20.0}]
    subscription.refresh_from_db()
    assert subscription.times_sent == 1
    assert subscription.last_success is not None
    assert subscription.last_notification is not None
    assert subscription.last_failure is None


@pytest.mark.django_db
def test_json_ld_receivers_get_the_context_in_the_body(hub: Hub) -> None:
    with receiving() as receiver:
        subscribe(
            hub,
            receiver.url,
            notification={"endpoint": {"uri": receiver.url, "accept": "application/ld+json"}},
        )
        entities_changed(hub.tenant_a, [change()], now=timezone.now())
        run_pending()
    (received,) = receiver.received
    assert received.headers["Content-Type"] == "application/ld+json"
    assert received.body["@context"] == core_context().response_context()


@pytest.mark.django_db
def test_each_change_is_delivered_exactly_once(hub: Hub) -> None:
    with receiving() as receiver:
        subscription = subscribe(hub, receiver.url)
        for n in range(3):
            entities_changed(hub.tenant_a, [change(n)], now=timezone.now())
        run_pending()
        run_pending()  # nothing left to send twice
    assert sorted(r.body["data"][0]["id"] for r in receiver.received) == [
        f"urn:ngsi-ld:Sensor:{n}" for n in range(3)
    ]
    assert len({r.body["id"] for r in receiver.received}) == 3
    subscription.refresh_from_db()
    assert subscription.times_sent == 3


@pytest.mark.django_db
def test_a_deleted_subscriptions_queued_notifications_are_dropped(hub: Hub) -> None:
    with receiving() as receiver:
        subscription = subscribe(hub, receiver.url)
        entities_changed(hub.tenant_a, [change()], now=timezone.now())
        delete_subscription(tenant=hub.tenant_a, subscription_id=subscription.subscription_id)
        assert run_pending().done == 1
    assert receiver.received == []


@pytest.mark.django_db(transaction=True)
def test_a_receiver_down_loses_nothing_the_job_retries(hub: Hub) -> None:
    # No test transaction here: as in production, the failure is recorded for good.
    port = free_port()
    url = f"http://127.0.0.1:{port}/notify"
    subscription = subscribe(hub, url)
    entities_changed(hub.tenant_a, [change()], now=timezone.now())
    report = run_pending()
    assert (report.retried, report.done) == (1, 0)
    subscription.refresh_from_db()
    assert (subscription.times_sent, subscription.times_failed) == (0, 1)
    assert subscription.last_failure is not None
    assert url in subscription.last_failure_reason
    job = Job.objects.get(name=NOTIFY_TASK)
    assert (job.state, job.attempts) == (JobState.QUEUED, 1)

    with receiving(port) as receiver:
        receiver.status = 503  # up, but not ready: still a failure
        run_pending(now=timezone.now() + dt.timedelta(seconds=11))
        receiver.status = 200
        report = run_pending(now=timezone.now() + dt.timedelta(minutes=1))
    assert report.done >= 1
    assert len(receiver.received) == 2
    job.refresh_from_db()
    assert (job.state, job.attempts) == (JobState.DONE, 3)
    subscription.refresh_from_db()
    assert (subscription.times_sent, subscription.times_failed) == (1, 2)
    assert "HTTP 503" in subscription.last_failure_reason
    assert subscription.last_success is not None
    assert subscription.last_success > subscription.last_failure


@pytest.mark.django_db
def test_the_sweep_marks_expired_subscriptions(hub: Hub) -> None:
    soon = subscribe(
        hub, "http://127.0.0.1:9/n", expiresAt=(timezone.now() + dt.timedelta(minutes=5)).isoformat()
    )
    later = subscribe(hub, "http://127.0.0.1:9/n", expiresAt="2099-01-01T00:00:00Z")
    Subscription.objects.filter(pk=soon.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert expire_subscriptions() == 1
    soon.refresh_from_db()
    later.refresh_from_db()
    assert (soon.status, later.status) == (SubscriptionStatus.EXPIRED, SubscriptionStatus.ACTIVE)


@pytest.mark.django_db
def test_end_to_end_subscribe_then_create_and_update_an_entity_over_http(hub: Hub, ngsi: Any) -> None:
    alice = ngsi(hub.alice_rw)
    context = {"Sensor": "https://example.org/Sensor", "temperature": "https://example.org/temperature"}
    with receiving() as receiver:
        payload = {
            **subscription_payload(receiver.url, watchedAttributes=["temperature"]),
            "notification": {"endpoint": {"uri": receiver.url}, "format": "keyValues"},
            "@context": [context],
        }
        assert alice.post("subscriptions", payload, content_type="application/ld+json").status_code == 201
        sensor = {
            "id": "urn:ngsi-ld:Sensor:e2e",
            "type": "Sensor",
            "temperature": {"type": "Property", "value": 19},
        }
        response = alice.post(
            "entities", {**sensor, "@context": [context]}, content_type="application/ld+json"
        )
        assert response.status_code == 201, response.content.decode()
        response = alice.post(
            "entities/urn:ngsi-ld:Sensor:e2e/attrs",
            {"temperature": {"type": "Property", "value": 23}, "@context": [context]},
            content_type="application/ld+json",
        )
        assert response.status_code == 204, response.content.decode()
        # Another tenant's entity of the same type notifies nobody here.
        charlie = ngsi(hub.charlie_rw)
        charlie.post("entities", {**sensor, "@context": [context]}, content_type="application/ld+json")
        assert run_pending().done == 2
    # Compacted with the subscription's @context: the terms come back as the subscriber wrote them.
    assert [r.body["data"] for r in receiver.received] == [
        [{"id": "urn:ngsi-ld:Sensor:e2e", "type": "Sensor", "temperature": 19}],
        [{"id": "urn:ngsi-ld:Sensor:e2e", "type": "Sensor", "temperature": 23}],
    ]
    assert all("context" in r.headers["Link"] for r in receiver.received)
    shown = alice.get("subscriptions", headers={"Link": receiver.received[0].headers["Link"]}).json()
    assert shown[0]["notification"]["timesSent"] == 2
    assert "lastSuccess" in shown[0]["notification"]
