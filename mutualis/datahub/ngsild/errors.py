# ruff: noqa: N818  (the class names are the error types of NGSI-LD 5.5.2, kept verbatim)
"""NGSI-LD errors as ProblemDetails (ETSI GS CIM 009 v1.8, 5.5.2 and 5.5.3, RFC 9457)."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse

PROBLEM_CONTENT_TYPE = "application/json"
ERROR_BASE = "https://uri.etsi.org/ngsi-ld/errors/"
# The language of the machine doors' ProblemDetails (NGSI-LD and HTTP ingestion), whatever
# the request's Accept-Language: English, as the error types of 5.5.2 are and as other
# NGSI-LD brokers answer. Their clients are programs and devices that key on `type`; a
# `detail` is read by an integrator in a log, quoted to support and searched for, and is
# the same in a dead letter as in the answer (docs/ngsi-ld.md, "Language of errors"). A
# sentence shared with the REST API (the database out of reach) is said in it too.
LANGUAGE = "en"


class NgsiLdError(Exception):
    """An error the API answers with; subclasses carry the type and status of 5.5.2."""

    error_type = "InternalError"
    status = 500
    title = "Internal error"

    def __init__(self, detail: str, *, title: str | None = None, extra: dict[str, Any] | None = None):
        super().__init__(detail)
        self.detail = detail
        if title:
            self.title = title
        self.extra = extra or {}

    @property
    def type_uri(self) -> str:
        return ERROR_BASE + self.error_type

    def as_problem(self) -> dict[str, Any]:
        return {
            "type": self.type_uri,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            **self.extra,
        }

    def response(self) -> HttpResponse:
        # 6.3.5: errors are sent as application/json (the ProblemDetails of RFC 9457).
        response = HttpResponse(
            json.dumps(self.as_problem(), ensure_ascii=False),
            status=self.status,
            content_type=PROBLEM_CONTENT_TYPE,
        )
        # RFC 9110 8.5: the language the title and detail are in. Django's LocaleMiddleware
        # would otherwise label them with the language it activated (French by default).
        response["Content-Language"] = LANGUAGE
        return response


class InvalidRequest(NgsiLdError):
    error_type, status, title = "InvalidRequest", 400, "Invalid request"


class BadRequestData(NgsiLdError):
    error_type, status, title = "BadRequestData", 400, "Bad request data"


class AlreadyExists(NgsiLdError):
    error_type, status, title = "AlreadyExists", 409, "Already exists"


class OperationNotSupported(NgsiLdError):
    error_type, status, title = "OperationNotSupported", 422, "Operation not supported"


class ResourceNotFound(NgsiLdError):
    error_type, status, title = "ResourceNotFound", 404, "Resource not found"


class NonexistentTenant(NgsiLdError):
    error_type, status, title = "NonexistentTenant", 404, "Nonexistent tenant"


class LdContextNotAvailable(NgsiLdError):
    # 5.5.2: a remote @context that cannot be retrieved is a 503.
    error_type, status, title = "LdContextNotAvailable", 503, "JSON-LD context not available"


class NotAuthorized(NgsiLdError):
    # Not in the core error list before 1.8; used for missing or insufficient credentials.
    error_type, status, title = "NotAuthorized", 401, "Not authorized"


class Forbidden(NgsiLdError):
    error_type, status, title = "NotAuthorized", 403, "Forbidden"


class TooManyResults(NgsiLdError):
    error_type, status, title = "TooManyResults", 403, "Too many results"


class PayloadTooLarge(NgsiLdError):
    # Oversize bodies and batches: 413 with the limit in the detail.
    error_type, status, title = "BadRequestData", 413, "Payload too large"


class UnsupportedMediaType(NgsiLdError):
    error_type, status, title = "InvalidRequest", 415, "Unsupported media type"


class NotAcceptable(NgsiLdError):
    error_type, status, title = "InvalidRequest", 406, "Not acceptable"


class MethodNotAllowed(NgsiLdError):
    error_type, status, title = "InvalidRequest", 405, "Method not allowed"


class ServiceUnavailable(NgsiLdError):
    """The database out of reach (mutualis.lib.database_outage): 503 with Retry-After (RFC
    9110 §15.6.4, §10.2.3). 5.5.2 has no error type for it (its only 503 is
    LdContextNotAvailable, about a remote @context): InternalError, the broker's own
    failure, with the status that tells the client to retry."""

    error_type, status, title = "InternalError", 503, "Service unavailable"

    def __init__(self, detail: str, *, retry_after: int):
        super().__init__(detail)
        self.retry_after = retry_after

    def response(self) -> HttpResponse:
        response = super().response()
        response["Retry-After"] = str(self.retry_after)
        return response
