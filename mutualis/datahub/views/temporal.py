"""/temporal: the temporal evolution of entities (NGSI-LD 6.18 to 6.20, 6.24).

Entities are chosen as /entities chooses them (`selectors`, through the filters of
`views.entities`), so a temporal query never reaches another tenant's history; their
history is read by `mutualis.datahub.temporal`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpResponse
from django.urls import re_path, reverse
from django.utils import timezone

from mutualis.datahub import history, selectors, services, temporal
from mutualis.datahub.models import Entity
from mutualis.datahub.ngsild.errors import BadRequestData, ResourceNotFound
from mutualis.datahub.ngsild.http import NgsiRequest, json_response, methods, ngsild_view, no_content
from mutualis.datahub.ngsild.normalize import attribute_from_payload, types_from_payload, validate_entity_id
from mutualis.datahub.ngsild.timestamps import ahead_of_clock, parse_instant

from .batch import _query_from_body
from .entities import count_headers, page_params, query_from_params

ENTITY_MEMBERS = ("id", "type", "scope", "@context", "createdAt", "modifiedAt")


def _targets(nr: NgsiRequest, entities: list[dict[str, Any]]) -> list[temporal.Target]:
    """The selected entities (of the caller's tenant), in the selector's order, as history
    targets. The selector already read their types and attributes: only the row keys are
    read again, not the rows."""
    ids = [entity["id"] for entity in entities]
    pks = dict(selectors.entities_of(nr.tenant).filter(entity_id__in=ids).values_list("entity_id", "pk"))
    return [
        temporal.Target(
            pk=pks[entity["id"]], entity_id=entity["id"], types=entity["type"], attributes=entity["attrs"]
        )
        for entity in entities
        if entity["id"] in pks
    ]


def _answer(
    nr: NgsiRequest,
    targets: list[temporal.Target],
    query: temporal.TemporalQuery,
    *,
    single: bool,
    headers: dict[str, str],
) -> HttpResponse:
    result = temporal.read_entities(targets, query)
    rendered = [temporal.render_temporal_entity(entity, nr.ctx, query) for entity in result.entities]
    status = 200
    content_range = temporal.content_range(result, query)
    if content_range is not None:
        # 6.3.10: the cap on instances was reached; the client continues from the range's end.
        status = 206
        headers = {**headers, "Content-Range": content_range}
    return json_response(nr, rendered[0] if single else rendered, status=status, headers=headers)


@ngsild_view()
def query_temporal_entities(nr: NgsiRequest) -> HttpResponse:
    """NGSI-LD 6.18.3.2 GET /temporal/entities: query the temporal evolution of entities."""
    query = query_from_params(nr.params, nr.ctx)
    tq = temporal.parse_temporal_query(nr.params, nr.ctx, attrs=query.attrs)
    limit, offset, count = page_params(nr.params)
    entities, total = query.run(nr, limit=limit, offset=offset, count=count)
    return _answer(nr, _targets(nr, entities), tq, single=False, headers=count_headers(total))


@ngsild_view(body=True)
def temporal_query(nr: NgsiRequest) -> HttpResponse:
    """NGSI-LD 6.24.3.1 POST /temporal/entityOperations/query: a Query (5.2.23) in the body,
    its temporalQ (5.2.21) giving timerel, timeAt, endTimeAt and timeproperty."""
    queries = _query_from_body(nr.body, nr.ctx)
    temporal_q = nr.body.get("temporalQ") or {}
    if not isinstance(temporal_q, dict):
        raise BadRequestData("temporalQ must be an object with timerel, timeAt, endTimeAt, timeproperty.")
    # The URL carries the representation (options, lastN, aggrMethods…), the body the query.
    params: dict[str, Any] = {key: nr.params.get(key) for key in nr.params}
    params.update({key: value for key, value in temporal_q.items() if value is not None})
    tq = temporal.parse_temporal_query(params, nr.ctx, attrs=queries[0].attrs)
    limit, offset, count = page_params(nr.params)
    if len(queries) == 1:
        entities, total = queries[0].run(nr, limit=limit, offset=offset, count=count)
    else:
        # Several entity selectors: their union, by id, then one page of it.
        found: dict[str, dict[str, Any]] = {}
        for query in queries:
            matches, _total = query.run(nr, limit=2**31, offset=0, count=False)
            found.update((entity["id"], entity) for entity in matches)
        ordered = [found[entity_id] for entity_id in sorted(found)]
        entities, total = ordered[offset : offset + limit], (len(ordered) if count else None)
    return _answer(nr, _targets(nr, entities), tq, single=False, headers=count_headers(total))


@ngsild_view()
def retrieve_temporal_entity(nr: NgsiRequest, entity_id: str) -> HttpResponse:
    """NGSI-LD 6.19.3.1 GET /temporal/entities/{entityId}."""
    row = selectors.get_entity(tenant=nr.tenant, entity_id=entity_id)
    tq = temporal.parse_temporal_query(nr.params, nr.ctx)
    return _answer(nr, [temporal.Target.of(row)], tq, single=True, headers={})


@ngsild_view(write=True)
def delete_temporal_entity(nr: NgsiRequest, entity_id: str) -> HttpResponse:
    """NGSI-LD 6.19.3.2 DELETE /temporal/entities/{entityId}: forget the entity's history.

    The entity's current state (/entities) stays: the hub keeps both in one store, and
    deleting the entity itself is DELETE /entities/{entityId}.
    """
    row = selectors.get_entity(tenant=nr.tenant, entity_id=entity_id)
    history.delete_history(entity_pks=[row.pk])
    return no_content()


def _temporal_attributes(payload: dict[str, Any], nr: NgsiRequest) -> dict[str, list[dict[str, Any]]]:
    """The attributes of a temporal payload (4.5.7): each an instance or a list of instances,
    in any order, several per datasetId (one per observation). An observedAt ahead of the
    clock is taken here, unlike on /entities: a temporal representation may hold a forecast
    (a value that "became valid", 4.8, later), kept as history (see `_latest`)."""
    now = timezone.now()
    attrs: dict[str, list[dict[str, Any]]] = {}
    for name, value in payload.items():
        if name in ENTITY_MEMBERS:
            continue
        iri = nr.ctx.expand_term(name)
        items = value if isinstance(value, list) else [value]
        if not items:
            raise BadRequestData(f"Attribute {name!r} has no instance.")
        for item in items:
            if isinstance(item, dict):
                item = {key: member for key, member in item.items() if key != "instanceId"}
            attrs.setdefault(iri, []).extend(attribute_from_payload(iri, item, nr.ctx, now=now, future=True))
    if not attrs:
        raise BadRequestData("The temporal entity has no attribute to add.")
    return attrs


def _latest(attrs: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """The current instance per attribute and datasetId: the entity's current state."""
    now = timezone.now()
    latest: dict[str, list[dict[str, Any]]] = {}
    for iri, instances in attrs.items():
        by_dataset: dict[str, dict[str, Any]] = {}
        for instance in instances:
            key = instance.get("datasetId") or ""
            known = by_dataset.get(key)
            if known is None or _rank(instance, now) >= _rank(known, now):
                by_dataset[key] = instance
        latest[iri] = list(by_dataset.values())
    return latest


def _rank(instance: dict[str, Any], now: datetime) -> tuple[bool, float]:
    """How an instance ranks to be the current one: the latest already observed; where
    every one lies ahead of the clock (forecasts only), the nearest. A forecast made current
    would show as the state, and no true reading could replace it (compact readings keep
    the latest observedAt, `services.batch._observe`) until its time came."""
    stamp = instance.get("observedAt") or instance.get("modifiedAt")
    if not stamp:
        return True, float("-inf")
    # Parsed to compare instants, not strings written with different precisions.
    moment = parse_instant(stamp, field="observedAt")
    if ahead_of_clock(moment, now) is None:
        return True, moment.timestamp()
    return False, -moment.timestamp()


def _add_instances(nr: NgsiRequest, row: Entity, attrs: dict[str, list[dict[str, Any]]]) -> None:
    """Append instances to an existing entity's history; attributes (or datasetIds) it did
    not have yet join its current state so that temporal queries find them."""
    known = row.attributes or {}
    missing: dict[str, list[dict[str, Any]]] = {}
    for iri, instances in _latest(attrs).items():
        datasets = {instance.get("datasetId") or "" for instance in known.get(iri, [])}
        new = [instance for instance in instances if (instance.get("datasetId") or "") not in datasets]
        if new:
            missing[iri] = new
    if missing:
        services.append_attributes(tenant=nr.tenant, entity_id=row.entity_id, attrs=missing, overwrite=False)
    history.record_instances(
        tenant_id=nr.tenant.pk, entity_pk=row.pk, attrs=attrs, recorded_at=timezone.now()
    )


@ngsild_view(write=True, body=True)
def create_temporal_entity(nr: NgsiRequest) -> HttpResponse:
    """NGSI-LD 6.18.3.1 POST /temporal/entities: create or update the temporal evolution of
    an entity (201 when the entity is new, 204 when instances were added to it)."""
    if not isinstance(nr.body, dict):
        raise BadRequestData("The body must be a temporal entity (a JSON object with id and type).")
    if "id" not in nr.body or "type" not in nr.body:
        raise BadRequestData("A temporal entity needs an 'id' and a 'type'.")
    entity_id = validate_entity_id(nr.body["id"])
    types = types_from_payload(nr.body["type"], nr.ctx)
    attrs = _temporal_attributes(nr.body, nr)
    row = selectors.entities_of(nr.tenant).filter(entity_id=entity_id).first()
    if row is not None:
        _add_instances(nr, row, attrs)
        return no_content()
    row = services.create_entity(
        tenant=nr.tenant, entity={"id": entity_id, "type": types, "attrs": _latest(attrs)}
    )
    history.record_instances(
        tenant_id=nr.tenant.pk, entity_pk=row.pk, attrs=attrs, recorded_at=timezone.now()
    )
    location = reverse("ngsild:temporal-entities") + "/" + entity_id
    return no_content({"Location": location}, status=201)


@ngsild_view(write=True, body=True)
def add_temporal_attributes(nr: NgsiRequest, entity_id: str) -> HttpResponse:
    """NGSI-LD 6.20.3.1 POST /temporal/entities/{entityId}/attrs: add attribute instances."""
    if not isinstance(nr.body, dict):
        raise BadRequestData("The body must be a JSON object of attributes, each a list of instances.")
    try:
        row = selectors.get_entity(tenant=nr.tenant, entity_id=entity_id)
    except ResourceNotFound:
        raise ResourceNotFound(
            f"Entity {entity_id} does not exist; create it with POST /temporal/entities."
        ) from None
    _add_instances(nr, row, _temporal_attributes(nr.body, nr))
    return no_content()


urlpatterns = [
    re_path(
        r"^temporal/entities/?$",
        methods(GET=query_temporal_entities, POST=create_temporal_entity),
        name="temporal-entities",
    ),
    re_path(
        r"^temporal/entities/(?P<entity_id>.+?)/attrs/?$",
        methods(POST=add_temporal_attributes),
        name="temporal-entity-attrs",
    ),
    re_path(
        r"^temporal/entities/(?P<entity_id>.+)$",
        methods(GET=retrieve_temporal_entity, DELETE=delete_temporal_entity),
        name="temporal-entity",
    ),
    re_path(r"^temporal/entityOperations/query/?$", methods(POST=temporal_query), name="temporal-query"),
]
