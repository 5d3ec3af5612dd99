"""Errors of the JSON APIs as problem details (RFC 9457, application/problem+json)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousMultipartForm,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.response import Response

from .database_outage import is_database_unavailable, log_outage, retry_after_seconds, unavailable_detail

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "https://mutualis.example/problems/"

_TITLES = {
    400: gettext_lazy("Bad request"),
    401: gettext_lazy("Authentication required"),
    403: gettext_lazy("Forbidden"),
    404: gettext_lazy("Not found"),
    405: gettext_lazy("Method not allowed"),
    406: gettext_lazy("Not acceptable"),
    409: gettext_lazy("Conflict"),
    413: gettext_lazy("Content too large"),
    415: gettext_lazy("Unsupported media type"),
    500: gettext_lazy("Server error"),
    429: gettext_lazy("Too many requests"),
    503: gettext_lazy("Service unavailable"),
}


def problem_body(
    status_code: int, detail: str, *, kind: str | None = None, errors: Any = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": TYPE_BASE + (kind or str(status_code)),
        "title": str(_TITLES.get(status_code, _("Error"))),
        "status": status_code,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return body


def problem_response(
    status_code: int,
    detail: str,
    *,
    kind: str | None = None,
    errors: Any = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body = problem_body(status_code, detail, kind=kind, errors=errors)
    return Response(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE, headers=headers)


def _flatten(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    """DRF's nested error dict as a flat list a client can show: field path and message."""
    if isinstance(detail, dict):
        out = []
        for key, value in detail.items():
            # Errors about the object as a whole have no field: DRF says "non_field_errors",
            # Django's model validation "__all__".
            field = key if key not in ("non_field_errors", "__all__") else ""
            out.extend(_flatten(value, f"{prefix}.{field}" if prefix and field else (field or prefix)))
        return out
    if isinstance(detail, list):
        out = []
        for index, value in enumerate(detail):
            nested = isinstance(value, dict | list) and not isinstance(value, str)
            out.extend(_flatten(value, f"{prefix}[{index}]" if nested else prefix))
        return out
    return [{"field": prefix, "message": str(detail)}]


# What Django refuses to read of a request (its other SuspiciousOperations are the
# server's own business, not the client's).
_UNREADABLE = (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent, SuspiciousMultipartForm)


def _refused_request(exc: Exception) -> Response:
    """What Django refuses to read (a body beyond DATA_UPLOAD_MAX_MEMORY_SIZE, too many form
    fields or files): DRF lets these through, and they became Django's HTML 400 page."""
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
        return problem_response(
            status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            _("The request body is larger than the %(size)s MB this API reads; send less at once.")
            % {"size": number_format(limit / 1024 / 1024, decimal_pos=1)},
        )
    return problem_response(status.HTTP_400_BAD_REQUEST, str(exc))


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    # Imported here: DRF's views module reads the API settings when first imported, and they
    # name this module's neighbour (mutualis.lib.content_negotiation), which imports this one.
    from rest_framework.views import exception_handler

    if isinstance(exc, _UNREADABLE):
        return _refused_request(exc)
    if is_database_unavailable(exc):
        # RFC 9110 §15.6.4 and §10.2.3: the database out of reach is a 503 the client
        # retries after Retry-After; any other database error stays a 500 (database_outage).
        log_outage(context["request"], exc)
        return problem_response(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            unavailable_detail(),
            kind="database-unavailable",
            headers={"Retry-After": str(retry_after_seconds())},
        )
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    headers = {k: v for k, v in response.headers.items() if k in ("WWW-Authenticate", "Retry-After", "Allow")}
    if isinstance(exc, exceptions.ValidationError):
        return problem_response(
            status.HTTP_400_BAD_REQUEST,
            _("The request contains invalid data; see errors."),
            kind="validation",
            errors=_flatten(exc.detail),
            headers=headers,
        )
    detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
    return problem_response(response.status_code, str(detail), headers=headers)


def is_api_request(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def problem_json(status_code: int, detail: str, *, kind: str | None = None) -> JsonResponse:
    """A problem document outside DRF's views (Django's own 404 and 500 handlers)."""
    return JsonResponse(
        problem_body(status_code, detail, kind=kind), status=status_code, content_type=PROBLEM_CONTENT_TYPE
    )
