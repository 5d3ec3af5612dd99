"""Fixtures of the registry's tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.conf import settings as django_settings
from django.test import Client

from mutualis.people.models import User


@pytest.fixture
def as_english(as_user: Callable[[User], Client]) -> Callable[[User], Client]:
    """`as_english(user)`: the client logged in as `user`, the interface in English."""

    def _as(user: User) -> Client:
        client = as_user(user)
        client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return _as
