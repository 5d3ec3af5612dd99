from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def member_area(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged in and acting through a membership; without one, say whom to ask."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.scope.membership is None:  # type: ignore[attr-defined]
            return render(request, "web/no_membership.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def operator_staff_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @member_area
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.scope.is_operator_staff:  # type: ignore[attr-defined]
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def operator_admin_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @member_area
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.scope.is_operator_admin:  # type: ignore[attr-defined]
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
