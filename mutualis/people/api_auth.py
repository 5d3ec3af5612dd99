"""API authentication by token: `Authorization: Bearer mut_<key id>_<secret>`.

The token acts for exactly one membership; authenticating it also resolves the request's
scope (the tenancy door), so API views read `request.scope` like pages do.
"""

from __future__ import annotations

import hmac
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from .models import TOKEN_PREFIX, ApiToken, User
from .tenancy import Scope

# Writing last_used_at on every call would turn every read into a write; a minute's
# precision is enough to see which tokens are alive.
LAST_USED_PRECISION = timedelta(minutes=1)


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _sep, credentials = header.partition(" ")
        # RFC 9110 11.1: the scheme's name is case-insensitive ("bearer" is "Bearer").
        if keyword.lower() != self.keyword.lower():
            return None
        prefix, _sep, rest = credentials.strip().partition("_")
        key_id, _sep, secret = rest.partition("_")
        if prefix != TOKEN_PREFIX or not key_id or not secret:
            raise exceptions.AuthenticationFailed(_("Malformed API token."))
        token = (
            ApiToken.objects.usable()
            .select_related("membership__user", "membership__operator", "membership__member")
            .filter(key_id=key_id)
            .first()
        )
        if token is None or not hmac.compare_digest(token.digest, ApiToken.hash_secret(secret)):
            raise exceptions.AuthenticationFailed(_("Unknown, expired or revoked API token."))
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        membership = token.membership
        request._request.scope = Scope.for_membership(  # type: ignore[attr-defined]
            membership, token_read_only=not token.can_write
        )
        return membership.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword
