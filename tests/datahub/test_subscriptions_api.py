"""/ngsi-ld/v1/subscriptions: create, list, retrieve, update, delete (NGSI-LD 5.8, 6.10,
6.11), the validation errors as ProblemDetails, and tenancy."""

from __future__ import annotations

from typing import Any

import pytest

from mutualis.datahub.models import Subscription
from tests.datahub.conftest import Hub

from .test_subscriptions_support import DEFAULT, subscription_payload

pytestmark = pytest.mark.django_db

ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"


def problem(response: Any, status: int, error: str, *words: str) -> dict[str, Any]:
    assert response.status_code == status, response.content.decode()[:500]
    body = response.json()
    assert body["type"] == ERRORS + error
    assert body["status"] == status
    for word in words:
        assert word in body["detail"], body["detail"]
    return body


def test_create_then_retrieve(hub: Hub, ngsi: Any) -> None:
    alice = ngsi(hub.alice_rw)
    payload = subscription_payload(
        id="urn:ngsi-ld:Subscription:temperatures",
        subscriptionName="Températures",
        watchedAttributes=["temperature"],
        q="temperature>25",
        throttling=5,
        expiresAt="2099-01-01T00:00:00Z",
        notification={
            "endpoint": {
                "uri": "https://receiver.example/notify",
                "accept": "application/ld+json",
                "receiverInfo": [{"key": "X-Token", "value": "s3cret"}],
            },
            "attributes": ["temperature"],
            "format": "concise",
        },
    )
    response = alice.post("subscriptions", payload)
    assert response.status_code == 201, response.content.decode()
    assert response["Location"] == "/ngsi-ld/v1/subscriptions/urn:ngsi-ld:Subscription:temperatures"
    stored = Subscription.objects.get(tenant=hub.tenant_a)
    assert stored.watched_types == [DEFAULT + "Sensor"]
    assert stored.definition["watchedAttributes"] == [DEFAULT + "temperature"]
    assert (stored.throttling, stored.endpoint, stored.name) == (
        5,
        "https://receiver.example/notify",
        "Températures",
    )

    shown = alice.get("subscriptions/urn:ngsi-ld:Subscription:temperatures").json()
    assert shown["id"] == "urn:ngsi-ld:Subscription:temperatures"
    assert shown["type"] == "Subscription"
    assert shown["entities"] == [{"type": "Sensor"}]
    assert shown["watchedAttributes"] == ["temperature"]
    assert shown["notificationTrigger"] == ["attributeCreated", "attributeUpdated"]
    assert (shown["status"], shown["isActive"], shown["q"]) == ("active", True, "temperature>25")
    assert shown["expiresAt"] == "2099-01-01T00:00:00.000Z"
    notification = shown["notification"]
    assert notification["attributes"] == ["temperature"]
    assert notification["format"] == "concise"
    assert notification["endpoint"]["accept"] == "application/ld+json"
    assert (notification["timesSent"], notification["status"]) == (0, "ok")
    assert "lastNotification" not in notification


def test_the_id_is_generated_when_not_given(hub: Hub, ngsi: Any) -> None:
    response = ngsi(hub.alice_rw).post("subscriptions", subscription_payload())
    assert response.status_code == 201
    assert response["Location"].startswith("/ngsi-ld/v1/subscriptions/urn:ngsi-ld:Subscription:")
    assert Subscription.objects.get().subscription_id.startswith("urn:ngsi-ld:Subscription:")


def test_an_id_taken_in_the_tenant_is_already_exists_but_free_in_another(hub: Hub, ngsi: Any) -> None:
    payload = subscription_payload(id="urn:ngsi-ld:Subscription:1")
    assert ngsi(hub.alice_rw).post("subscriptions", payload).status_code == 201
    problem(
        ngsi(hub.alice_rw).post("subscriptions", payload), 409, "AlreadyExists", "urn:ngsi-ld:Subscription:1"
    )
    assert ngsi(hub.charlie_rw).post("subscriptions", payload).status_code == 201


