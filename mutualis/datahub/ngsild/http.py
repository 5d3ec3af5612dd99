"""The HTTP edge every NGSI-LD view stands behind (NGSI-LD 6.3).

`ngsild_view` does, once per request and in this order: authentication and tenant
resolution (`mutualis.datahub.access`, 6.3.14), the write right, content negotiation
(6.3.4: 415 / 406), the body size limit (413), JSON parsing, and the @context (6.3.5).
Views get an `NgsiRequest` and raise `NgsiLdError`s; the decorator turns them into
ProblemDetails (5.5.2). Nothing unexpected leaks as an HTML page: it is logged and
answered as an InternalError problem, a 503 with Retry-After when the database is out of
reach (mutualis.lib.database_outage), a 500 otherwise.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt

from mutualis.datahub import access
from mutualis.datahub.bulk import collector_held
from mutualis.datahub.models import Tenant
from mutualis.lib.accept import accept_ranges
from mutualis.lib.database_outage import (
    is_database_unavailable,
    log_outage,
    retry_after_seconds,
    unavailable_detail,
)
from mutualis.lib.json_input import MAX_DEPTH
from mutualis.lib.numbers import whole_number
from mutualis.lib.query_strings import repeated_parameters
from mutualis.lib.storable_text import is_storable

from . import fastjson
from .context import ActiveContext, context_from_request, core_context, link_header_for
from .errors import LANGUAGE as ERRORS_LANGUAGE
from .errors import (
    BadRequestData,
    InvalidRequest,
    MethodNotAllowed,
    NgsiLdError,
    NotAcceptable,
    PayloadTooLarge,
    ResourceNotFound,
    ServiceUnavailable,
    UnsupportedMediaType,
)

logger = logging.getLogger(__name__)

JSON = "application/json"
JSON_LD = "application/ld+json"
GEO_JSON = "application/geo+json"
MERGE_PATCH = "application/merge-patch+json"
# RFC 9457's media type: what a client accepting only errors asks for (see negotiate_accept).
PROBLEM_JSON = "application/problem+json"
DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024

View = Callable[..., HttpResponse]


@dataclass
class NgsiRequest:
    """One NGSI-LD request, resolved: who (tenant, right to write), in which @context,
    what was sent (the parsed JSON body) and what is wanted back (`accept`)."""

    request: HttpRequest
    tenant: Tenant
    can_write: bool
    ctx: ActiveContext
    body: Any
    accept: str
    caller: access.Caller | None = None

    @property
    def params(self) -> Any:
        return self.request.GET


def _media_type(header: str) -> str:
    return header.split(";", 1)[0].strip().lower()


def negotiate_accept(header: str | None, *, geo: bool) -> str:
    """The answer's media type (6.3.4): the client's preferred acceptable one by q-value;
    `*/*`, `application/*` or no header mean application/json.

    A client accepting none of them but application/problem+json (RFC 9457) gets
    PROBLEM_JSON: it is told of its request's errors, and a success is a 406 (see
    `ngsild_view`)."""
    offered = [JSON, JSON_LD] + ([GEO_JSON] if geo else [])
    if not header or not header.strip():
        return JSON
    ranges = accept_ranges(header)
    for _quality, _position, media in ranges:
        if media in offered:
            return media
        if media in ("*/*", "application/*"):
            return JSON
    if any(media == PROBLEM_JSON for _quality, _position, media in ranges):
        return PROBLEM_JSON
    raise NotAcceptable(_not_acceptable_detail(header, offered))


def _not_acceptable_detail(header: str, offered: list[str]) -> str:
    return (
        f"None of the media types in Accept ({header[:200]}) can be produced here; use one of "
        f"{', '.join(offered)} (errors come as {JSON}, or as {PROBLEM_JSON} to a client that accepts "
        "only that)."
    )


def error_media_type(header: str | None) -> str:
    """The media type of an error (ProblemDetails): application/json (6.3.5), unless the
    client's Accept leaves it out and names application/problem+json (RFC 9457)."""
    if not header or not header.strip():
        return JSON
    ranges = [media for _quality, _position, media in accept_ranges(header)]
    if PROBLEM_JSON in ranges and not any(media in (JSON, "application/*", "*/*") for media in ranges):
        return PROBLEM_JSON
    return JSON


