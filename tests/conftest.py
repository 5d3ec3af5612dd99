"""Shared fixtures. Every page and API test gets an outsider.

The cast (after healthchecks' alice/bob/charlie):
- `alice`: member agent of member A (a commune), `bob`: elected official of A;
- `charlie`: member agent of member B, same operator: **the outsider** to A's data;
- `olivia`: service-desk agent of the operator (sees A and B), `adam`: operator admin;
- `oscar`: operator admin of *another* operator: the outsider to the whole operator.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation

from mutualis.people.models import User
from mutualis.people.roles import Role
from mutualis.registry.models import Asset, Member, Operator, Site

from .factories import (
    DEMO_PASSWORD,
    AssetFactory,
    CommuneFactory,
    MemberFactory,
    MembershipFactory,
    OperatorFactory,
    SiteFactory,
)

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run
# where an event loop runs unless told the caller is synchronous, which tests are.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in French, the product's default: a request that switched to
    English must not leak its language into the next test's messages."""
    translation.activate("fr")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_hub_caches() -> Iterator[None]:
    """The hub caches attribute ids in-process once committed; a transactional test's
    flush empties the table behind the cache, so each test starts with an empty one."""
    from mutualis.datahub.history import clear_attribute_cache

    clear_attribute_cache()
    yield
    clear_attribute_cache()


@pytest.fixture(autouse=True)
def _private_files(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Uploaded files of a test go to its own folder, never to the project's var/."""
    settings.MEDIA_ROOT = tmp_path / "files"


@dataclass
class Cast:
    operator: Operator
    member_a: Member
    member_b: Member
    site_a: Site
    site_b: Site
    asset_a: Asset
    asset_b: Asset
    alice: User
    bob: User
    charlie: User
    olivia: User
    adam: User
    oscar: User
    other_operator: Operator


@pytest.fixture
def cast(db: None) -> Cast:
    operator = OperatorFactory(name="Opérateur numérique test", slug="test-operator")
    member_a = MemberFactory(operator=operator, commune=CommuneFactory(code="78646", name="Versailles"))
    member_b = MemberFactory(
        operator=operator,
        commune=CommuneFactory(
            code="92050", name="Nanterre", departement__code="92", departement__name="Hauts-de-Seine"
        ),
    )
    site_a = SiteFactory(member=member_a, name="Mairie de Versailles")
    site_b = SiteFactory(member=member_b, name="Mairie de Nanterre")
    asset_a = AssetFactory(site=site_a, inventory_tag="A-0001")
    asset_b = AssetFactory(site=site_b, inventory_tag="B-0001")
    alice = MembershipFactory(
        member=member_a, role=Role.MEMBER_AGENT, user__email="alice@versailles.example"
    ).user
    bob = MembershipFactory(member=member_a, role=Role.ELECTED, user__email="bob@versailles.example").user
    charlie = MembershipFactory(
        member=member_b, role=Role.MEMBER_AGENT, user__email="charlie@nanterre.example"
    ).user
    olivia = MembershipFactory(
        member=None, operator=operator, role=Role.DESK_AGENT, user__email="olivia@operator.example"
    ).user
    adam = MembershipFactory(
        member=None, operator=operator, role=Role.OPERATOR_ADMIN, user__email="adam@operator.example"
    ).user
    other_operator = OperatorFactory(name="Autre opérateur", slug="other-operator")
    oscar = MembershipFactory(
        member=None, operator=other_operator, role=Role.OPERATOR_ADMIN, user__email="oscar@other.example"
    ).user
    return Cast(
        operator=operator,
        member_a=member_a,
        member_b=member_b,
        site_a=site_a,
        site_b=site_b,
        asset_a=asset_a,
        asset_b=asset_b,
        alice=alice,
        bob=bob,
        charlie=charlie,
        olivia=olivia,
        adam=adam,
        oscar=oscar,
        other_operator=other_operator,
    )


def login(client: Client, user: User) -> Client:
    """Log `user` in through the real login form (throttle, language and all)."""
    response = client.post("/accounts/login/", {"email": user.email, "password": DEMO_PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


@pytest.fixture
def as_user(client: Client):  # type: ignore[no-untyped-def]
    """`as_user(user)` returns the test client logged in as `user`."""

    def _as(user: User) -> Client:
        client.logout()
        return login(client, user)

    return _as
