"""System checks of the ProConnect settings (Django's check framework), run by `runserver`,
`migrate`, `check` and the worker: a half-configured ProConnect would leave the button off
without a word, or offer one that cannot work; the start stops with a message naming what
to set instead."""

from __future__ import annotations

import ipaddress
import urllib.parse
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

# The check ids of this app (SILENCED_SYSTEM_CHECKS takes them).
E_PROCONNECT_INCOMPLETE = "people.E001"
E_PROCONNECT_ISSUER = "people.E002"
W_PROCONNECT_SITE_URL = "people.W001"

_VARIABLES = {
    "PROCONNECT_ISSUER": "MUTUALIS_PROCONNECT_ISSUER",
    "PROCONNECT_CLIENT_ID": "MUTUALIS_PROCONNECT_CLIENT_ID",
    "PROCONNECT_CLIENT_SECRET": "MUTUALIS_PROCONNECT_CLIENT_SECRET",
}


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


@register("people")
def check_proconnect(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """ProConnect is either off (none of its three settings) or wholly configured."""
    missing = [variable for name, variable in _VARIABLES.items() if not getattr(settings, name)]
    if not missing:
        return _check_addresses()
    if len(missing) == len(_VARIABLES):
        return []
    return [
        Error(
            f"ProConnect is half configured: {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} "
            "not set, so the login with ProConnect stays off.",
            hint="Set all three of MUTUALIS_PROCONNECT_ISSUER, MUTUALIS_PROCONNECT_CLIENT_ID and "
            "MUTUALIS_PROCONNECT_CLIENT_SECRET (given when registering Mutualis with ProConnect), or "
            "none of them to offer password login only (docs/configuration.md).",
            id=E_PROCONNECT_INCOMPLETE,
        )
    ]


def _check_addresses() -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    issuer = urllib.parse.urlsplit(settings.PROCONNECT_ISSUER)
    # The tokens' keys come from the issuer: over plain HTTP anyone on the way could swap them.
    if not issuer.hostname or not (
        issuer.scheme == "https" or (issuer.scheme == "http" and _is_loopback(issuer.hostname))
    ):
        messages.append(
            Error(
                f"MUTUALIS_PROCONNECT_ISSUER is {settings.PROCONNECT_ISSUER!r}: not an https:// address.",
                hint="Use ProConnect's issuer, e.g. https://auth.agentconnect.gouv.fr/api/v2 "
                "(production) or https://fca.integ01.dev-agentconnect.fr/api/v2 (integration).",
                id=E_PROCONNECT_ISSUER,
            )
        )
    site = urllib.parse.urlsplit(settings.SITE_URL)
    if site.scheme != "https" and not _is_loopback(site.hostname):
        messages.append(
            Warning(
                f"MUTUALIS_SITE_URL is {settings.SITE_URL!r}: ProConnect sends people back to "
                "addresses built on it, and accepts only https:// ones outside a test machine.",
                hint="Set MUTUALIS_SITE_URL to the https:// address people open Mutualis at.",
                id=W_PROCONNECT_SITE_URL,
            )
        )
    return messages
