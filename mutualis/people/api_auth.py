"""API authentication by token: `Authorization: Bearer mut_<key id>_<secret>`.

The token acts for exactly one membership; authenticating it also resolves the request's
scope (the tenancy door), so API views read `request.scope` like pages do.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from . import tokens
from .models import ApiToken, User
from .tenancy import Scope


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = tokens.SCHEME

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        credentials = tokens.bearer_credentials(header) if header else None
        if credentials is None:
            return None  # another scheme: another authenticator's, or none
        try:
            token = tokens.verify(credentials)
        except tokens.TokenRefusedError as refused:
            if refused.reason is tokens.Refusal.MALFORMED:
                raise exceptions.AuthenticationFailed(_("Malformed API token.")) from None
            raise exceptions.AuthenticationFailed(_("Unknown, expired or revoked API token.")) from None
        membership = token.membership
        request._request.scope = Scope.for_membership(  # type: ignore[attr-defined]
            membership, token_read_only=not token.can_write
        )
        return membership.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword
