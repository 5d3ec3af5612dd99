"""System checks of the data hub's settings (Django's check framework), run at start-up
by `mutualis runserver`, `migrate` and `check`: a setting that would fail every request it
concerns stops the server with a message naming it, instead of surfacing as errors later.

Checks that read the database (which operator anonymous access opens) only run when the
setting they check is used and the registry's tables exist, so that a fresh installation
can still be migrated.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.db import DatabaseError, connection

from mutualis.registry.models import Operator

from .access import AnonymousAccessError, anonymous_operator, anonymous_tenants
from .subscriptions.egress import parse_allowed_hosts

# The check ids of this app (SILENCED_SYSTEM_CHECKS takes them).
E_ANONYMOUS_MODES = "datahub.E001"
E_ANONYMOUS_OPERATOR = "datahub.E002"
W_ANONYMOUS_UNCHECKED = "datahub.W002"
E_NOTIFICATION_HOSTS = "datahub.E003"


def _operator_table_ready() -> bool:
    try:
        return Operator._meta.db_table in connection.introspection.table_names()
    except DatabaseError:
        return False


@register("datahub")
def check_anonymous_access(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """DATAHUB_ANONYMOUS_TENANTS must give valid modes and designate one operator."""
    try:
        opened = anonymous_tenants()
    except AnonymousAccessError as exc:
        return [Error(exc.detail, id=E_ANONYMOUS_MODES)]
    if not opened or not _operator_table_ready():
        return []
    try:
        anonymous_operator()
    except AnonymousAccessError as exc:
        if exc.code == "none":
            # A fresh installation: the operator comes after `migrate`. Not an error yet.
            return [Warning(exc.detail, id=W_ANONYMOUS_UNCHECKED)]
        return [
            Error(
                exc.detail,
                hint="Anonymous NGSI-LD requests to the opened tenants answer 503 until this is fixed.",
                id=E_ANONYMOUS_OPERATOR,
            )
        ]
    except DatabaseError as exc:
        return [
            Warning(
                f"DATAHUB_ANONYMOUS_OPERATOR could not be checked: the database is unavailable ({exc}).",
                id=W_ANONYMOUS_UNCHECKED,
            )
        ]
    return []


@register("datahub")
def check_notification_hosts(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Every entry of DATAHUB_NOTIFICATION_ALLOWED_HOSTS must be a name, domain or network."""
    try:
        parse_allowed_hosts(getattr(settings, "DATAHUB_NOTIFICATION_ALLOWED_HOSTS", []) or [])
    except ValueError as exc:
        return [
            Error(
                f"DATAHUB_NOTIFICATION_ALLOWED_HOSTS: {exc}",
                hint="Correct MUTUALIS_DATAHUB_NOTIFICATION_ALLOWED_HOSTS (comma-separated host names, "
                ".domains, addresses or CIDR networks).",
                id=E_NOTIFICATION_HOSTS,
            )
        ]
    return []
