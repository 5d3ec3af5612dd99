"""/ngsi-ld/v1/jsonldContexts: the @context management API (NGSI-LD 1.8, 5.13 and 6.29).

Contexts are vocabulary, not member data: every authenticated caller may list and read
them, whatever its tenant. A caller with the right to write may add one (the broker then
hosts it, 5.13.2); deleting one is for the operator's staff, because a stored context is
shared by every tenant and deleting it breaks everyone who names it.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.http import HttpResponse
from django.urls import path, re_path
from django.utils import timezone

from mutualis.datahub.models import StoredContext
from mutualis.datahub.ngsild import context_fetch
from mutualis.datahub.ngsild.context import CORE_CONTEXT_URL, IMPLICIT_PREFIX, active_context, clear_caches
from mutualis.datahub.ngsild.errors import (
    BadRequestData,
    Forbidden,
    InvalidRequest,
    PayloadTooLarge,
    ResourceNotFound,
    UnsupportedMediaType,
)
from mutualis.datahub.ngsild.http import JSON, JSON_LD, NgsiRequest, methods, ngsild_view
from mutualis.datahub.ngsild.timestamps import format_instant
from mutualis.lib.json_input import MAX_DEPTH, strict_loads

# 5.13.3: the kinds of stored contexts.
HOSTED, CACHED, IMPLICIT = "Hosted", "Cached", "ImplicitlyCreated"
KINDS = (HOSTED, CACHED, IMPLICIT)


def _json(data: Any, *, status: int = 200, content_type: str = JSON) -> HttpResponse:
    return HttpResponse(json.dumps(data, ensure_ascii=False), status=status, content_type=content_type)


def _flag(nr: NgsiRequest, name: str) -> bool:
    value = nr.params.get(name, "false").lower()
    if value not in ("true", "false"):
        raise BadRequestData(f"Parameter {name} must be true or false, not {value!r}.")
    return value == "true"


def _stored_kind(stored: StoredContext) -> str:
    if not context_fetch.is_hosted(stored.url):
        return CACHED
    return IMPLICIT if _local_id(stored).startswith(IMPLICIT_PREFIX) else HOSTED


def _local_id(stored: StoredContext) -> str:
    return stored.url[len(context_fetch.hosted_prefix()) :]


def _stored_details(stored: StoredContext) -> dict[str, Any]:
    kind = _stored_kind(stored)
    details: dict[str, Any] = {
        "URL": stored.url,
        "kind": kind,
        "createdAt": format_instant(stored.fetched_at),
    }
    if kind == CACHED:
        details["expiresAt"] = format_instant(stored.expires_at)
    else:
        details["localId"] = _local_id(stored)
    details["size"] = stored.size
    return details


def _shipped_details(shipped: context_fetch.ShippedContext) -> dict[str, Any]:
    # Shipped documents behave as cached ones that never expire and are never fetched.
    return {
        "URL": shipped.url,
        "localId": shipped.local_id,
        "kind": CACHED,
        "title": shipped.title,
        "aliases": list(shipped.urls[1:]),
    }


def _find(context_id: str) -> context_fetch.ShippedContext | StoredContext:
    """A context by its local id or its URL (6.29.3.1: contextId)."""
    shipped = context_fetch.shipped_context(context_id)
    if shipped is not None:
        return shipped
    stored = (
        None  # no stored URL holds a NUL character, and PostgreSQL refuses one in a query
        if "\x00" in context_id
        else StoredContext.objects.filter(url__in=[context_id, context_fetch.hosted_url(context_id)]).first()
    )
    if stored is None:
        raise ResourceNotFound(f"No @context {context_id!r} is stored or hosted by this broker.")
    return stored


@ngsild_view(tenant_required=False)
def context_list(nr: NgsiRequest) -> HttpResponse:
    """5.13.3 / 6.29.3.2: the shipped, cached and hosted contexts, as URLs or details."""
    details = _flag(nr, "details")
    kind = nr.params.get("kind")
    if kind is not None and kind not in KINDS:
        raise BadRequestData(f"Parameter kind must be one of {', '.join(KINDS)}, not {kind!r}.")
    rows: list[dict[str, Any]] = []
    if kind in (None, CACHED):
        rows.extend(_shipped_details(shipped) for shipped in context_fetch.shipped_contexts())
    for stored in StoredContext.objects.order_by("url"):
        row = _stored_details(stored)
        if kind is None or row["kind"] == kind:
            rows.append(row)
    return _json(rows if details else [row["URL"] for row in rows])


def _read_body(nr: NgsiRequest) -> Any:
    """The posted context document: JSON, at most DATAHUB_CONTEXT_MAX_BYTES (a larger one
    could not be fetched either)."""
    media = (nr.request.content_type or "").lower()
    if media not in (JSON, JSON_LD):
        raise UnsupportedMediaType(
            f"Content-Type {media or '(none)'!r} is not supported here; send {JSON_LD}."
        )
    limit = context_fetch.max_bytes()
    data = nr.request.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"The @context document exceeds the limit of {limit} bytes.")
    try:
        document = strict_loads(data)  # no number beyond a double, no nesting past the limit
    except ValueError as error:  # UnicodeDecodeError and JSONDecodeError included
        raise InvalidRequest(f"The request body is not valid JSON: {error}.") from None
    if _has_nul(document):
        # No database stores a NUL character in JSON text (PostgreSQL's jsonb refuses it).
        raise BadRequestData("The @context document must not contain a NUL character (\\u0000).")
    return document


def _has_nul(value: Any, depth: int = 0) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if depth > MAX_DEPTH:  # strict_loads bounds the nesting already; this only keeps the walk finite
        return False
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(item, depth + 1) for item in value)
    return False


# The body is read by the view, not the decorator: here "@context" is the payload itself,
# which the edge's 6.3.5 rules (no "@context" in a JSON body) would refuse.
@ngsild_view(write=True, tenant_required=False)
def context_add(nr: NgsiRequest) -> HttpResponse:
    """5.13.2 / 6.29.3.1: host a client's context; 201 with its URL in Location."""
    document = _read_body(nr)
    if not isinstance(document, dict) or "@context" not in document:
        raise BadRequestData('The body must be a JSON-LD document with an "@context" member.')
    # Only a context that works is hosted: processing it reports invalid definitions and
    # unreachable remote contexts now rather than to whoever uses it later.
    active_context(document["@context"])
    local_id = uuid.uuid4().hex
    stored = context_fetch.host_context(
        local_id=local_id, document={"@context": document["@context"]}, now=timezone.now()
    )
    response = _json({"URL": stored.url, "localId": local_id}, status=201)
    response["Location"] = stored.url
    return response