def as_error_of(response: HttpResponse, request: HttpRequest) -> HttpResponse:
    """An error response labelled with `error_media_type` of the request's Accept."""
    if response.status_code >= 400 and _media_type(response.get("Content-Type", "")) == JSON:
        response["Content-Type"] = error_media_type(request.headers.get("Accept"))
    return response


def max_body_bytes() -> int:
    return int(getattr(settings, "DATAHUB_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES))


def declared_length(request: HttpRequest) -> int:
    """The body's length as its Content-Length declares it (0 without one); InvalidRequest
    when the header is not a number of bytes (RFC 9110 §8.6: 1*DIGIT). int() read "1e3",
    "abc", "²" or 5,000 digits with a ValueError (a 500 where Django reads `request.body`,
    which calls int() on it again), and " 10" or "１０" as ten."""
    header = request.META.get("CONTENT_LENGTH") or ""
    if not header:
        return 0
    length = whole_number(header)
    if length is None:
        raise InvalidRequest(f"Content-Length {header[:40]!r} is not a number of bytes in digits 0-9.")
    return length


def _read_body(request: HttpRequest) -> bytes:
    """The raw body, refused beyond DATAHUB_MAX_BODY_BYTES (413).

    Read from the stream rather than `request.body`, whose limit is Django's smaller
    DATA_UPLOAD_MAX_MEMORY_SIZE meant for forms: a batch of a thousand observations is
    larger than that.
    """
    limit = max_body_bytes()
    declared = declared_length(request)
    if declared > limit:
        raise PayloadTooLarge(f"The request body ({declared} bytes) exceeds the limit of {limit} bytes.")
    data = request.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"The request body exceeds the limit of {limit} bytes.")
    return data


# A NUL or a UTF-16 surrogate reaches a JSON string only as an escape (raw, the first is
# invalid JSON and the second invalid UTF-8); a body without these escapes needs no walk.
_UNSTORABLE_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89abcdefABCDEF])")
_WHAT = "a NUL character (\\u0000) or a lone UTF-16 surrogate, which the hub cannot store"


