"""Who calls the NGSI-LD API, and in which tenant (NGSI-LD 6.3.14, 4.14).

The one door of the data hub: every NGSI-LD request is authenticated here, then its
`NGSILD-Tenant` header is resolved into a `Tenant` the caller may use. A tenant the caller
may not use answers `NonexistentTenant` (404), exactly as a name that does not exist, so
that the API never tells an outsider which tenants exist.

Who may use what:
- a member's people (API token, or their session for reads) act in their member's tenant;
  no header means that tenant, and naming any other one is a 404;
- the operator's staff act in the operator's shared space by default, and in any tenant of
  their operator by name;
- anonymous callers only reach the tenants opened by `DATAHUB_ANONYMOUS_TENANTS` (open
  data, conformance suites), read-only or read-write as configured there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.db import router
from django.http import HttpRequest

from mutualis.people import tokens
from mutualis.people.models import User
from mutualis.people.roles import OPERATOR_ROLES
from mutualis.registry.models import Member, Operator

from .models import Tenant
from .models.tenants import DEFAULT_TENANT
from .ngsild.errors import Forbidden, NgsiLdError, NonexistentTenant, NotAuthorized
from .tenancy import member_tenant_name, shared_tenant, tenant_for_member

logger = logging.getLogger(__name__)
T = TypeVar("T")

TENANT_HEADER = "NGSILD-Tenant"
MAX_TENANT_NAME = Tenant._meta.get_field("name").max_length or 100
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
READ, READ_WRITE = "read", "read-write"


@dataclass(frozen=True)
class Caller:
    """The authenticated party of one request, as the few values the door needs (no model
    instance: see `_token_caller`)."""

    # The membership's role; None for an anonymous caller.
    role: str | None
    operator_id: int | None
    member_id: int | None
    # Whether this caller may write at all (token right, role, anonymous mode).
    can_write: bool
    # For anonymous callers: the tenants opened to them, by name, with their mode.
    anonymous_tenants: dict[str, str] | None = None
    # The member's tenant when it was read with the token (None: to read, or to create).
    member_tenant: Tenant | None = None

    @property
    def is_anonymous(self) -> bool:
        return self.role is None

    @property
    def is_operator_staff(self) -> bool:
        return self.role in OPERATOR_ROLES


# The member's tenant, read in the token's query: its columns as `Tenant.from_db` takes them.
_TENANT_COLUMNS = ("id", "operator_id", "member_id", "name", "created_at")
_TENANT_LOOKUPS = tuple(f"membership__member__datahub_tenant__{column}" for column in _TENANT_COLUMNS)


def _token_caller(header: str) -> Caller:
    """The token's caller, its member's tenant with it: one query of plain values, read on
    every request (a revoked token, a removed membership, a changed role count from the
    next one). Model instances of the token, membership, user and member cost 2 ms a
    request, the tenant's own query 0.7 ms (docs/benchmarks-history.md, nineteenth session)."""
    credentials = tokens.bearer_credentials(header)
    if credentials is None:
        raise NotAuthorized("The Authorization header must carry a Bearer API token (Bearer mut_…).")
    try:
        grant = tokens.grant(credentials, also=_TENANT_LOOKUPS)
    except tokens.TokenRefusedError as refused:
        if refused.reason is tokens.Refusal.MALFORMED:
            raise NotAuthorized("Malformed API token: expected mut_<key id>_<secret>.") from None
        raise NotAuthorized("Unknown, expired or revoked API token.") from None
    tenant_values = [grant.also[lookup] for lookup in _TENANT_LOOKUPS]
    member_tenant = None
    if tenant_values[0] is not None:
        member_tenant = Tenant.from_db(router.db_for_read(Tenant), list(_TENANT_COLUMNS), tenant_values)
    return Caller(
        role=grant.role,
        operator_id=grant.operator_id,
        member_id=grant.member_id,
        can_write=grant.can_write,
        member_tenant=member_tenant,
    )


def authenticate(request: HttpRequest) -> Caller:
    """The caller of `request`: an API token, the session (reads only), or anonymous.

    The session is honoured for safe methods only: a browser that is logged in may read
    the API, but writes need a token, so that no other site can make a visitor's browser
    write (the NGSI-LD views are exempt from CSRF checks, which only tokens make safe).
    """
    header = request.headers.get("Authorization", "")
    if header:
        return _token_caller(header)
    if request.method in SAFE_METHODS and isinstance(request.user, User):
        scope = getattr(request, "scope", None)
        membership = scope.membership if scope is not None else None
        if membership is not None:
            return Caller(
                role=membership.role,
                operator_id=membership.operator_id,
                member_id=membership.member_id,
                can_write=False,
            )
    opened = _logged(anonymous_tenants)
    if opened:
        return Caller(role=None, operator_id=None, member_id=None, can_write=False, anonymous_tenants=opened)
    raise NotAuthorized("Authentication required: send an API token as `Authorization: Bearer mut_…`.")


class AnonymousAccessError(NgsiLdError):
    """The settings of anonymous access cannot be applied: the server is at fault, not the
    request, hence a 503 (and a start-up check, `datahub.checks`) rather than a crash."""

    error_type, status, title = "InternalError", 503, "Anonymous access misconfigured"

    def __init__(self, detail: str, *, code: str):
        super().__init__(detail)
        self.code = code  # which problem, for the system check: modes, several, unknown, none


