"""Fixtures of the registry's tests."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import translation

from mutualis.people.models import User
from tests.api.support import Api, issue_token

# Writers racing each other need the real PostgreSQL server, each thread with its own
# connection: test_*_postgres.py are collected only when the suite runs on PostgreSQL (as
# in tests/servicedesk and tests/jobs).
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
collect_ignore_glob = [] if ON_POSTGRES else ["test_*_postgres.py"]


@pytest.fixture
def as_english(as_user: Callable[[User], Client]) -> Callable[[User], Client]:
    """`as_english(user)`: the client logged in as `user`, the interface in English."""

    def _as(user: User) -> Client:
        client = as_user(user)
        client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return _as


@pytest.fixture
def api(client: Client) -> Callable[..., Api]:
    """`api(user, {"If-Match": tag})` speaks to the API with a read-write token of the
    user's membership, sending the headers given with every request."""

    def _api(user: User, headers: dict[str, str] | None = None) -> Api:
        return Api(client, issue_token(user)[1], headers=headers or {})

    return _api


@pytest.fixture
def english() -> Iterator[None]:
    """The messages of the test in English (reports, notes), whatever the default language."""
    with translation.override("en"):
        yield
