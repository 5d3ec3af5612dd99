"""NGSI-LD errors are application/json (6.3.5); a client whose Accept names only
application/problem+json (RFC 9457) is told of its request's errors in that type, a read
that goes well is a 406, and a write is refused before anything is written."""

from __future__ import annotations

from typing import Any

import pytest

from mutualis.datahub.models import Entity
from tests.datahub.conftest import Hub

pytestmark = pytest.mark.django_db

A_ID = "urn:ngsi-ld:Streetlight:A1"
ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"
PROBLEMS_ONLY = {"Accept": "application/problem+json"}


def light(entity_id: str = A_ID) -> dict[str, Any]:
    return {"id": entity_id, "type": "Streetlight", "status": {"type": "Property", "value": "ok"}}


def error(response: Any, status: int, error_type: str, media_type: str = "application/problem+json") -> str:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == media_type
    body = response.json()
    assert body["type"] == ERRORS + error_type
    assert body["status"] == status
    detail: str = body["detail"]
    return detail


@pytest.fixture
def a_entity(hub: Hub, ngsi) -> None:  # type: ignore[no-untyped-def]
    assert ngsi(hub.alice_rw).post("entities", light()).status_code == 201


def test_a_read_that_goes_well_is_a_406(hub: Hub, ngsi, a_entity: None) -> None:  # type: ignore[no-untyped-def]
    alice = ngsi(hub.alice_rw)
    for path, params in ((f"entities/{A_ID}", {}), ("entities", {"type": "Streetlight"})):
        detail = error(alice.get(path, headers=PROBLEMS_ONLY, **params), 406, "InvalidRequest")
        assert "application/ld+json" in detail
    # A read sent as a POST (6.23.3) is a read: answered the same.
    query = {"type": "Query", "entities": [{"type": "Streetlight"}]}
    error(alice.post("entityOperations/query", query, headers=PROBLEMS_ONLY), 406, "InvalidRequest")


def test_the_errors_of_a_request_are_answered_as_they_are(hub: Hub, ngsi, a_entity: None) -> None:  # type: ignore[no-untyped-def]
    alice = ngsi(hub.alice_rw)
    error(alice.get("entities/urn:ngsi-ld:Streetlight:none", headers=PROBLEMS_ONLY), 404, "ResourceNotFound")
    error(alice.get("entities", headers=PROBLEMS_ONLY, limit=0), 400, "BadRequestData")
    error(alice.put("entities", {}, headers=PROBLEMS_ONLY), 405, "InvalidRequest")
    error(alice.get("types", headers=PROBLEMS_ONLY), 422, "OperationNotSupported")
    error(alice.get("nowhere", headers=PROBLEMS_ONLY), 404, "ResourceNotFound")
    error(ngsi().get(f"entities/{A_ID}", headers=PROBLEMS_ONLY), 401, "NotAuthorized")
    # The outsider: member B's agent names A's tenant.
    charlie = ngsi(hub.charlie_rw, tenant=hub.tenant_a.name)
    error(charlie.get(f"entities/{A_ID}", headers=PROBLEMS_ONLY), 404, "NonexistentTenant")


def test_a_write_is_refused_before_anything_is_written(hub: Hub, ngsi, a_entity: None) -> None:  # type: ignore[no-untyped-def]
    alice = ngsi(hub.alice_rw)
    error(
        alice.post("entities", light("urn:ngsi-ld:Streetlight:A2"), headers=PROBLEMS_ONLY),
        406,
        "InvalidRequest",
    )
    error(alice.delete(f"entities/{A_ID}", headers=PROBLEMS_ONLY), 406, "InvalidRequest")
    assert list(Entity.objects.values_list("entity_id", flat=True)) == [A_ID]
    # Whether the caller may write comes first.
    bob = ngsi(hub.bob_ro)
    error(bob.delete(f"entities/{A_ID}", headers=PROBLEMS_ONLY), 403, "NotAuthorized")


def test_errors_stay_application_json_for_clients_that_accept_it(hub: Hub, ngsi) -> None:  # type: ignore[no-untyped-def]
    alice = ngsi(hub.alice_rw)
    for accept in ("application/json, application/problem+json", "*/*", "application/ld+json"):
        missing = alice.get("entities/urn:ngsi-ld:Streetlight:none", headers={"Accept": accept})
        error(missing, 404, "ResourceNotFound", media_type="application/json")
    refused = alice.get("entities", type="Streetlight", headers={"Accept": "text/html"})
    assert "application/problem+json" in error(refused, 406, "InvalidRequest", media_type="application/json")