def anonymous_tenants() -> dict[str, str]:
    """`DATAHUB_ANONYMOUS_TENANTS`: tenant name ("" for the shared space) → "read" or "read-write"."""
    opened: dict[str, str] = dict(getattr(settings, "DATAHUB_ANONYMOUS_TENANTS", {}) or {})
    for name, mode in opened.items():
        if mode not in (READ, READ_WRITE):
            raise AnonymousAccessError(
                f"DATAHUB_ANONYMOUS_TENANTS[{name!r}] must be 'read' or 'read-write', not {mode!r}: "
                "correct it in the settings (MUTUALIS_DATAHUB_ANONYMOUS_TENANTS).",
                code="modes",
            )
    return opened


def anonymous_operator() -> Operator:
    """The operator whose tenants anonymous access opens: `DATAHUB_ANONYMOUS_OPERATOR` (a
    slug), or the only operator of the installation. AnonymousAccessError (503,
    naming the setting to change) when neither designates one."""
    slug = getattr(settings, "DATAHUB_ANONYMOUS_OPERATOR", "")
    if slug:
        operator = Operator.objects.filter(slug=slug).first()
        if operator is None:
            raise AnonymousAccessError(
                f"DATAHUB_ANONYMOUS_OPERATOR names the operator {slug!r}, which does not exist: set "
                "MUTUALIS_DATAHUB_ANONYMOUS_OPERATOR to the slug of an existing operator.",
                code="unknown",
            )
        return operator
    operators = list(Operator.objects.order_by("pk")[:2])
    if not operators:
        raise AnonymousAccessError(
            "DATAHUB_ANONYMOUS_TENANTS opens tenants to anonymous callers, but no operator exists "
            "yet: create the operator (or load the demo data) first.",
            code="none",
        )
    if len(operators) > 1:
        raise AnonymousAccessError(
            "DATAHUB_ANONYMOUS_TENANTS opens tenants to anonymous callers, but this installation has "
            "several operators and DATAHUB_ANONYMOUS_OPERATOR is empty: set "
            "MUTUALIS_DATAHUB_ANONYMOUS_OPERATOR to the slug of the operator whose tenants are opened.",
            code="several",
        )
    return operators[0]


def _logged(setting: Callable[[], T]) -> T:
    """A setting read for a request: when misconfigured, logged for the administrators (the
    caller gets the 503 ProblemDetails)."""
    try:
        return setting()
    except AnonymousAccessError as exc:
        logger.error("NGSI-LD anonymous access refused: %s", exc.detail)
        raise


def _nonexistent(name: str) -> NonexistentTenant:
    return NonexistentTenant(f"Tenant {name!r} does not exist, or this caller may not use it.")


def _operator_tenant(operator_id: int, name: str) -> Tenant | None:
    """A tenant of the operator by name; a member's tenant is created on first use."""
    if name == DEFAULT_TENANT:
        return shared_tenant(operator_id)
    if len(name) > MAX_TENANT_NAME or not name.isprintable():
        return None  # no tenant has such a name (and PostgreSQL refuses NUL in a query)
    tenant = Tenant.objects.filter(operator_id=operator_id, name=name).first()
    if tenant is not None:
        return tenant
    # The member's tenant may not exist yet: find the member the name is derived from.
    # Only on a miss, and members are counted in hundreds per operator.
    members = Member.objects.filter(operator_id=operator_id, datahub_tenant__isnull=True).select_related(
        "commune", "departement", "epci"
    )
    for member in members:
        if member_tenant_name(member) == name:
            return tenant_for_member(member)
    return None


def resolve_tenant(caller: Caller, name: str | None) -> Tenant:
    """The tenant the `NGSILD-Tenant` header names (NGSI-LD 6.3.14), for this caller.

    No header (or an empty one) is the caller's default tenant: their member's, or the
    operator's shared space for staff and anonymous callers.
    """
    name = (name or "").strip()
    if caller.role is None:
        opened = caller.anonymous_tenants or {}
        if name not in opened:
            # Anonymous callers learn nothing about closed tenants: they must log in.
            raise NotAuthorized(f"Authentication required to use tenant {name or '(default)'!r}.")
        tenant = _operator_tenant(_logged(anonymous_operator).pk, name)
        if tenant is None:
            raise _nonexistent(name)
        return tenant
    if caller.role in OPERATOR_ROLES and caller.operator_id is not None:
        tenant = _operator_tenant(caller.operator_id, name)
        if tenant is None:
            raise _nonexistent(name)
        return tenant
    if caller.member_id is None:  # a member role always has a member (Membership constraint)
        raise _nonexistent(name)
    tenant = caller.member_tenant or _member_tenant(caller.member_id)
    if name and name != tenant.name:
        raise _nonexistent(name)
    return tenant


def _member_tenant(member_id: int) -> Tenant:
    """The member's tenant, created on first use (it needs the member's name parts)."""
    tenant = Tenant.objects.filter(member_id=member_id).first()
    if tenant is not None:
        return tenant
    member = Member.objects.select_related("commune", "departement", "epci").get(pk=member_id)
    return tenant_for_member(member)


def may_write(caller: Caller, tenant: Tenant) -> bool:
    if caller.role is None:
        return (caller.anonymous_tenants or {}).get(tenant.name) == READ_WRITE
    return caller.can_write


def check_write(caller: Caller, tenant: Tenant) -> None:
    """403 for a caller who may read this tenant but not write in it."""
    if may_write(caller, tenant):
        return
    if caller.role is None:
        raise Forbidden(f"Tenant {tenant.name or '(default)'!r} is open to anonymous reads only.")
    raise Forbidden("This API token or role is read-only: it cannot create, change or delete data.")
