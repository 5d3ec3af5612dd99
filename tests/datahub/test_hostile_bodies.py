"""Hostile JSON on the broker's writes gets a 400 ProblemDetails and writes nothing (each
ended in a server error when the tenth session probed the writes, or when a later one sent
bytes that are no UTF-8 and numbers no double holds)."""

from __future__ import annotations

from typing import Any

import pytest

from mutualis.datahub.models import AttributeInstance, Entity, Subscription
from tests.datahub.conftest import Hub

from .test_subscriptions_bad_input import assert_problem
from .test_subscriptions_support import subscription_payload

pytestmark = pytest.mark.django_db

THING = "urn:ngsi-ld:Thing:hostile"


def _entity(attribute: str) -> str:
    return '{"id": "%s", "type": "Thing", "t": %s}' % (THING, attribute)  # noqa: UP031 (JSON text kept as sent)


@pytest.mark.parametrize(
    "attribute",
    [
        '{"type": [], "value": 1}',
        '{"type": {"a": 1}, "value": 1}',
        '{"type": "Property", "value": 1e400}',
        '{"type": "Property", "value": -1e400}',
        '{"type": "Property", "value": ' + "[" * 200 + "]" * 200 + "}",
        '{"type": "Property", "value": ' + '{"a":' * 200 + "1" + "}" * 200 + "}",
    ],
)
def test_entities_refuse_hostile_attributes(hub: Hub, ngsi: Any, attribute: str) -> None:
    admin = ngsi(hub.adam_rw)
    refused = admin.post("entities/", _entity(attribute))
    assert refused.status_code == 400, refused.content
    # Unreadable JSON (a number beyond a double) is an InvalidRequest, readable but wrong
    # content a BadRequestData (NGSI-LD 5.5.2).
    assert refused.json()["type"].rsplit("/", 1)[1] in ("InvalidRequest", "BadRequestData")
    batch = admin.post("entityOperations/upsert", "[" + _entity(attribute) + "]")
    assert batch.status_code in (207, 400), batch.content
    assert not Entity.objects.filter(entity_id=THING).exists()


@pytest.mark.parametrize("body", ["[" * 1000 + "]" * 1000, '{"a":' * 1000 + "1" + "}" * 1000])
@pytest.mark.parametrize(
    "path", ["entities/", "entityOperations/upsert", "entityOperations/delete", "jsonldContexts"]
)
def test_bodies_nested_a_thousand_deep_are_refused(hub: Hub, ngsi: Any, body: str, path: str) -> None:
    response = ngsi(hub.adam_rw).post(path, body)
    assert response.status_code == 400, (path, response.content[:200])


def test_a_value_whose_type_member_is_a_list_is_a_plain_value(hub: Hub, ngsi: Any) -> None:
    """Not a GeoJSON geometry (its type is no string): an ordinary object value, stored."""
    attribute = '{"type": "Property", "value": {"type": ["Point"], "coordinates": [1, 2]}}'
    assert ngsi(hub.adam_rw).post("entities/", _entity(attribute)).status_code == 201


def test_merging_a_deep_value_into_an_entity_is_refused_and_leaves_it(hub: Hub, ngsi: Any) -> None:
    admin = ngsi(hub.adam_rw)
    assert admin.post("entities/", _entity('{"type": "Property", "value": 1}')).status_code == 201
    deep = '{"t": {"type": "Property", "value": ' + "[" * 500 + "]" * 500 + "}}"
    assert_problem(
        admin.patch(f"entities/{THING}", deep, content_type="application/merge-patch+json"),
        400,
        "BadRequestData",
    )
    assert admin.get(f"entities/{THING}").json()["t"]["value"] == 1


def test_a_context_document_with_a_number_beyond_a_double_is_refused(hub: Hub, ngsi: Any) -> None:
    response = ngsi(hub.adam_rw).post(
        "jsonldContexts", '{"@context": {"x": 1e400}}', content_type="application/ld+json"
    )
    found = assert_problem(response, 400, "InvalidRequest")
    assert "1e400" in found["detail"]


def test_a_throttling_beyond_a_year_is_refused(hub: Hub, ngsi: Any) -> None:
    admin = ngsi(hub.adam_rw)
    for throttling in [1e30, 10**20, 365 * 24 * 3600 + 1]:
        body = {**subscription_payload(), "throttling": throttling}
        found = assert_problem(admin.post("subscriptions/", body), 400, "BadRequestData")
        assert "at most 31536000 seconds" in found["detail"]
    assert not Subscription.objects.exists()
    assert admin.post("subscriptions/", {**subscription_payload(), "throttling": 3600}).status_code == 201


