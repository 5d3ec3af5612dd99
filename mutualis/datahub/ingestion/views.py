"""HTTP ingestion for devices that cannot speak MQTT: the compact form, one POST per batch.

    POST /ingest/v1/observations
    Authorization: Bearer <API token of the tenant, read-write>
    NGSILD-Tenant: <tenant>            (optional: the token's own tenant by default)
    Content-Type: application/json
    [{"sensor": "...", "observedAt": "...", "values": {...}}, ...]

The same path as MQTT messages (`receive.ingest_batch`): good readings are written,
refused ones kept as dead letters and listed in the answer: 200 when all were written,
207 when some were refused, 400 when none could be.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt

from mutualis.datahub.models import IngestionSource
from mutualis.datahub.ngsild.errors import (
    BadRequestData,
    NgsiLdError,
    PayloadTooLarge,
    ResourceNotFound,
    UnsupportedMediaType,
)
from mutualis.datahub.ngsild.http import NgsiRequest, as_error_of, declared_length, methods, ngsild_view

from .compact import MAX_MESSAGE_BYTES
from .receive import OBSERVATIONS, Message, ingest_batch


class LengthRequired(NgsiLdError):  # noqa: N818 (named like the NGSI-LD errors, after the status)
    # RFC 9110 15.5.12; NGSI-LD has no error type of its own for it.
    error_type, status, title = "InvalidRequest", 411, "Length required"


@ngsild_view(write=True)
def post_observations(nr: NgsiRequest) -> HttpResponse:
    request = nr.request
    media = (request.content_type or "").lower()
    if media != "application/json":
        raise UnsupportedMediaType(
            f"Content-Type {media or '(none)'!r} is not supported; send application/json."
        )
    if not request.headers.get("Content-Length") and request.headers.get("Transfer-Encoding"):
        # A WSGI application reads a body of the length declared, and a chunked one has
        # none: Django would read it as empty and the readings would be refused as "not
        # JSON" with nothing to show for them.
        raise LengthRequired(
            "The body was sent without a Content-Length (chunked transfer encoding); send it "
            "with its Content-Length."
        )
    length = declared_length(request)
    if length > MAX_MESSAGE_BYTES:
        raise PayloadTooLarge(
            f"The body has {length} bytes; the limit is {MAX_MESSAGE_BYTES} bytes per request."
        )
    message = Message(
        tenant_name=nr.tenant.name,
        kind=OBSERVATIONS,
        payload=request.body,
        source=IngestionSource.HTTP,
        topic=request.path,
        tenant=nr.tenant,
    )
    report = ingest_batch(operator_id=nr.tenant.operator_id, messages=[message])
    body = {"written": report.observations, "rejected": report.rejected, "errors": report.refusals}
    if report.rejected == 0:
        return JsonResponse(body, status=200)
    if report.observations:
        return JsonResponse(body, status=207)
    problem = BadRequestData(
        f"None of the readings could be written ({report.rejected} refused); see errors.", extra=body
    ).response()
    return problem


@csrf_exempt
def no_such_resource(request: HttpRequest, path: str) -> HttpResponse:
    """Any other address under /ingest/v1/: a ProblemDetails in the door's language, as the
    NGSI-LD door answers (mutualis.datahub.views.unknown), not the site's French HTML page
    that a device would log as a page of markup."""
    error = ResourceNotFound(
        f"No ingestion resource at {request.path}; POST readings to /ingest/v1/observations."
    )
    return as_error_of(error.response(), request)


app_name = "ingest"
urlpatterns = [
    path("observations", methods(POST=post_observations), name="observations"),
    re_path(r"^(?P<path>.*)$", no_such_resource, name="no-such-resource"),
]
