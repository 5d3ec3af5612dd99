"""Fixtures of the people tests: the local stand-in for ProConnect (fake_proconnect.py)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from mutualis.people import proconnect

from .fake_proconnect import CLIENT_ID, CLIENT_SECRET, FakeProConnect


@pytest.fixture
def provider(settings) -> Iterator[FakeProConnect]:  # type: ignore[no-untyped-def]
    """A ProConnect on 127.0.0.1, and Mutualis configured to use it."""
    fake = FakeProConnect().start()
    settings.PROCONNECT_ISSUER = fake.issuer
    settings.PROCONNECT_CLIENT_ID = CLIENT_ID
    settings.PROCONNECT_CLIENT_SECRET = CLIENT_SECRET
    settings.PROCONNECT_ACR_VALUES = ""
    proconnect.clear_caches()
    yield fake
    fake.stop()
    proconnect.clear_caches()


@pytest.fixture
def unreachable_issuer(settings) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """Mutualis configured for a ProConnect where nothing listens (a port just freed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.PROCONNECT_ISSUER = f"http://127.0.0.1:{port}/api/v2"
    settings.PROCONNECT_CLIENT_ID = CLIENT_ID
    settings.PROCONNECT_CLIENT_SECRET = CLIENT_SECRET
    proconnect.clear_caches()
    yield settings.PROCONNECT_ISSUER
    proconnect.clear_caches()