@ngsild_view(tenant_required=False)
def context_detail(nr: NgsiRequest, context_id: str) -> HttpResponse:
    """5.13.4 / 6.29.3.3: the document itself (application/ld+json), or its details."""
    found = _find(context_id)
    if isinstance(found, context_fetch.ShippedContext):
        if _flag(nr, "details"):
            return _json(_shipped_details(found))
        return _json(context_fetch.shipped_document(found.local_id), content_type=JSON_LD)
    if _flag(nr, "details"):
        return _json(_stored_details(found))
    return _json(found.document, content_type=JSON_LD)


@ngsild_view(write=True, tenant_required=False)
def context_delete(nr: NgsiRequest, context_id: str) -> HttpResponse:
    """5.13.5 / 6.29.3.4: forget a cached context or stop hosting one."""
    found = _find(context_id)
    if isinstance(found, context_fetch.ShippedContext):
        what = (
            "the NGSI-LD core context"
            if found.url == CORE_CONTEXT_URL
            else "a context shipped with the broker"
        )
        raise BadRequestData(f"{found.url} is {what}; it cannot be deleted.")
    if nr.caller is None or not nr.caller.is_operator_staff:
        raise Forbidden(
            "Only the operator's staff may delete a stored @context: contexts are shared by every tenant."
        )
    found.delete()
    # Built contexts may include this document: rebuild them from what remains.
    clear_caches()
    return HttpResponse(status=204)


urlpatterns = [
    path("jsonldContexts", methods(GET=context_list, POST=context_add), name="context-list"),
    # Any character, line breaks included (a <path:> stops at them): an odd id is then a
    # ResourceNotFound problem, not the site's HTML 404.
    re_path(
        r"^jsonldContexts/(?P<context_id>[\s\S]+)\Z",
        methods(GET=context_detail, DELETE=context_delete),
        name="context-detail",
    ),
]
