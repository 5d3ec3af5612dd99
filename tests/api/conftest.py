"""Fixtures of the API tests (helpers are in tests/api/support.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from mutualis.people.models import User

# The service desk's cast (a collège, a fire station, their catalogues, a team, a technician)
# for the ticket API's tests.
from tests.servicedesk.conftest import desk  # noqa: F401

from .support import Api, issue_token


@pytest.fixture
def api(client: Client) -> Callable[..., Api]:
    """`api(user)` speaks with a read-write token of the user's membership;
    `api(user, can_write=False)` with a read-only one; `api()` without a token."""

    def _api(user: User | None = None, *, can_write: bool = True) -> Api:
        if user is None:
            return Api(client)
        return Api(client, issue_token(user, can_write=can_write)[1])

    return _api
