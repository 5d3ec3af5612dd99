"""Verifying an API token sent as `Authorization: Bearer mut_<key id>_<secret>`.

One verifier for both doors that take tokens, the REST APIs (`api_auth`) and the NGSI-LD
API (`datahub.access`), so that what a token is, how it is looked up and when it is
refused cannot drift apart between them. Each door words the refusal its own way (the
REST APIs in the user's language, NGSI-LD in its ProblemDetails); the reason is shared.
"""

from __future__ import annotations

import enum
import hmac
from datetime import timedelta

from django.utils import timezone

from .models import TOKEN_PREFIX, ApiToken

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


def verify(credentials: str) -> ApiToken:
    """The usable token these credentials prove, with its membership, user, operator and
    member loaded; `TokenRefusedError` otherwise. Records the use (to the minute)."""
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
    token = (
        ApiToken.objects.usable()
        .select_related("membership__user", "membership__operator", "membership__member")
        .filter(key_id=key_id)
        .first()
    )
    # An unknown key id and a wrong secret get the same refusal: the key id is public,
    # only the secret proves anything.
    if token is None or not hmac.compare_digest(token.digest, ApiToken.hash_secret(secret)):
        raise TokenRefusedError(Refusal.UNKNOWN)
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