LONG = "a" * 600


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (f'{{"id": "urn:ngsi-ld:Thing:{LONG}", "type": "Thing"}}', "id"),
        (f'{{"id": "{THING}", "type": "{LONG}"}}', "type"),
        (f'{{"id": "{THING}", "type": "Thing", "{LONG}": {{"type": "Property", "value": 1}}}}', "Attribute"),
        (
            f'{{"id": "{THING}", "type": "Thing", "t": {{"type": "Property", "value": 1, '
            f'"datasetId": "urn:ngsi-ld:Dataset:{LONG}"}}}}',
            "datasetId",
        ),
    ],
)
def test_identifiers_longer_than_the_hub_stores_are_refused_by_name(
    hub: Hub, ngsi: Any, body: str, named: str
) -> None:
    """Ids, type and attribute names, datasetIds over 512 characters: a 500 on PostgreSQL
    (its column refused the row) until they were checked."""
    admin = ngsi(hub.adam_rw)
    refused = admin.post("entities/", body)
    assert refused.status_code == 400, refused.content
    detail = refused.json()["detail"]
    assert named in detail
    assert "512" in detail
    batch = admin.post("entityOperations/upsert", f"[{body}]")
    assert batch.status_code in (207, 400), batch.content
    assert Entity.objects.count() == 0


def test_an_integer_beyond_a_double_is_kept_whole(hub: Hub, ngsi: Any) -> None:
    """JSON allows it; float() of it raised OverflowError (a 500). It stays in the entity and
    in the history's JSON, not in the history's number column."""
    huge = "9" * 309
    admin = ngsi(hub.adam_rw)
    created = admin.post("entities/", _entity('{"type": "Property", "value": %s}' % huge))  # noqa: UP031
    assert created.status_code == 201, created.content
    read = admin.get(f"entities/{THING}")
    assert read.status_code == 200
    assert read.json()["t"]["value"] == int(huge)
    history = AttributeInstance.objects.get()
    assert history.number is None
    assert history.value["value"] == int(huge)


SURROGATE_BYTES = b"\xed\xa0\x80"  # U+D800 written as UTF-8, which RFC 3629 §3 forbids


def test_the_utf8_bytes_of_a_lone_surrogate_are_no_utf8(hub: Hub, ngsi: Any) -> None:
    """json.loads decodes bytes with "surrogatepass": the string it made passed the check
    for the escape \\ud800, and the database refused it (a 500). Not UTF-8: refused."""
    body = b'{"id": "%s", "type": "Thing", "t": {"type": "Property", "value": "%s"}}' % (
        THING.encode(),
        SURROGATE_BYTES,
    )
    admin = ngsi(hub.adam_rw)
    for path, sent in [
        ("entities/", body),
        ("temporal/entities/", body),
        ("entityOperations/upsert", b"[%s]" % body),
    ]:
        assert_problem(admin.post(path, sent), 400, "InvalidRequest")
    assert not Entity.objects.filter(entity_id=THING).exists()


def test_a_reading_holding_the_bytes_of_a_lone_surrogate_is_not_json(hub: Hub, ngsi: Any) -> None:
    payload = b'[{"sensor": "%s", "observedAt": "2026-11-23T10:00:00Z", "values": {"t": "%s"}}]' % (
        THING.encode(),
        SURROGATE_BYTES,
    )
    response = ngsi(hub.alice_rw).post("/ingest/v1/observations", payload)
    assert response.status_code == 400, response.content
    assert [error["reason"] for error in response.json()["errors"]] == ["invalid_json"]
    assert not AttributeInstance.objects.exists()


def test_a_coordinate_beyond_a_double_is_refused(hub: Hub, ngsi: Any) -> None:
    """math.isfinite() of a 309-digit integer raised OverflowError: a 500 for an entity
    with such a location and for a geo-query naming it."""
    huge = "9" * 309
    body = (
        '{"id": "%s", "type": "Thing", "location": {"type": "GeoProperty", "value": '  # noqa: UP031
        '{"type": "Point", "coordinates": [%s, 48.8]}}}' % (THING, huge)
    )
    admin = ngsi(hub.adam_rw)
    assert "finite numbers" in assert_problem(admin.post("entities/", body), 400, "BadRequestData")["detail"]
    assert not Entity.objects.filter(entity_id=THING).exists()
    query = admin.get(
        "entities",
        type="Thing",
        georel="near;maxDistance==10",
        geometry="Point",
        coordinates=f"[{huge},48.8]",
    )
    assert "finite numbers" in assert_problem(query, 400, "BadRequestData")["detail"]
