"""Who reaches which tenant (NGSI-LD 6.3.14, 4.14): the cast against member A's data."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client

from mutualis.datahub.models import Entity
from mutualis.datahub.services import create_entity
from mutualis.people.models import ApiToken
from tests.conftest import login
from tests.datahub.conftest import Hub

pytestmark = pytest.mark.django_db

A_ID = "urn:ngsi-ld:Streetlight:A1"
ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"


def light(entity_id: str = A_ID) -> dict[str, Any]:
    return {"id": entity_id, "type": "Streetlight", "status": {"type": "Property", "value": "ok"}}


@pytest.fixture
def a_entity(hub: Hub, ngsi) -> None:  # type: ignore[no-untyped-def]
    assert ngsi(hub.alice_rw).post("entities", light()).status_code == 201


def status_type(response) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    return response.status_code, response.json()["type"].removeprefix(ERRORS)


def test_member_token_acts_in_its_tenant_by_default(hub: Hub, ngsi, a_entity: None) -> None:  # type: ignore[no-untyped-def]
    """No NGSILD-Tenant header: the member's own tenant; naming it explicitly is the same."""
    assert Entity.objects.get(entity_id=A_ID).tenant == hub.tenant_a
    assert ngsi(hub.alice_rw).get(f"entities/{A_ID}").status_code == 200
    assert ngsi(hub.alice_rw, tenant=hub.tenant_a.name).get(f"entities/{A_ID}").status_code == 200


def test_outsider_member_never_sees_a(hub: Hub, ngsi, a_entity: None) -> None:  # type: ignore[no-untyped-def]
    """charlie (member B): A's tenant does not exist for him; A's entity is not in his tenant."""
    charlie = ngsi(hub.charlie_rw)
    assert charlie.get(f"entities/{A_ID}").status_code == 404
    assert charlie.get("entities", type="Streetlight").json() == []
    assert charlie.post("entities", light()).status_code == 201  # same id, his own tenant
    as_a = ngsi(hub.charlie_rw, tenant=hub.tenant_a.name)
    assert status_type(as_a.get(f"entities/{A_ID}")) == (404, "NonexistentTenant")
    assert status_type(as_a.get("entities", type="Streetlight")) == (404, "NonexistentTenant")
    assert status_type(as_a.delete(f"entities/{A_ID}")) == (404, "NonexistentTenant")
    assert status_type(as_a.post("entityOperations/delete", [A_ID])) == (404, "NonexistentTenant")
    # The answer for a tenant he may not use is the one for a tenant that does not exist.
    unknown = ngsi(hub.charlie_rw, tenant="no-such-tenant").get("entities", type="Streetlight")
    assert as_a.get("entities", type="Streetlight").json()["detail"].replace(
        hub.tenant_a.name, "X"
    ) == unknown.json()["detail"].replace("no-such-tenant", "X")
    assert Entity.objects.filter(tenant=hub.tenant_a, entity_id=A_ID).exists()


def test_read_only_token_and_role_get_403_on_writes(hub: Hub, ngsi, a_entity: None) -> None:  # type: ignore[no-untyped-def]
    """bob (elected official, read-only): reads yes, writes 403."""
    bob = ngsi(hub.bob_ro)
    assert bob.get(f"entities/{A_ID}").status_code == 200
    assert status_type(bob.delete(f"entities/{A_ID}")) == (403, "NotAuthorized")
    assert bob.post("entities", light("urn:ngsi-ld:Streetlight:B2")).status_code == 403
    assert bob.post("entityOperations/upsert", [light()]).status_code == 403
    # A read-only token of a member agent is read-only too.
    membership = hub.cast.alice.memberships.get()
    _row, read_only = ApiToken.issue(membership=membership, name="ro", can_write=False)
    assert ngsi(read_only).patch(f"entities/{A_ID}/attrs/status", {"value": "off"}).status_code == 403
    assert Entity.objects.get(entity_id=A_ID).attributes  # unchanged, still there


def test_other_operator_cannot_use_a_tenant(hub: Hub, ngsi, a_entity: None) -> None:  # type: ignore[no-untyped-def]
    """oscar (admin of another operator): A's tenant name does not exist for him."""
    oscar = ngsi(hub.oscar_rw, tenant=hub.tenant_a.name)
    assert status_type(oscar.get(f"entities/{A_ID}")) == (404, "NonexistentTenant")
    assert ngsi(hub.oscar_rw).get(f"entities/{A_ID}").status_code == 404


