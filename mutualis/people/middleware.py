from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from .models import User
from .tenancy import SESSION_KEY, Scope, resolve_scope


class ScopeMiddleware:
    """Resolve the acting membership once per request and put it on `request.scope`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        scope = Scope.anonymous()
        if isinstance(user, User):
            scope = resolve_scope(user, request.session.get(SESSION_KEY))
        request.scope = scope  # type: ignore[attr-defined]  # the attribute ScopedRequest declares
        return self.get_response(request)


def remember_language(response: HttpResponse, language: str) -> None:
    """Switch this response to `language` and keep it for the next requests (cookie read
    by LocaleMiddleware)."""
    translation.activate(language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        httponly=False,
    )
