"""The data hub's cast: member A's and member B's tenants, the operator's shared space, and
API tokens acting for the cast's people (see tests/conftest.py); the alert rules' cast
(`alerts`), for the test_alerts_* modules."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
from django.test import Client

from mutualis.datahub.models import Tenant
from mutualis.datahub.tenancy import shared_tenant, tenant_for_member
from mutualis.people.models import ApiToken, Membership
from mutualis.registry.models import Asset, Site
from mutualis.servicedesk.models import IncidentType, Ticket
from mutualis.servicedesk.models.catalogue import Priority
from mutualis.servicedesk.services.declaring import open_ticket
from mutualis.servicedesk.services.handling import merge
from tests.conftest import Cast
from tests.factories import AssetFactory, SiteFactory, SiteKindFactory
from tests.servicedesk.factories import CategoryFactory, IncidentTypeFactory

# Behaviour only PostgreSQL has (partitions, terminated connections) is tested in
# test_*_postgres.py, collected only when the suite runs on PostgreSQL, never skipped.
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
collect_ignore_glob = [] if ON_POSTGRES else ["test_*_postgres.py"]


@dataclass
class Hub:
    cast: Cast
    tenant_a: Tenant
    tenant_b: Tenant
    shared: Tenant
    # Clear tokens, to send as `Authorization: Bearer <token>`.
    alice_rw: str  # member agent of A, read-write
    bob_ro: str  # elected official of A, read-only
    charlie_rw: str  # member agent of B: the outsider to A
    adam_rw: str  # operator admin: every tenant of the operator
    oscar_rw: str  # admin of another operator: the outsider to the whole operator


def _token(user, *, can_write: bool) -> str:  # type: ignore[no-untyped-def]
    membership = Membership.objects.filter(user=user).first()
    assert membership is not None
    _token_row, clear = ApiToken.issue(membership=membership, name="tests", can_write=can_write)
    return clear


@pytest.fixture
def hub(cast: Cast) -> Hub:
    return Hub(
        cast=cast,
        tenant_a=tenant_for_member(cast.member_a),
        tenant_b=tenant_for_member(cast.member_b),
        shared=shared_tenant(cast.operator),
        alice_rw=_token(cast.alice, can_write=True),
        bob_ro=_token(cast.bob, can_write=False),
        charlie_rw=_token(cast.charlie, can_write=True),
        adam_rw=_token(cast.adam, can_write=True),
        oscar_rw=_token(cast.oscar, can_write=True),
    )


@dataclass
class Alerts:
    """Where the alert rules' tests happen: member A's riverside site, with a gauge, and
    incident types offered there."""

    hub: Hub
    tenant: Tenant
    riverbank: Site  # member A's riverside site (kind: voirie)
    gauge: Asset
    flood: IncidentType  # offered to "voirie" sites
    lighting: IncidentType
    charger: IncidentType

    def merged_into_a_declaration(self, alert_ticket: Ticket) -> Ticket:
        """The alert's ticket merged by the desk into the flood a member declared on the
        same site (the declaration goes on, the alert's ticket is closed); returns the
        declaration."""
        declared = open_ticket(
            site=self.riverbank,
            incident_type=self.flood,
            title="La Seine déborde sur le quai",
            description="Vu depuis la mairie.",
            assets=[],
            by=self.hub.cast.alice,
        )
        merge(duplicate=alert_ticket, into=declared, by=self.hub.cast.olivia)
        return declared


@pytest.fixture
def alerts(hub: Hub) -> Alerts:
    roads = SiteKindFactory(code="voirie", name="Voirie et berges")
    riverbank = SiteFactory(member=hub.cast.member_a, kind=roads, name="Berges de la Seine")
    gauge = AssetFactory(site=riverbank, inventory_tag="CRUE-0001")
    networks = CategoryFactory(operator=hub.cast.operator, name="Réseaux urbains")
    return Alerts(
        hub=hub,
        tenant=hub.tenant_a,
        riverbank=riverbank,
        gauge=gauge,
        flood=IncidentTypeFactory(
            category=networks, name="Crue", site_kinds=[roads], default_priority=Priority.HIGH
        ),
        lighting=IncidentTypeFactory(category=networks, name="Lampe défectueuse", site_kinds=[roads]),
        charger=IncidentTypeFactory(category=networks, name="Borne hors service", site_kinds=[roads]),
    )


class NgsiClient:
    """The Django test client speaking NGSI-LD: bearer token, tenant header, JSON bodies."""

    def __init__(self, client: Client, token: str | None = None, tenant: str | None = None):
        self.client = client
        self.headers: dict[str, str] = {}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        if tenant is not None:
            self.headers["NGSILD-Tenant"] = tenant

    def request(
        self, method: str, path: str, body=None, *, content_type="application/json", headers=None, **params
    ):  # type: ignore[no-untyped-def]
        import json

        all_headers = {**self.headers, **(headers or {})}
        url = path if path.startswith("/") else f"/ngsi-ld/v1/{path}"
        call = getattr(self.client, method.lower())
        if body is None:
            return call(url, data=params or None, headers=all_headers)
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        if params:
            from urllib.parse import urlencode

            url = f"{url}?{urlencode(params)}"
        return call(url, data=data, content_type=content_type, headers=all_headers)

    def get(self, path: str, **params):  # type: ignore[no-untyped-def]
        return self.request("GET", path, **params)

    def post(self, path: str, body, **kwargs):  # type: ignore[no-untyped-def]
        return self.request("POST", path, body, **kwargs)

    def patch(self, path: str, body, **kwargs):  # type: ignore[no-untyped-def]
        return self.request("PATCH", path, body, **kwargs)

    def put(self, path: str, body, **kwargs):  # type: ignore[no-untyped-def]
        return self.request("PUT", path, body, **kwargs)

    def delete(self, path: str, **params):  # type: ignore[no-untyped-def]
        return self.request("DELETE", path, **params)


@pytest.fixture
def ngsi(client: Client):  # type: ignore[no-untyped-def]
    """`ngsi(token, tenant=None)` returns an NGSI-LD client acting with that token."""

    def _make(token: str | None = None, tenant: str | None = None) -> NgsiClient:
        return NgsiClient(client, token, tenant)

    return _make