def test_operator_admin_reaches_a_by_header_and_shared_space_by_default(
    hub: Hub, ngsi, a_entity: None
) -> None:  # type: ignore[no-untyped-def]
    """adam (operator admin): any tenant of his operator by name; the shared space by default."""
    assert ngsi(hub.adam_rw, tenant=hub.tenant_a.name).get(f"entities/{A_ID}").status_code == 200
    assert ngsi(hub.adam_rw).get(f"entities/{A_ID}").status_code == 404
    assert ngsi(hub.adam_rw).post("entities", light("urn:ngsi-ld:Streetlight:shared")).status_code == 201
    assert Entity.objects.get(entity_id="urn:ngsi-ld:Streetlight:shared").tenant == hub.shared


def test_operator_reaches_a_member_tenant_not_created_yet(hub: Hub, ngsi) -> None:  # type: ignore[no-untyped-def]
    """A member's tenant is named after its INSEE code and created on first use."""
    from tests.factories import CommuneFactory, MemberFactory

    member = MemberFactory(operator=hub.cast.operator, commune=CommuneFactory(code="78000", name="Ailleurs"))
    response = ngsi(hub.adam_rw, tenant="78000").post("entities", light("urn:ngsi-ld:Streetlight:C1"))
    assert response.status_code == 201
    assert Entity.objects.get(entity_id="urn:ngsi-ld:Streetlight:C1").tenant.member == member


def test_anonymous_gets_401_unless_tenant_is_opened(hub: Hub, ngsi, settings, a_entity: None) -> None:  # type: ignore[no-untyped-def]
    """Anonymous: 401; DATAHUB_ANONYMOUS_TENANTS opens chosen tenants, read or read-write."""
    anonymous = ngsi(None, tenant=hub.tenant_a.name)
    assert status_type(anonymous.get(f"entities/{A_ID}")) == (401, "NotAuthorized")
    settings.DATAHUB_ANONYMOUS_OPERATOR = "test-operator"  # the cast has two operators
    settings.DATAHUB_ANONYMOUS_TENANTS = {hub.tenant_a.name: "read"}
    assert anonymous.get(f"entities/{A_ID}").status_code == 200
    assert status_type(anonymous.delete(f"entities/{A_ID}")) == (403, "NotAuthorized")
    assert ngsi(None, tenant=hub.tenant_b.name).get("entities", type="Streetlight").status_code == 401
    assert ngsi(None).get("entities", type="Streetlight").status_code == 401  # shared space not opened
    settings.DATAHUB_ANONYMOUS_TENANTS = {hub.tenant_a.name: "read-write"}
    assert anonymous.patch(f"entities/{A_ID}/attrs/status", {"value": "off"}).status_code == 204


def test_anonymous_operator_setting_picks_the_operator(hub: Hub, ngsi, settings) -> None:  # type: ignore[no-untyped-def]
    """With several operators, DATAHUB_ANONYMOUS_OPERATOR says whose tenants are opened."""
    settings.DATAHUB_ANONYMOUS_TENANTS = {"": "read-write"}
    settings.DATAHUB_ANONYMOUS_OPERATOR = "test-operator"
    assert ngsi(None).post("entities", light("urn:ngsi-ld:Streetlight:open")).status_code == 201
    assert Entity.objects.get(entity_id="urn:ngsi-ld:Streetlight:open").tenant == hub.shared


@pytest.mark.parametrize(
    ("operator", "modes", "words"),
    [
        ("", {"": "read"}, ["several operators", "MUTUALIS_DATAHUB_ANONYMOUS_OPERATOR"]),
        ("nowhere", {"": "read"}, ["'nowhere', which does not exist", "MUTUALIS_DATAHUB_ANONYMOUS_OPERATOR"]),
        ("test-operator", {"": "write"}, ["DATAHUB_ANONYMOUS_TENANTS['']", "'read' or 'read-write'"]),
    ],
)
def test_misconfigured_anonymous_access_is_a_clear_503(  # type: ignore[no-untyped-def]
    hub: Hub, ngsi, settings, caplog, operator: str, modes: dict[str, str], words: list[str]
) -> None:
    """A setting that cannot be applied is the server's fault: a ProblemDetails naming the
    setting to change (and a log line for the administrators), never an unexplained 500."""
    settings.DATAHUB_ANONYMOUS_OPERATOR = operator
    settings.DATAHUB_ANONYMOUS_TENANTS = modes
    response = ngsi(None).get("entities", type="Streetlight")
    assert status_type(response) == (503, "InternalError")
    problem = response.json()
    assert problem["title"] == "Anonymous access misconfigured"
    for word in words:
        assert word in problem["detail"], problem["detail"]
    assert any(words[0] in record.getMessage() for record in caplog.records)
    # Callers with a token are not concerned.
    assert ngsi(hub.alice_rw).get("entities", type="Streetlight").status_code == 200


