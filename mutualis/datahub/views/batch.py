"""/entityOperations: batch operations (NGSI-LD 6.14 to 6.17, 6.23, 6.31).

Each entity of a batch is normalized on its own: a bad one is reported in `errors` with its
ProblemDetails and the good ones are written (207 when some failed, 201/204 when none did).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.urls import re_path
from django.utils import timezone

from mutualis.datahub import services
from mutualis.datahub.bulk import collector_held
from mutualis.datahub.ngsild.context import ActiveContext
from mutualis.datahub.ngsild.errors import BadRequestData, NgsiLdError, PayloadTooLarge
from mutualis.datahub.ngsild.geo import parse_geoquery
from mutualis.datahub.ngsild.http import NgsiRequest, json_response, methods, ngsild_view, no_content
from mutualis.datahub.ngsild.normalize import (
    attributes_from_payload,
    entity_from_payload,
    scopes_from_payload,
    types_from_payload,
    validate_entity_id,
)
from mutualis.datahub.ngsild.query import parse_q
from mutualis.datahub.selectors import TypeTest, parse_type_expression, type_test

from .entities import EntityQuery, answer_entities, attrs_param, csv_param, page_params, representation

DEFAULT_MAX_BATCH = 1000


def _batch_list(body: Any) -> list[Any]:
    """The body of a batch: a JSON array, at most DATAHUB_MAX_BATCH long (413 beyond)."""
    if not isinstance(body, list):
        raise BadRequestData("A batch operation's body must be a JSON array.")
    maximum = int(getattr(settings, "DATAHUB_MAX_BATCH", DEFAULT_MAX_BATCH))
    if len(body) > maximum:
        raise PayloadTooLarge(f"The batch holds {len(body)} entities; the limit is {maximum} per request.")
    if not body:
        raise BadRequestData("The batch is empty.")
    return body


def _item_id(item: Any) -> str:
    if isinstance(item, dict) and isinstance(item.get("id"), str):
        return str(item["id"])
    return ""


def _fragment_entity(item: Any, ctx: ActiveContext, *, now: Any, partial: bool) -> dict[str, Any]:
    """An entity of an update or merge batch: an id, attributes, an optional type."""
    if not isinstance(item, dict):
        raise BadRequestData("Each entity of the batch must be a JSON object.")
    body = dict(item)
    body.pop("@context", None)
    entity: dict[str, Any] = {"id": validate_entity_id(body.pop("id", None))}
    if "type" in body:
        entity["type"] = types_from_payload(body.pop("type"), ctx)
    if "scope" in body:
        entity["scope"] = scopes_from_payload(body.pop("scope"))
    entity["attrs"] = attributes_from_payload(body, ctx, now=now, partial=partial)
    return entity


def _normalized(
    nr: NgsiRequest, *, full: bool, partial: bool = False
) -> tuple[list[dict[str, Any]], services.BatchResult, Any]:
    """The batch's entities in internal form, and a result already holding the bad ones."""
    now = timezone.now()
    entities: list[dict[str, Any]] = []
    failed = services.BatchResult()
    with collector_held():  # thousands of small dicts, no cycles (see mutualis.datahub.bulk)
        for item in _batch_list(nr.body):
            try:
                # ld+json batches carry their @context in each entity (6.3.5); it is the
                # request's, resolved by the edge from the first one.
                entities.append(
                    entity_from_payload(item, nr.ctx, now=now)
                    if full
                    else _fragment_entity(item, nr.ctx, now=now, partial=partial)
                )
            except NgsiLdError as error:
                failed.add_error(_item_id(item), error)
    return entities, failed, now


def _answer(
    nr: NgsiRequest, result: services.BatchResult, failed: services.BatchResult, *, created: bool
) -> HttpResponse:
    """201 with the ids created / 204 when all succeeded, else 207 (6.14.3.1, 5.2.16)."""
    result.errors = failed.errors + result.errors
    if result.errors:
        return json_response(nr, result.as_json(), status=207)
    if created:
        return json_response(nr, result.success, status=201)
    return no_content()


@ngsild_view(write=True, body=True)
def batch_create(nr: NgsiRequest) -> HttpResponse:
    """NGSI-LD 6.14.3.1 POST /entityOperations/create."""
    entities, failed, now = _normalized(nr, full=True)
    result = services.create_entities(tenant=nr.tenant, entities=entities, now=now)
    return _answer(nr, result, failed, created=True)


@ngsild_view(write=True, body=True)
def batch_upsert(nr: NgsiRequest) -> HttpResponse:
    """NGSI-LD 6.15.3.1 POST /entityOperations/upsert (options=update|replace): 201 with the
    ids of the entities created when some were, 204 when all existed."""
    options = csv_param(nr.params.get("options"))
    if "update" in options and "replace" in options:
        raise BadRequestData("options=update and options=replace exclude each other.")
    entities, failed, now = _normalized(nr, full=True)
    result = services.upsert_entities(
        tenant=nr.tenant, entities=entities, replace="replace" in options, now=now
    )
    if failed.errors or result.errors:
        return _answer(nr, result, failed, created=False)
    if result.created:
        return json_response(nr, result.created, status=201)
    return no_content()