@pytest.mark.parametrize(
    ("change", "status", "error", "words"),
    [
        ({"type": "Subscriptions"}, 400, "BadRequestData", ("type", "Subscription")),
        ({"id": "not a uri"}, 400, "BadRequestData", ("id", "URI")),
        ({"entities": None}, 400, "BadRequestData", ("entities",)),
        ({"entities": [{"id": "urn:ngsi-ld:Sensor:1"}]}, 400, "BadRequestData", ("entities[0].type",)),
        (
            {"entities": [{"type": "Sensor", "idPattern": "(["}]},
            400,
            "BadRequestData",
            ("idPattern", "regular"),
        ),
        ({"notification": {}}, 400, "BadRequestData", ("notification.endpoint.uri",)),
        ({"notification": {"endpoint": {"uri": "mqtt://broker/topic"}}}, 400, "BadRequestData", ("http",)),
        (
            {"notification": {"endpoint": {"uri": "http://x.example/", "accept": "text/csv"}}},
            400,
            "BadRequestData",
            ("accept",),
        ),
        (
            {"notification": {"endpoint": {"uri": "http://x.example/"}, "format": "xml"}},
            400,
            "BadRequestData",
            ("format",),
        ),
        (
            {
                "notification": {
                    "endpoint": {
                        "uri": "http://x.example/",
                        "receiverInfo": [{"key": "Bad Header", "value": "x"}],
                    }
                }
            },
            400,
            "BadRequestData",
            ("receiverInfo[0].key",),
        ),
        ({"q": "temperature>>"}, 400, "BadRequestData", ("q",)),
        (
            {"geoQ": {"geometry": "Point", "coordinates": [2.1, 48.8]}},
            400,
            "BadRequestData",
            ("geoQ.georel",),
        ),
        ({"throttling": -1}, 400, "BadRequestData", ("throttling",)),
        ({"expiresAt": "2001-01-01T00:00:00Z"}, 400, "BadRequestData", ("expiresAt", "future")),
        ({"notificationTrigger": ["entityMoved"]}, 400, "BadRequestData", ("entityMoved",)),
        ({"isActive": "yes"}, 400, "BadRequestData", ("isActive",)),
        ({"colour": "blue"}, 400, "BadRequestData", ("colour",)),
        ({"timeInterval": 60}, 422, "OperationNotSupported", ("timeInterval", "periodic")),
    ],
)
def test_invalid_subscriptions_are_refused_with_a_problem_naming_the_member(
    hub: Hub, ngsi: Any, change: dict[str, Any], status: int, error: str, words: tuple[str, ...]
) -> None:
    payload = {key: value for key, value in {**subscription_payload(), **change}.items() if value is not None}
    problem(ngsi(hub.alice_rw).post("subscriptions", payload), status, error, *words)
    assert not Subscription.objects.exists()


def test_entities_or_watched_attributes_is_required(hub: Hub, ngsi: Any) -> None:
    payload = subscription_payload()
    del payload["entities"]
    problem(
        ngsi(hub.alice_rw).post("subscriptions", payload),
        400,
        "BadRequestData",
        "entities",
        "watchedAttributes",
    )
    payload["watchedAttributes"] = ["temperature"]
    assert ngsi(hub.alice_rw).post("subscriptions", payload).status_code == 201


def test_a_read_only_token_cannot_subscribe(hub: Hub, ngsi: Any) -> None:
    assert ngsi(hub.bob_ro).post("subscriptions", subscription_payload()).status_code == 403
    assert not Subscription.objects.exists()


def test_terms_are_expanded_with_the_request_context_and_kept_for_notifications(hub: Hub, ngsi: Any) -> None:
    context = {"Sensor": "https://example.org/Sensor", "temperature": "https://example.org/temp"}
    payload = {**subscription_payload(watchedAttributes=["temperature"]), "@context": [context]}
    response = ngsi(hub.alice_rw).post("subscriptions", payload, content_type="application/ld+json")
    assert response.status_code == 201, response.content.decode()
    stored = Subscription.objects.get()
    assert stored.watched_types == ["https://example.org/Sensor"]
    assert stored.definition["watchedAttributes"] == ["https://example.org/temp"]
    assert stored.context == [context]
    # Without that @context, the same subscription shows the full IRIs.
    shown = ngsi(hub.alice_rw).get(f"subscriptions/{stored.subscription_id}").json()
    assert shown["watchedAttributes"] == ["https://example.org/temp"]