@pytest.mark.parametrize(
    ("operator", "modes", "expected"),
    [
        ("", {}, []),  # anonymous access off: nothing to check
        ("test-operator", {"": "read"}, []),
        ("", {"": "read"}, ["datahub.E002"]),  # the cast has two operators
        ("nowhere", {"": "read"}, ["datahub.E002"]),
        ("test-operator", {"opendata": "rw"}, ["datahub.E001"]),
    ],
)
def test_the_start_up_check_names_the_anonymous_setting_to_fix(  # type: ignore[no-untyped-def]
    hub: Hub, settings, operator: str, modes: dict[str, str], expected: list[str]
) -> None:
    settings.DATAHUB_ANONYMOUS_OPERATOR = operator
    settings.DATAHUB_ANONYMOUS_TENANTS = modes
    messages = run_checks(tags=["datahub"])
    assert [m.id for m in messages] == expected
    assert all(m.is_serious() and "DATAHUB_ANONYMOUS_" in m.msg for m in messages)


def test_the_start_up_check_fails_the_server_command(hub: Hub, settings) -> None:  # type: ignore[no-untyped-def]
    settings.DATAHUB_ANONYMOUS_OPERATOR = ""
    settings.DATAHUB_ANONYMOUS_TENANTS = {"": "read"}
    with pytest.raises(SystemCheckError, match=r"datahub\.E002.*DATAHUB_ANONYMOUS_OPERATOR"):
        call_command("check", stdout=StringIO(), stderr=StringIO())


def test_without_operators_the_check_only_warns(settings) -> None:  # type: ignore[no-untyped-def]
    """Before the first operator exists (a fresh installation being migrated), a warning."""
    settings.DATAHUB_ANONYMOUS_OPERATOR = ""
    settings.DATAHUB_ANONYMOUS_TENANTS = {"": "read"}
    (message,) = run_checks(tags=["datahub"])
    assert message.id == "datahub.W002"
    assert not message.is_serious()


def test_bad_tokens_are_401(hub: Hub, ngsi) -> None:  # type: ignore[no-untyped-def]
    """Malformed, unknown or revoked tokens: 401 NotAuthorized, never a fallback to anonymous."""
    assert status_type(ngsi("mut_nope").get("entities", type="T")) == (401, "NotAuthorized")
    assert status_type(ngsi("mut_abc_def").get("entities", type="T")) == (401, "NotAuthorized")
    assert status_type(ngsi("garbage").get("entities", type="T")) == (401, "NotAuthorized")
    token = ApiToken.objects.get(membership__user=hub.cast.alice)
    token.revoked_at = token.created_at
    token.save()
    assert status_type(ngsi(hub.alice_rw).get("entities", type="T")) == (401, "NotAuthorized")


def test_the_scheme_is_case_insensitive_as_on_the_rest_apis(hub: Hub, ngsi, a_entity: None) -> None:  # type: ignore[no-untyped-def]
    """RFC 9110 11.1: "bearer" is "Bearer"; the REST APIs took it, NGSI-LD refused it."""
    lower = ngsi()
    lower.headers["Authorization"] = f"bearer {hub.alice_rw}"
    assert lower.get(f"entities/{A_ID}").status_code == 200
    lower.headers["Authorization"] = f"BEARER {hub.charlie_rw}"
    assert status_type(lower.get(f"entities/{A_ID}")) == (404, "ResourceNotFound")


def test_a_key_id_no_token_can_have_is_malformed(hub: Hub, ngsi) -> None:  # type: ignore[no-untyped-def]
    """Key ids are 12 hex digits: a NUL or a long one never reaches the database."""
    for token in ("mut_ab\x00cd_secret", "mut_" + "a" * 17 + "_secret", "mut_ab-cd_secret"):
        response = ngsi(token).get("entities", type="T")
        assert status_type(response) == (401, "NotAuthorized")
        assert "Malformed" in response.json()["detail"]


def test_session_reads_but_cannot_write(hub: Hub, client: Client, a_entity: None) -> None:
    """A logged-in browser may read its member's entities; writes need a token."""
    login(client, hub.cast.alice)
    assert client.get(f"/ngsi-ld/v1/entities/{A_ID}").status_code == 200
    response = client.delete(f"/ngsi-ld/v1/entities/{A_ID}")
    assert response.status_code == 401
    client.logout()
    login(client, hub.cast.charlie)
    assert client.get(f"/ngsi-ld/v1/entities/{A_ID}").status_code == 404


def test_services_are_tenant_scoped(hub: Hub) -> None:
    """The verbs themselves take the tenant: the same id lives apart in two tenants."""
    create_entity(tenant=hub.tenant_a, entity={"id": A_ID, "type": ["T"], "attrs": {}})
    create_entity(tenant=hub.tenant_b, entity={"id": A_ID, "type": ["T"], "attrs": {}})
    assert Entity.objects.filter(entity_id=A_ID).count() == 2
