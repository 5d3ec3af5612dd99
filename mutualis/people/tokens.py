"""Verifying an API token sent as `Authorization: Bearer mut_<key id>_<secret>`.

One verifier for both doors that take tokens, the REST APIs (`api_auth`) and the NGSI-LD
API (`datahub.access`), so that what a token is, how it is looked up and when it is
refused cannot drift apart between them. Each door words the refusal its own way (the
REST APIs in the user's language, NGSI-LD in its ProblemDetails); the reason is shared.
"""

from __future__ import annotations

import enum
import functools
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models.functions import Now
from django.utils import timezone

from mutualis.lib.compiled_query import CompiledQuery

from .models import TOKEN_PREFIX, ApiToken
from .roles import READ_ONLY_ROLES

SCHEME = "Bearer"
# Writing last_used_at on every call would turn every read into a write; a minute's
# precision is enough to see which tokens are alive.
LAST_USED_PRECISION = timedelta(minutes=1)
# ApiToken.issue makes key ids of 12 hex digits; the column holds 16.
MAX_KEY_ID = ApiToken._meta.get_field("key_id").max_length or 16


class Refusal(enum.Enum):
    MALFORMED = "malformed"
    UNKNOWN = "unknown"  # unknown, expired, revoked, or its membership or user inactive


class TokenRefusedError(Exception):
    def __init__(self, reason: Refusal):
        super().__init__(reason.value)
        self.reason = reason


def bearer_credentials(header: str) -> str | None:
    """The credentials of an `Authorization` header of the Bearer scheme, else None.

    RFC 9110 11.1: the scheme's name is case-insensitive ("bearer" is "Bearer")."""
    scheme, _sep, credentials = header.partition(" ")
    if scheme.lower() != SCHEME.lower():
        return None
    return credentials.strip()


def _key_id(credentials: str) -> tuple[str, str]:
    """The key id and the secret of well-shaped credentials; MALFORMED otherwise."""
    prefix, _sep, rest = credentials.partition("_")
    key_id, _sep, secret = rest.partition("_")
    # The key id's shape is checked before it reaches the database: anything else, NUL
    # characters included (which PostgreSQL refuses in a query), cannot be a token.
    if (
        prefix != TOKEN_PREFIX
        or not secret
        or not key_id
        or not (key_id.isascii() and key_id.isalnum() and len(key_id) <= MAX_KEY_ID)
    ):
        raise TokenRefusedError(Refusal.MALFORMED)
    return key_id, secret


def _check_secret(digest: str, secret: str) -> None:
    # An unknown key id and a wrong secret get the same refusal: the key id is public,
    # only the secret proves anything.
    if not hmac.compare_digest(digest, ApiToken.hash_secret(secret)):
        raise TokenRefusedError(Refusal.UNKNOWN)


def _record_use(token_id: int, last_used_at: datetime | None) -> datetime | None:
    now = timezone.now()
    if last_used_at is None or now - last_used_at > LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token_id).update(last_used_at=now)
        return now
    return last_used_at


def verify(credentials: str) -> ApiToken:
    """The usable token these credentials prove, with its membership, user, operator and
    member loaded; `TokenRefusedError` otherwise. Records the use (to the minute).

    For the REST APIs, whose views read the scope's model instances; the NGSI-LD API,
    which needs a few columns only, takes `grant`."""
    key_id, secret = _key_id(credentials)
    token = (
        ApiToken.objects.usable()
        .select_related("membership__user", "membership__operator", "membership__member")
        .filter(key_id=key_id)
        .first()
    )
    if token is None:
        raise TokenRefusedError(Refusal.UNKNOWN)
    _check_secret(token.digest, secret)
    token.last_used_at = _record_use(token.pk, token.last_used_at)
    return token


@dataclass(frozen=True)
class Grant:
    """What a usable token lets its bearer do, as plain values: no model instance."""

    token_id: int
    user_id: int
    membership_id: int
    role: str
    operator_id: int
    member_id: int | None
    # The token's right to write, and its membership's role lets it write.
    can_write: bool
    # The columns the door asked for besides (`grant(…, also=…)`), by lookup.
    also: dict[str, Any]


_GRANT_FIELDS = (
    "pk",
    "digest",
    "last_used_at",
    "can_write",
    "membership__user_id",
    "membership_id",
    "membership__role",
    "membership__operator_id",
    "membership__member_id",
)


# A key id no token has (a NUL), in its place in the compiled query.
_KEY_ID_PLACEHOLDER = "\x00key id"


@functools.cache
def _grant_query(also: tuple[str, ...]) -> CompiledQuery:
    fields = _GRANT_FIELDS + also
    return CompiledQuery(
        lambda key_id: (
            ApiToken.objects.usable(now=Now()).filter(key_id=key_id).order_by().values_list(*fields)[:1]
        ),
        key_id=_KEY_ID_PLACEHOLDER,
    )


def grant(credentials: str, *, also: tuple[str, ...] = ()) -> Grant:
    """What these credentials may do, `TokenRefusedError` otherwise; records the use.

    The same checks as `verify` (`ApiToken.objects.usable()`, read on every request: a
    revoked or expired token, an inactive membership or user, a changed role count from
    the very next request), in one query of exactly the columns needed, `also` included
    (another table's columns reached from the token, such as the member's NGSI-LD
    tenant), compiled once (`CompiledQuery`). The four model instances of `verify`, and
    the QuerySet built for them, cost about 2 ms a request around a query PostgreSQL
    answers in 0.2 ms (docs/benchmarks-history.md, the request's fixed cost)."""
    key_id, secret = _key_id(credentials)
    row = _grant_query(also).first(key_id=key_id)
    if row is None:
        raise TokenRefusedError(Refusal.UNKNOWN)
    _check_secret(row[1], secret)
    token_id, _digest, last_used_at, can_write, user_id, membership_id, role, operator_id, member_id = row[
        : len(_GRANT_FIELDS)
    ]
    _record_use(token_id, last_used_at)
    return Grant(
        token_id=token_id,
        user_id=user_id,
        membership_id=membership_id,
        role=role,
        operator_id=operator_id,
        member_id=member_id,
        can_write=bool(can_write) and role not in READ_ONLY_ROLES,
        also=dict(zip(also, row[len(_GRANT_FIELDS) :], strict=True)),
    )