def test_list_paginates_and_counts(hub: Hub, ngsi: Any) -> None:
    alice = ngsi(hub.alice_rw)
    for n in range(3):
        alice.post("subscriptions", subscription_payload(id=f"urn:ngsi-ld:Subscription:{n}"))
    response = alice.get("subscriptions/", limit=2, offset=1, count="true")
    assert response.status_code == 200
    assert [s["id"] for s in response.json()] == ["urn:ngsi-ld:Subscription:1", "urn:ngsi-ld:Subscription:2"]
    assert response["NGSILD-Results-Count"] == "3"
    problem(alice.get("subscriptions", limit="many"), 400, "BadRequestData", "limit")
    problem(alice.get("subscriptions", limit=5000), 400, "BadRequestData", "limit", "1000")


def test_patch_merges_the_given_members(hub: Hub, ngsi: Any) -> None:
    alice = ngsi(hub.alice_rw)
    alice.post("subscriptions", subscription_payload(id="urn:ngsi-ld:Subscription:p", throttling=10))
    url = "subscriptions/urn:ngsi-ld:Subscription:p"
    assert alice.patch(url, {"isActive": False, "notification": {"format": "keyValues"}}).status_code == 204
    shown = alice.get(url).json()
    assert (shown["status"], shown["isActive"], shown["throttling"]) == ("paused", False, 10)
    assert shown["notification"]["format"] == "keyValues"
    assert shown["notification"]["endpoint"]["uri"] == "http://127.0.0.1:9/notify"
    # JSON merge patch (5.8.2): null removes an optional member, never a required one.
    assert alice.patch(url, {"isActive": True, "throttling": None}).status_code == 204
    shown = alice.get(url).json()
    assert (shown["status"], "throttling" in shown) == ("active", False)
    problem(
        alice.patch(url, {"notification": None}), 400, "BadRequestData", "notification", "cannot be removed"
    )
    problem(alice.patch(url, {"throttling": "often"}), 400, "BadRequestData", "throttling")
    problem(alice.patch(url, {"id": "urn:ngsi-ld:Subscription:other"}), 400, "BadRequestData", "id")


def test_delete_then_not_found(hub: Hub, ngsi: Any) -> None:
    alice = ngsi(hub.alice_rw)
    alice.post("subscriptions", subscription_payload(id="urn:ngsi-ld:Subscription:d"))
    assert alice.delete("subscriptions/urn:ngsi-ld:Subscription:d").status_code == 204
    problem(
        alice.get("subscriptions/urn:ngsi-ld:Subscription:d"),
        404,
        "ResourceNotFound",
        "urn:ngsi-ld:Subscription:d",
    )
    problem(alice.delete("subscriptions/urn:ngsi-ld:Subscription:d"), 404, "ResourceNotFound")


def test_the_outsider_cannot_list_see_change_or_delete_a_tenants_subscriptions(hub: Hub, ngsi: Any) -> None:
    ngsi(hub.alice_rw).post("subscriptions", subscription_payload(id="urn:ngsi-ld:Subscription:a"))
    charlie = ngsi(hub.charlie_rw)
    url = "subscriptions/urn:ngsi-ld:Subscription:a"
    assert charlie.get("subscriptions").json() == []
    problem(charlie.get(url), 404, "ResourceNotFound")
    problem(charlie.patch(url, {"isActive": False}), 404, "ResourceNotFound")
    problem(charlie.delete(url), 404, "ResourceNotFound")
    # Naming A's tenant does not help: it does not exist for charlie.
    problem(ngsi(hub.charlie_rw, tenant=hub.tenant_a.name).get(url), 404, "NonexistentTenant")
    assert Subscription.objects.get().is_active
    # The operator's admin sees it in A's tenant.
    assert ngsi(hub.adam_rw, tenant=hub.tenant_a.name).get(url).status_code == 200
