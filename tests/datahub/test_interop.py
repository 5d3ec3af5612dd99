"""Interoperability: the PyPI NGSI-LD client `ngsildclient` drives the broker over real HTTP
(Django's live server), as third-party tools will."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests
from ngsildclient import Client, Entity

from mutualis.datahub.models import Entity as EntityRow
from tests.datahub.conftest import Hub


class BearerAuth(requests.auth.AuthBase):
    def __init__(self, token: str):
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


@pytest.fixture
def client(live_server, hub: Hub) -> Iterator[Client]:  # type: ignore[no-untyped-def]
    address = urlsplit(live_server.url)
    broker = Client(
        hostname=address.hostname or "localhost",
        port=address.port or 80,
        custom_auth=BearerAuth(hub.alice_rw),
        verbose=False,
    )
    yield broker
    broker.close()


def air_quality(number: int, no2: float) -> Entity:
    entity = Entity("AirQualityObserved", f"Versailles:{number}")
    entity.prop("no2", no2, observedat="2026-11-23T10:00:00Z")
    entity.gprop("location", (48.8049, 2.1301))
    return entity


def test_ngsildclient_create_retrieve_update_query_delete(client: Client, hub: Hub) -> None:
    """NGSI-LD 6.4.3.1, 6.5.3.1, 6.15/6.16 (batch), 6.4.3.2 (query with count), 6.5.3.2."""
    assert client.entities.create(air_quality(1, 20.0))
    assert (
        EntityRow.objects.get(entity_id="urn:ngsi-ld:AirQualityObserved:Versailles:1").tenant == hub.tenant_a
    )

    fetched = client.entities.get("urn:ngsi-ld:AirQualityObserved:Versailles:1")
    assert fetched["no2"]["value"] == 20.0
    assert fetched.type == "AirQualityObserved"

    result = client.batch.upsert([air_quality(1, 25.0), air_quality(2, 40.0)])
    assert result.ok
    updated = client.batch.update([air_quality(2, 45.0)])
    assert updated.ok
    assert client.entities.get("urn:ngsi-ld:AirQualityObserved:Versailles:2")["no2"]["value"] == 45.0

    assert client.entities.count(type="AirQualityObserved") == 2
    high = client.query(type="AirQualityObserved", q="no2>30")
    assert [entity.id for entity in high] == ["urn:ngsi-ld:AirQualityObserved:Versailles:2"]

    assert client.entities.delete("urn:ngsi-ld:AirQualityObserved:Versailles:1")
    # (the client's batch delete reads `.id` of what it is given: entities, not ids)
    deleted = client.batch.delete([air_quality(2, 45.0)])
    assert deleted.ok
    assert not EntityRow.objects.filter(tenant=hub.tenant_a).exists()
