"""The system check of the ProConnect settings: off, or wholly and safely configured."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from mutualis.people.checks import check_proconnect

ISSUER = "https://auth.agentconnect.gouv.fr/api/v2"


def _configure(settings, issuer: str = "", client_id: str = "", secret: str = "") -> None:  # type: ignore[no-untyped-def]
    settings.PROCONNECT_ISSUER = issuer
    settings.PROCONNECT_CLIENT_ID = client_id
    settings.PROCONNECT_CLIENT_SECRET = secret
    settings.SITE_URL = "https://mutualis.opn78-92.fr"


def test_nothing_configured_is_fine(settings) -> None:  # type: ignore[no-untyped-def]
    _configure(settings)
    assert check_proconnect() == []


def test_a_complete_configuration_is_fine(settings) -> None:  # type: ignore[no-untyped-def]
    _configure(settings, ISSUER, "client", "secret")
    assert check_proconnect() == []


def test_a_half_configuration_stops_the_start_naming_what_is_missing(settings) -> None:  # type: ignore[no-untyped-def]
    _configure(settings, ISSUER, "client")
    [error] = check_proconnect()
    assert error.id == "people.E001"
    assert "MUTUALIS_PROCONNECT_CLIENT_SECRET is not set" in error.msg
    assert "MUTUALIS_PROCONNECT_ISSUER" not in error.msg
    assert "none of them" in (error.hint or "")
    with pytest.raises(SystemCheckError, match=r"people\.E001"):
        call_command("check")


@pytest.mark.parametrize("issuer", ["http://auth.agentconnect.gouv.fr/api/v2", "auth.agentconnect.gouv.fr"])
def test_an_issuer_not_over_https_is_refused(settings, issuer: str) -> None:  # type: ignore[no-untyped-def]
    _configure(settings, issuer, "client", "secret")
    assert [message.id for message in check_proconnect()] == ["people.E002"]


def test_a_local_issuer_over_http_is_allowed_for_tests(settings) -> None:  # type: ignore[no-untyped-def]
    _configure(settings, "http://127.0.0.1:9000/api/v2", "client", "secret")
    assert check_proconnect() == []


def test_a_site_url_over_http_is_warned_of(settings) -> None:  # type: ignore[no-untyped-def]
    _configure(settings, ISSUER, "client", "secret")
    settings.SITE_URL = "http://mutualis.opn78-92.fr"
    [warning] = check_proconnect()
    assert warning.id == "people.W001"
