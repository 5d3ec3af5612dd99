"""Outsider cases of the registry, people, the web shell and the registry API."""

from __future__ import annotations

from mutualis.people.models import ApiToken, Membership
from mutualis.registry.imports import create_batch
from mutualis.registry.models import ImportBatch
from tests.conftest import Cast

from . import Case, Check, Extra


def _batch(cast: Cast) -> ImportBatch:
    batch = create_batch(
        operator=cast.operator,
        kind="sites",
        mode="create",
        file_name="sites-de-versailles.csv",
        data=b"member;kind;name;commune\n78646;mairie;Annexe;78646\n",
        by=cast.adam,
    )
    assert batch.status == "ready", batch.report
    return batch


OBJECTS: dict[str, Case] = {
    "registry:member-detail": Case(lambda c, x: f"/members/{c.member_a.pk}/", ("charlie", "oscar")),
    "registry:site-detail": Case(lambda c, x: f"/sites/{c.site_a.pk}/", ("charlie", "oscar")),
    "registry:asset-detail": Case(lambda c, x: f"/equipment/{c.asset_a.pk}/", ("charlie", "oscar")),
    "registry:import-detail": Case(lambda c, x: f"/imports/{x['batch']}/", ("oscar",)),
    "registry:import-apply": Case(lambda c, x: f"/imports/{x['batch']}/apply/", ("oscar",), method="post"),
    "registry:import-errors": Case(lambda c, x: f"/imports/{x['batch']}/errors/", ("oscar",)),
    "registry:import-file": Case(lambda c, x: f"/imports/{x['batch']}/file/", ("oscar",)),
    "people:token-revoke": Case(
        lambda c, x: f"/accounts/profile/tokens/{x['token']}/revoke/", ("charlie", "oscar"), method="post"
    ),
    "api:member-detail": Case(lambda c, x: f"/api/v1/members/{c.member_a.pk}/", ("charlie", "oscar")),
    "api:site-detail": Case(lambda c, x: f"/api/v1/sites/{c.site_a.pk}/", ("charlie", "oscar")),
    "api:asset-detail": Case(lambda c, x: f"/api/v1/assets/{c.asset_a.pk}/", ("charlie", "oscar")),
    "api:asset-change-status": Case(
        lambda c, x: f"/api/v1/assets/{c.asset_a.pk}/status/", ("charlie", "oscar"), method="post"
    ),
    "api:asset-history": Case(lambda c, x: f"/api/v1/assets/{c.asset_a.pk}/history/", ("charlie", "oscar")),
}

# Lists: the outsider gets the page, without member A's rows.
LISTS: dict[str, Case] = {
    "web:home": Case(lambda c, x: "/", ("charlie", "oscar"), (200,), secret=lambda c: "Mairie de Versailles"),
    "registry:member-list": Case(
        lambda c, x: "/members/", ("charlie", "oscar"), (200,), secret=lambda c: "Versailles"
    ),
    "registry:site-list": Case(
        lambda c, x: "/sites/", ("charlie", "oscar"), (200,), secret=lambda c: "Versailles"
    ),
    "registry:asset-list": Case(
        lambda c, x: "/equipment/", ("charlie", "oscar"), (200,), secret=lambda c: "A-0001"
    ),
    "registry:import-list": Case(
        lambda c, x: "/imports/", ("oscar",), (200,), secret=lambda c: "sites-de-versailles.csv"
    ),
    "api:member-list": Case(
        lambda c, x: "/api/v1/members/", ("charlie", "oscar"), (200,), secret=lambda c: "Versailles"
    ),
    "api:site-list": Case(
        lambda c, x: "/api/v1/sites/", ("charlie", "oscar"), (200,), secret=lambda c: "Versailles"
    ),
    "api:asset-list": Case(
        lambda c, x: "/api/v1/assets/", ("charlie", "oscar"), (200,), secret=lambda c: "A-0001"
    ),
    "people:profile": Case(
        lambda c, x: "/accounts/profile/",
        ("charlie", "oscar"),
        (200,),
        secret=lambda c: "script-inventaire-alice",
    ),
}

# Operator-admin pages: refused to every other role of the same operator, too.
ADMIN_ONLY = {
    "registry:import-list": "/imports/",
    "registry:import-new": "/imports/new/",
    "registry:import-columns": "/imports/columns/",
    "registry:import-example": "/imports/example/sites.csv",
}

# No member data behind these: public pages, one's own account, shared reference lists.
NO_MEMBER_DATA = {
    "web:healthz": "health check: status only",
    "web:favicon": "a redirect to the shipped icon",
    "web:accessibility": "public accessibility statement",
    "people:login": "login form",
    "people:logout": "ends one's own session",
    "people:switch": "only one's own memberships (tests/people/test_memberships.py)",
    "people:language": "one's own preference",
    "people:token-create": "creates a token for one's own current membership",
    "people:password-change": "one's own password",
    "people:password-reset": "asks for a link; says nothing of who has an account (tests/people/test_password_reset.py)",
    "people:password-reset-sent": "a fixed text",
    "people:password-reset-confirm": "only with the emailed token of that account (tests/people/test_password_reset.py)",
    "registry:import-new": "upload form (operator admins only, see ADMIN_ONLY)",
    "registry:import-columns": "documentation of the columns (operator admins only)",
    "registry:import-example": "example file (operator admins only)",
    "api:me": "who the caller is",
    "api:departement-list": "INSEE reference, shared by all operators",
    "api:epci-list": "INSEE reference, shared by all operators",
    "api:commune-list": "INSEE reference, shared by all operators",
    "api:site-kind-list": "reference list, shared",
    "api:asset-type-list": "reference list, shared",
    "api:asset-model-list": "reference list, shared",
    "api-no-such-endpoint": "answers 404 problems, the same whoever asks",
    "api-schema": "OpenAPI document",
    "api-docs": "Swagger UI",
    "api-redoc": "ReDoc",
}


def _token(cast: Cast) -> int:
    token, _clear = ApiToken.issue(
        membership=Membership.objects.get(user=cast.alice), name="script-inventaire-alice"
    )
    return token.pk


EXTRA: Extra = {"batch": lambda cast: _batch(cast).pk, "token": _token}


def _token_not_revoked(cast: Cast, extra: dict[str, int]) -> None:
    assert ApiToken.objects.get(pk=extra["token"]).revoked_at is None


def _batch_not_applied(cast: Cast, extra: dict[str, int]) -> None:
    assert ImportBatch.objects.get(pk=extra["batch"]).status == "ready"


def _asset_unchanged(cast: Cast, extra: dict[str, int]) -> None:
    cast.asset_a.refresh_from_db()
    assert cast.asset_a.status == "in_service"


CHECKS: dict[str, Check] = {
    "people:token-revoke": _token_not_revoked,
    "registry:import-apply": _batch_not_applied,
    "api:asset-change-status": _asset_unchanged,
}
