"""Bad input on /subscriptions and /jsonldContexts: every answer is a ProblemDetails with
the right 4xx (NGSI-LD 5.5.2, RFC 9457), never a 500, whatever the query parameters, path
ids, headers or strings sent. Run on PostgreSQL too, which refuses NUL characters and
integers beyond 64 bits where SQLite does not."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.datahub.conftest import Hub

from .test_subscriptions_support import subscription_payload

pytestmark = pytest.mark.django_db

ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"
HUGE = "9" * 30  # beyond any database integer
LONG = "urn:ngsi-ld:x:" + "a" * 5000


def assert_problem(response: Any, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content.decode()[:300])
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["type"] == ERRORS + error, body
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    return dict(body)


SUBSCRIPTION_LIST_PARAMS = [
    ({"limit": "abc"}, 400, "BadRequestData"),
    ({"limit": "-1"}, 400, "BadRequestData"),
    ({"limit": "1001"}, 400, "BadRequestData"),
    ({"limit": "1.5"}, 400, "BadRequestData"),
    ({"limit": ""}, 400, "BadRequestData"),
    ({"limit": HUGE}, 400, "BadRequestData"),
    ({"limit": "1_0"}, 400, "BadRequestData"),
    ({"limit": "\u0663"}, 400, "BadRequestData"),  # an Arabic-Indic digit: int() reads it
    ({"limit": "\x00"}, 400, "BadRequestData"),
    ({"offset": "-1"}, 400, "BadRequestData"),
    ({"offset": "x"}, 400, "BadRequestData"),
    ({"offset": HUGE}, 400, "BadRequestData"),
    ({"offset": "9223372036854775808"}, 400, "BadRequestData"),
    ({"count": "yes"}, 400, "BadRequestData"),
    ({"count": "\x00"}, 400, "BadRequestData"),
]


@pytest.mark.parametrize(("params", "status", "error"), SUBSCRIPTION_LIST_PARAMS)
def test_subscription_list_parameters(
    hub: Hub, ngsi: Any, params: dict[str, str], status: int, error: str
) -> None:
    assert_problem(ngsi(hub.alice_rw).get("subscriptions", **params), status, error)


def test_the_largest_offset_allowed_answers_an_empty_page(hub: Hub, ngsi: Any) -> None:
    alice = ngsi(hub.alice_rw)
    assert alice.post("subscriptions", subscription_payload()).status_code == 201
    response = alice.get("subscriptions", offset=str(2**31 - 1), count="true")
    assert response.status_code == 200
    assert (response.json(), response["NGSILD-Results-Count"]) == ([], "1")


SUBSCRIPTION_IDS = ["urn:x:%00", LONG, "urn:x:%FF%FE", "%20", "urn:x:%0A"]


@pytest.mark.parametrize("subscription_id", SUBSCRIPTION_IDS)
@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_odd_subscription_ids_are_not_found(hub: Hub, ngsi: Any, method: str, subscription_id: str) -> None:
    alice = ngsi(hub.alice_rw)
    body = {"subscriptionName": "x"} if method == "PATCH" else None
    response = alice.request(method, f"subscriptions/{subscription_id}", body)
    assert_problem(response, 404, "ResourceNotFound")


STRING_MEMBERS = [
    {"id": "urn:ngsi-ld:Subscription:\u0000"},
    {"subscriptionName": "a\u0000b"},
    {"description": "\u0000"},
    {"entities": [{"type": "Sensor\u0000"}]},
    {"entities": [{"type": "Sensor", "idPattern": "x\u0000"}]},
    {"watchedAttributes": ["temperature\u0000"]},
    {"q": 'temperature=="\u0000"'},
    {"lang": "fr\u0000"},
    {"notification": {"endpoint": {"uri": "https://hooks.example.org/\u0000"}}},
    {"notification": {"endpoint": {"uri": "https://hooks.example.org:99999/n"}}},
    {"notification": {"endpoint": {"uri": "https://hooks.example.org/n"}, "attributes": ["\u0000"]}},
]


@pytest.mark.parametrize("members", STRING_MEMBERS, ids=lambda members: json.dumps(members)[:60])
def test_strings_a_database_cannot_store_are_bad_request_data(
    hub: Hub, ngsi: Any, members: dict[str, Any]
) -> None:
    payload = {**subscription_payload("https://hooks.example.org/n"), **members}
    assert_problem(ngsi(hub.alice_rw).post("subscriptions", payload), 400, "BadRequestData")


@pytest.mark.parametrize(
    ("headers", "status", "error"),
    [
        ({"NGSILD-Tenant": "\x00"}, 404, "NonexistentTenant"),
        ({"NGSILD-Tenant": "x" * 500}, 404, "NonexistentTenant"),
        ({"Authorization": "Bearer mut_\x00_secret"}, 401, "NotAuthorized"),
        ({"Authorization": "Bearer mut_" + "a" * 500 + "_secret"}, 401, "NotAuthorized"),
    ],
)
def test_odd_headers(hub: Hub, ngsi: Any, headers: dict[str, str], status: int, error: str) -> None:
    # The operator's admin: the caller whose tenant header is looked up in the database.
    staff = ngsi(hub.adam_rw)
    assert_problem(staff.get("subscriptions", headers=headers), status, error)


CONTEXT_PARAMS = [
    ("jsonldContexts", {"details": "maybe"}, 400, "BadRequestData"),
    ("jsonldContexts", {"details": "\x00"}, 400, "BadRequestData"),
    ("jsonldContexts", {"kind": "Nope"}, 400, "BadRequestData"),
    ("jsonldContexts", {"kind": "\x00"}, 400, "BadRequestData"),
    ("jsonldContexts/%00", {}, 404, "ResourceNotFound"),
    ("jsonldContexts/%00", {"details": "true"}, 404, "ResourceNotFound"),
    (f"jsonldContexts/{LONG}", {}, 404, "ResourceNotFound"),
    ("jsonldContexts/http://example.org/%00/context.jsonld", {}, 404, "ResourceNotFound"),
    ("jsonldContexts/a%0Ab", {}, 404, "ResourceNotFound"),
]


@pytest.mark.parametrize(("path", "params", "status", "error"), CONTEXT_PARAMS)
def test_context_parameters_and_ids(
    hub: Hub, ngsi: Any, path: str, params: dict[str, str], status: int, error: str
) -> None:
    assert_problem(ngsi(hub.alice_rw).get(path, **params), status, error)


@pytest.mark.parametrize("context_id", ["%00", LONG, "a%0Ab"])
def test_deleting_odd_context_ids(hub: Hub, ngsi: Any, context_id: str) -> None:
    assert_problem(ngsi(hub.adam_rw).delete(f"jsonldContexts/{context_id}"), 404, "ResourceNotFound")


@pytest.mark.parametrize(
    "document",
    [
        {"@context": {"temperature": "https://example.org/\u0000"}},
        {"@context": {"temp\u0000": "https://example.org/t"}},
        {"@context": {"temperature": "https://example.org/t"}, "note": "\u0000"},
    ],
)
def test_hosting_a_context_a_database_cannot_store(hub: Hub, ngsi: Any, document: dict[str, Any]) -> None:
    response = ngsi(hub.alice_rw).post("jsonldContexts", document, content_type="application/ld+json")
    assert_problem(response, 400, "BadRequestData")
