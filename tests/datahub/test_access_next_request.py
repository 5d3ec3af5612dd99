"""What a token may do is read on every NGSI-LD request: a revoked or expired token, a
deactivated user, a removed or moved membership, a changed role take effect on the very
next request; and reading it stays one query, the member's tenant with it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mutualis.datahub.models import Tenant
from mutualis.people.models import ApiToken, Membership
from mutualis.people.roles import Role
from mutualis.registry.models import Member
from tests.datahub.conftest import Hub
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

A_ID = "urn:ngsi-ld:Streetlight:A1"
ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"


def light(value: str = "ok", entity_id: str = A_ID) -> list[dict[str, Any]]:
    return [{"id": entity_id, "type": "Streetlight", "status": {"type": "Property", "value": value}}]


def status_type(response) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    return response.status_code, response.json()["type"].removeprefix(ERRORS)


def alices(hub: Hub) -> tuple[ApiToken, Membership]:
    token = ApiToken.objects.select_related("membership__user").get(membership__user=hub.cast.alice)
    return token, token.membership


def _revoke(token: ApiToken, membership: Membership) -> None:
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())


def _expire(token: ApiToken, membership: Membership) -> None:
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))


def _deactivate_user(token: ApiToken, membership: Membership) -> None:
    membership.user.is_active = False
    membership.user.save()


def _deactivate_membership(token: ApiToken, membership: Membership) -> None:
    membership.is_active = False
    membership.save()


def _remove_membership(token: ApiToken, membership: Membership) -> None:
    membership.delete()


def _move_membership(token: ApiToken, membership: Membership) -> None:
    """Moved to another member, the membership's tokens go (they were issued for A)."""
    membership.member = Member.objects.exclude(pk=membership.member_id).get(name="Nanterre")
    membership.save()


@pytest.mark.parametrize(
    "spoil",
    [_revoke, _expire, _deactivate_user, _deactivate_membership, _remove_membership, _move_membership],
)
def test_a_token_that_stops_counting_is_refused_on_the_next_request(
    hub: Hub, ngsi, spoil: Callable[[ApiToken, Membership], None]
) -> None:  # type: ignore[no-untyped-def]
    alice = ngsi(hub.alice_rw)
    assert alice.post("entityOperations/upsert", light()).status_code == 201
    assert alice.get(f"entities/{A_ID}").status_code == 200
    spoil(*alices(hub))
    assert status_type(alice.get(f"entities/{A_ID}")) == (401, "NotAuthorized")
    assert status_type(alice.post("entityOperations/upsert", light("off"))) == (401, "NotAuthorized")


def test_a_changed_role_counts_on_the_next_request(hub: Hub, ngsi) -> None:  # type: ignore[no-untyped-def]
    """alice becomes an elected official (read-only): her read-write token writes no more;
    back to member agent, it writes again."""
    alice = ngsi(hub.alice_rw)
    assert alice.post("entityOperations/upsert", light()).status_code == 201
    _token, membership = alices(hub)
    membership.role = Role.ELECTED
    membership.save()
    assert status_type(alice.post("entityOperations/upsert", light("off"))) == (403, "NotAuthorized")
    assert alice.get(f"entities/{A_ID}").json()["status"]["value"] == "ok"
    membership.role = Role.MEMBER_AGENT
    membership.save()
    assert alice.post("entityOperations/upsert?options=update", light("off")).status_code == 204
    assert alice.get(f"entities/{A_ID}").json()["status"]["value"] == "off"


def test_the_members_tenant_is_read_with_the_token_on_each_request(hub: Hub, ngsi) -> None:  # type: ignore[no-untyped-def]
    """Read with the token, never kept: a membership changed in bulk (which keeps its
    tokens, unlike `save`) acts in its new member's tenant on the next request."""
    alice = ngsi(hub.alice_rw)
    assert alice.post("entityOperations/upsert", light()).status_code == 201
    _token, membership = alices(hub)
    Membership.objects.filter(pk=membership.pk).update(member=hub.cast.member_b)
    assert alice.get(f"entities/{A_ID}").status_code == 404  # A's entity: not in B's tenant
    assert status_type(ngsi(hub.alice_rw, tenant=hub.tenant_a.name).get(f"entities/{A_ID}")) == (
        404,
        "NonexistentTenant",
    )
    assert ngsi(hub.alice_rw, tenant=hub.tenant_b.name).get("entities", type="Streetlight").json() == []


def test_a_members_first_request_creates_its_tenant_and_the_next_ones_find_it(hub: Hub, ngsi) -> None:  # type: ignore[no-untyped-def]
    member = MemberFactory(operator=hub.cast.operator)
    membership = Membership.objects.create(
        user=hub.cast.alice, operator=hub.cast.operator, member=member, role=Role.MEMBER_AGENT
    )
    _row, token = ApiToken.issue(membership=membership, name="new member", can_write=True)
    assert not Tenant.objects.filter(member=member).exists()
    assert ngsi(token).post("entityOperations/upsert", light()).status_code == 201
    tenant = Tenant.objects.get(member=member)
    assert ngsi(token, tenant=tenant.name).get(f"entities/{A_ID}").status_code == 200
    assert Tenant.objects.filter(member=member).count() == 1
    # Not alice's entity in member A: that one does not exist.
    assert ngsi(hub.alice_rw).get(f"entities/{A_ID}").status_code == 404


def _reading_the_caller(queries: CaptureQueriesContext) -> list[str]:
    """The queries that read the token, its membership and user, or a tenant."""
    tables = ("people_apitoken", "people_membership", "people_user", "registry_member", "datahub_tenant")
    return [
        query["sql"] for query in queries.captured_queries if any(table in query["sql"] for table in tables)
    ]


def test_a_request_reads_its_token_and_tenant_in_one_query(hub: Hub, ngsi) -> None:  # type: ignore[no-untyped-def]
    """The token, its membership, user and member's tenant: one query a request (there
    were two, the tenant apart, and four model instances built around them)."""
    alice = ngsi(hub.alice_rw)
    assert alice.post("entityOperations/upsert", light()).status_code == 201  # stamps its use
    with CaptureQueriesContext(connection) as reading:
        assert alice.get(f"entities/{A_ID}").status_code == 200
    assert len(_reading_the_caller(reading)) == 1
    assert len(reading) == 2  # the caller and its tenant, the entity
    with CaptureQueriesContext(connection) as writing:
        assert alice.post("entityOperations/upsert?options=update", light("off")).status_code == 204
    assert len(_reading_the_caller(writing)) == 1


def test_an_operator_admin_reads_the_named_tenant_in_one_more_query(hub: Hub, ngsi) -> None:  # type: ignore[no-untyped-def]
    """Staff name any tenant of their operator: the token, then that tenant."""
    adam = ngsi(hub.adam_rw, tenant=hub.tenant_a.name)
    assert adam.post("entityOperations/upsert", light()).status_code == 201
    with CaptureQueriesContext(connection) as reading:
        assert adam.get(f"entities/{A_ID}").status_code == 200
    assert len(_reading_the_caller(reading)) == 2
    assert len(reading) == 3