@ngsild_view(write=True, body=True)
def batch_update(nr: NgsiRequest) -> HttpResponse:
    """NGSI-LD 6.16.3.1 POST /entityOperations/update (options=noOverwrite)."""
    entities, failed, now = _normalized(nr, full=False)
    overwrite = "noOverwrite" not in csv_param(nr.params.get("options"))
    result = services.update_entities(tenant=nr.tenant, entities=entities, overwrite=overwrite, now=now)
    return _answer(nr, result, failed, created=False)


@ngsild_view(write=True, body=True)
def batch_merge(nr: NgsiRequest) -> HttpResponse:
    """NGSI-LD 6.31.3.1 POST /entityOperations/merge."""
    entities, failed, now = _normalized(nr, full=False, partial=True)
    result = services.merge_entities(tenant=nr.tenant, entities=entities, now=now)
    return _answer(nr, result, failed, created=False)


@ngsild_view(write=True, body=True)
def batch_delete(nr: NgsiRequest) -> HttpResponse:
    """NGSI-LD 6.17.3.1 POST /entityOperations/delete: a JSON array of entity ids."""
    ids: list[str] = []
    failed = services.BatchResult()
    for item in _batch_list(nr.body):
        try:
            ids.append(validate_entity_id(item))
        except NgsiLdError as error:
            failed.add_error(item if isinstance(item, str) else "", error)
    result = services.delete_entities(tenant=nr.tenant, ids=ids)
    return _answer(nr, result, failed, created=False)


def _query_from_body(body: Any, ctx: ActiveContext) -> list[EntityQuery]:
    """The Query data type (NGSI-LD 5.2.23): one EntityQuery per entity selector."""
    if not isinstance(body, dict) or body.get("type") != "Query":
        raise BadRequestData('The body must be a Query object ({"type": "Query", …}).')
    q = body.get("q")
    if q is not None and not isinstance(q, str):
        raise BadRequestData("q must be a string.")
    geo_q = body.get("geoQ")
    if geo_q is not None and not isinstance(geo_q, dict):
        raise BadRequestData("geoQ must be an object with geometry, coordinates and georel.")
    geo = (
        parse_geoquery(
            georel=geo_q.get("georel"),
            geometry=geo_q.get("geometry"),
            coordinates=geo_q.get("coordinates"),
            geoproperty=geo_q.get("geoproperty"),
            ctx=ctx,
        )
        if geo_q
        else None
    )
    scope_q = body.get("scopeQ")
    if scope_q is not None and not isinstance(scope_q, str):
        raise BadRequestData("scopeQ must be a string.")
    attrs = attrs_param(body.get("attrs"), ctx)
    query = parse_q(q, ctx) if q else None
    selectors_ = body.get("entities") or [{}]
    if not isinstance(selectors_, list) or not all(isinstance(s, dict) for s in selectors_):
        raise BadRequestData("entities must be a list of EntitySelector objects.")
    queries = []
    for selector in selectors_:
        type_value = selector.get("type")
        if type_value is not None and not isinstance(type_value, (str, list)):
            raise BadRequestData("An EntitySelector's type must be a string.")
        type_filter: tuple[TypeTest, set[str]] | None = None
        if isinstance(type_value, list):
            type_filter = type_test([ctx.expand_term(str(t)) for t in type_value])
        elif type_value:
            type_filter = parse_type_expression(type_value, ctx)
        entity_id = selector.get("id")
        queries.append(
            EntityQuery(
                type_filter=type_filter,
                ids=[validate_entity_id(entity_id)] if entity_id is not None else None,
                id_pattern=selector.get("idPattern") or None,
                attrs=attrs,
                q=query,
                geo=geo,
                scope_q=scope_q,
            )
        )
    return queries


@ngsild_view(body=True, geo=True)
def batch_query(nr: NgsiRequest) -> HttpResponse:
    """NGSI-LD 6.23.3.1 POST /entityOperations/query: a query in the body, no write."""
    queries = _query_from_body(nr.body, nr.ctx)
    limit, offset, count = page_params(nr.params)
    shape = representation(nr.params, nr.ctx, attrs=queries[0].attrs)
    if len(queries) == 1:
        entities, total = queries[0].run(nr, limit=limit, offset=offset, count=count)
    else:
        # Several selectors: their union, by id, then one page of it.
        found: dict[str, dict[str, Any]] = {}
        for query in queries:
            matches, _total = query.run(nr, limit=2**31, offset=0, count=False)
            found.update((entity["id"], entity) for entity in matches)
        ordered = [found[eid] for eid in sorted(found)]
        entities, total = ordered[offset : offset + limit], (len(ordered) if count else None)
    return answer_entities(nr, entities, total, shape)


# A trailing slash is tolerated: some clients (ngsildclient) send one.
urlpatterns = [
    re_path(r"^entityOperations/create/?$", methods(POST=batch_create), name="batch-create"),
    re_path(r"^entityOperations/upsert/?$", methods(POST=batch_upsert), name="batch-upsert"),
    re_path(r"^entityOperations/update/?$", methods(POST=batch_update), name="batch-update"),
    re_path(r"^entityOperations/delete/?$", methods(POST=batch_delete), name="batch-delete"),
    re_path(r"^entityOperations/merge/?$", methods(POST=batch_merge), name="batch-merge"),
    re_path(r"^entityOperations/query/?$", methods(POST=batch_query), name="batch-query"),
]