def _check_storable(value: Any) -> None:
    """BadRequestData naming the first key or string of `value` that is not storable text;
    walked without recursion (the depth is checked apart)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                if not is_storable(key):
                    raise BadRequestData(f"The member name {key!r} holds {_WHAT}.")
                stack.append(child)
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str) and not is_storable(item):
            raise BadRequestData(f"The value {item[:80]!r} holds {_WHAT}.")


def _check_parameters(request: HttpRequest, kwargs: dict[str, Any]) -> None:
    """The query string and the ids in the address, storable text only (lib.storable_text):
    each is compared with stored text, which PostgreSQL refused with a 500. And each
    parameter given once (`_check_repeated`)."""
    for name, values in request.GET.lists():
        for value in (name, *values):
            if not is_storable(value):
                raise BadRequestData(f"The query parameter {name!r} holds {_WHAT}.")
    _check_repeated(request)
    for value in kwargs.values():
        # No entity, subscription or @context has such an id: the 404 of any unknown one.
        if isinstance(value, str) and not is_storable(value):
            raise ResourceNotFound(f"Nothing here has the id {value!r}: ids hold no NUL character.")


def _check_repeated(request: HttpRequest) -> None:
    """BadRequestData naming a query parameter given more than once. QueryDict reads the
    last value of a repeated one: `?type=A&type=B` queried the entities of type B alone, to
    a client that meant either. NGSI-LD takes several values of a parameter as one list,
    comma-separated (`type=A,B`, `attrs=a,b`); none of its parameters is repeatable. For the
    HTTP ingestion door too, which stands behind `ngsild_view`."""
    for name, count in repeated_parameters(request.GET).items():
        raise BadRequestData(
            f"The query parameter {name!r} is given {count} times; give it once (several values are "
            "separated by commas where the parameter allows them)."
        )


def _parse_json(data: bytes) -> Any:
    try:
        parsed = fastjson.loads(data)
    except UnicodeDecodeError:
        raise InvalidRequest("The request body is not UTF-8 encoded JSON.") from None
    except json.JSONDecodeError as exc:
        raise InvalidRequest(
            f"The request body is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
        ) from None
    except ValueError as exc:  # NaN or Infinity (see fastjson.loads)
        raise InvalidRequest(f"The request body is not valid JSON: {exc}.") from None
    if _UNSTORABLE_ESCAPE.search(data):
        _check_storable(parsed)
    return parsed


def _check_content_type(request: HttpRequest, *, merge_patch: bool) -> str:
    """6.3.4: a body is JSON, JSON-LD, or (PATCH merge only) a JSON merge patch."""
    media = _media_type(request.content_type or request.headers.get("Content-Type", ""))
    allowed = [JSON, JSON_LD] + ([MERGE_PATCH] if merge_patch else [])
    if media not in allowed:
        raise UnsupportedMediaType(
            f"Content-Type {media or '(none)'!r} is not supported here; send one of {', '.join(allowed)}."
        )
    return media


def ngsild_view(
    *,
    write: bool = False,
    body: bool = False,
    tenant_required: bool = True,
    geo: bool = False,
    merge_patch: bool = False,
) -> Callable[[View], View]:
    """Wrap `view(nr: NgsiRequest, **kwargs)` with the NGSI-LD edge (see the module doc).

    `write`: the view changes data (403 for read-only callers); `body`: it reads a JSON
    body; `tenant_required`: it works in a tenant (False only for tenant-less resources,
    which then get the caller's default one anyway); `geo`: it can answer
    application/geo+json; `merge_patch`: it accepts application/merge-patch+json.
    """

    def decorate(view: View) -> View:
        def answer(request: HttpRequest, kwargs: dict[str, Any]) -> HttpResponse:
            try:
                nr = _resolve(
                    request,
                    kwargs,
                    write=write,
                    body=body,
                    tenant_required=tenant_required,
                    geo=geo,
                    merge_patch=merge_patch,
                )
                response = view(nr, **kwargs)
                if nr.accept == PROBLEM_JSON and response.status_code < 400:
                    # A read that went well, for a client accepting only errors.
                    offered = [JSON, JSON_LD] + ([GEO_JSON] if geo else [])
                    raise NotAcceptable(_not_acceptable_detail(request.headers.get("Accept", ""), offered))
                return as_error_of(response, request)
            except NgsiLdError as error:
                return as_error_of(error.response(), request)
            except RecursionError:
                # JSON nested deeper than the code walking it can follow (orjson reads 1,024
                # levels; repr, copies and merges stop sooner). Whatever was being written is
                # rolled back with its transaction.
                return as_error_of(
                    BadRequestData(
                        f"The request nests its JSON too deeply to be processed (at most {MAX_DEPTH} levels)."
                    ).response(),
                    request,
                )
            except Exception as error:
                if is_database_unavailable(error):
                    # A device or program retries after Retry-After; nothing was written.
                    log_outage(request, error)
                    with translation.override(ERRORS_LANGUAGE):
                        detail = unavailable_detail()
                    unavailable = ServiceUnavailable(detail, retry_after=retry_after_seconds())
                    return as_error_of(unavailable.response(), request)
                logger.exception("NGSI-LD request failed: %s %s", request.method, request.path)
                return as_error_of(
                    NgsiLdError("The broker failed to process this request; it has been logged.").response(),
                    request,
                )

        @wraps(view)
        def wrapped(request: HttpRequest, **kwargs: Any) -> HttpResponse:
            if not (body or write):
                return answer(request, kwargs)
            # The collector held for the whole of a write (see mutualis.datahub.bulk): held
            # only around parsing, normalizing and writing, it ran again between them and
            # after, each time walking the batch's objects, still alive: measured on the
            # bench's upsert of 1,000 entities, ~8 collections and ~9 ms a request. The
            # request's objects are freed when `answer` returns, before the collector is
            # back on.
            with collector_held():
                return answer(request, kwargs)

        return csrf_exempt(wrapped)

    return decorate


def _resolve(
    request: HttpRequest,
    kwargs: dict[str, Any],
    *,
    write: bool,
    body: bool,
    tenant_required: bool,
    geo: bool,
    merge_patch: bool,
) -> NgsiRequest:
    caller = access.authenticate(request)
    # Tenant-less resources (stored @contexts) ignore the header: the default tenant.
    header = request.headers.get(access.TENANT_HEADER) if tenant_required else None
    tenant = access.resolve_tenant(caller, header)
    _check_parameters(request, kwargs)
    if write:
        access.check_write(caller, tenant)
    accept = negotiate_accept(request.headers.get("Accept"), geo=geo)
    if accept == PROBLEM_JSON and write:
        # Its success could not be told in a type the client accepts: refused before
        # anything is written, once the caller is known and allowed to write.
        offered = [JSON, JSON_LD] + ([GEO_JSON] if geo else [])
        raise NotAcceptable(_not_acceptable_detail(request.headers.get("Accept", ""), offered))
    parsed: Any = None
    content_type = JSON
    if body:
        content_type = _check_content_type(request, merge_patch=merge_patch)
        raw = _read_body(request)
        if not raw.strip():
            raise InvalidRequest("This operation needs a JSON body; the request has none.")
        with collector_held():  # a batch body is tens of thousands of objects, no cycles
            parsed = _parse_json(raw)
    # A merge patch carries its @context like plain JSON does, in a Link header; so does a
    # body holding no JSON object (the id list of a batch delete), which has no place for one.
    if content_type == MERGE_PATCH or (
        isinstance(parsed, list) and not any(isinstance(item, dict) for item in parsed)
    ):
        content_type = JSON
    ctx = context_from_request(
        link_header=request.headers.get("Link"), content_type=content_type, body=parsed
    )
    return NgsiRequest(
        request=request,
        tenant=tenant,
        can_write=access.may_write(caller, tenant),
        ctx=ctx,
        body=parsed,
        accept=accept,
        caller=caller,
    )


def methods(**handlers: View) -> View:
    """One URL, one view per HTTP method (`methods(GET=…, POST=…)`); others get 405."""
    allowed = ", ".join(sorted(handlers))

    @csrf_exempt
    def dispatch(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        handler = handlers.get(request.method or "")
        if handler is None and request.method == "HEAD":
            handler = handlers.get("GET")
        if handler is None:
            response = MethodNotAllowed(
                f"{request.method} is not allowed on {request.path}; use {allowed}."
            ).response()
            response["Allow"] = allowed
            return as_error_of(response, request)
        return handler(request, **kwargs)

    return dispatch


def _with_context(data: Any, context: Any) -> Any:
    if isinstance(data, dict):
        return data if "@context" in data else {**data, "@context": context}
    if isinstance(data, list):
        return [_with_context(item, context) for item in data]
    return data


def json_response(
    nr: NgsiRequest, data: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> HttpResponse:
    """An NGSI-LD answer (6.3.6): application/json with the @context in a Link header, or
    application/ld+json with "@context" in each object, or application/geo+json."""
    ctx = nr.ctx if nr.ctx is not None else core_context()
    if nr.accept == JSON_LD:
        content_type = JSON_LD
        data = _with_context(data, ctx.response_context())
        link = None
    else:
        content_type = nr.accept if nr.accept == GEO_JSON else JSON
        link = link_header_for(ctx)
    response = HttpResponse(json.dumps(data, ensure_ascii=False), status=status, content_type=content_type)
    if link:
        response["Link"] = link
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def no_content(headers: dict[str, str] | None = None, *, status: int = 204) -> HttpResponse:
    response = HttpResponse(status=status)
    del response["Content-Type"]  # no body, no media type (not Django's text/html default)
    for name, value in (headers or {}).items():
        response[name] = value
    return response
