"""/entities: the context information API (NGSI-LD 6.4 to 6.7).

Views parse the request, call a verb of `services` or a selector, and render the answer;
the NGSI-LD edge (authentication, tenant, negotiation, errors) is `ngsild_view`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.http import HttpResponse
from django.urls import re_path, reverse
from django.utils import timezone

from mutualis.datahub import selectors, services
from mutualis.datahub.ngsild.context import ActiveContext
from mutualis.datahub.ngsild.errors import BadRequestData, InvalidRequest, TooManyResults
from mutualis.datahub.ngsild.geo import LOCATION_IRI, GeoQuery, parse_geoquery
from mutualis.datahub.ngsild.http import (
    GEO_JSON,
    NgsiRequest,
    json_response,
    methods,
    ngsild_view,
    no_content,
)
from mutualis.datahub.ngsild.merge import MergeResult
from mutualis.datahub.ngsild.normalize import (
    attribute_from_payload,
    attributes_from_payload,
    entity_from_payload,
    scopes_from_payload,
    types_from_payload,
    validate_entity_id,
)
from mutualis.datahub.ngsild.query import Query, parse_q
from mutualis.datahub.ngsild.render import render_entity, render_geojson
from mutualis.lib.numbers import MAX_DIGITS, whole_number

COUNT_HEADER = "NGSILD-Results-Count"
DEFAULT_LIMIT = 20
DEFAULT_MAX_LIMIT = 1000
FORMATS = {
    "normalized": "normalized",
    "keyValues": "keyValues",
    "simplified": "keyValues",
    "concise": "concise",
}


# ---------------------------------------------------------------- query parameters


def csv_param(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def int_param(value: str | None, *, name: str, default: int) -> int:
    if value is None or value == "":
        return default
    # whole_number, not int(): int() also reads "１２", " 5" and "1_0", and refuses 5,000
    # digits with advice for the server's programmer.
    number = whole_number(value, max_digits=MAX_DIGITS)
    if number is None:
        raise BadRequestData(
            f"{name} must be a non-negative integer in digits 0-9 (at most {MAX_DIGITS} of them), not {value!r}."
        )
    return number


def bool_param(value: str | None, *, name: str) -> bool:
    if value in (None, "", "false"):
        return False
    if value == "true":
        return True
    raise BadRequestData(f"{name} must be true or false, not {value!r}.")


@dataclass(frozen=True)
class Representation:
    """How entities are rendered (NGSI-LD 6.3.7 options/format, 4.21 pick/omit, 4.15 lang)."""

    fmt: str = "normalized"
    sys_attrs: bool = False
    attrs: frozenset[str] | None = None
    pick: frozenset[str] | None = None
    omit: frozenset[str] | None = None
    lang: str | None = None

    def render(self, entity: dict[str, Any], ctx: ActiveContext) -> dict[str, Any]:
        return render_entity(
            entity,
            ctx,
            fmt=self.fmt,
            attrs=set(self.attrs) if self.attrs is not None else None,
            pick=set(self.pick) if self.pick is not None else None,
            omit=set(self.omit) if self.omit is not None else None,
            sys_attrs=self.sys_attrs,
            lang=self.lang,
        )


def representation(params: Any, ctx: ActiveContext, *, attrs: set[str] | None = None) -> Representation:
    options = csv_param(params.get("options"))
    fmt = "normalized"
    for option in options:
        if option in FORMATS:
            fmt = FORMATS[option]
        elif option not in ("sysAttrs", "noOverwrite", "update", "replace"):
            raise BadRequestData(
                f"Unknown option {option!r}; expected keyValues, concise, normalized or sysAttrs."
            )
    if params.get("format"):
        if params["format"] not in FORMATS:
            raise BadRequestData(
                f"Unknown format {params['format']!r}; expected normalized, keyValues or concise."
            )
        fmt = FORMATS[params["format"]]
    pick = csv_param(params.get("pick"))
    omit = csv_param(params.get("omit"))
    if pick and omit:
        raise BadRequestData("pick and omit cannot be used together (NGSI-LD 4.21).")
    return Representation(
        fmt=fmt,
        sys_attrs="sysAttrs" in options,
        attrs=frozenset(attrs) if attrs else None,
        pick=frozenset(pick) if pick else None,
        omit=frozenset(omit) if omit else None,
        lang=params.get("lang") or None,
    )


def attrs_param(value: Any, ctx: ActiveContext) -> set[str]:
    names = csv_param(value) if isinstance(value, str) or value is None else value
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise BadRequestData("attrs must be a list of attribute names.")
    return {ctx.expand_term(name) for name in names}


def page_params(params: Any) -> tuple[int, int, bool]:
    """limit / offset / count (NGSI-LD 5.5.9, 6.3.13)."""
    limit = int_param(params.get("limit"), name="limit", default=DEFAULT_LIMIT)
    offset = int_param(params.get("offset"), name="offset", default=0)
    count = bool_param(params.get("count"), name="count")
    maximum = int(getattr(settings, "DATAHUB_MAX_LIMIT", DEFAULT_MAX_LIMIT))
    if limit > maximum:
        raise TooManyResults(
            f"limit {limit} exceeds the maximum of {maximum} entities per page; paginate with offset."
        )
    if limit == 0 and not count:
        raise BadRequestData("limit=0 is only allowed with count=true.")
    return limit, offset, count


def count_headers(total: int | None) -> dict[str, str]:
    return {COUNT_HEADER: str(total)} if total is not None else {}


def entity_url(entity_id: str) -> str:
    return reverse("ngsild:entities") + "/" + quote(entity_id, safe="")


def partial_answer(nr: NgsiRequest, result: MergeResult) -> HttpResponse:
    """204 when every attribute was written, else 207 with updated / notUpdated (5.2.18)."""
    if not result.not_updated:
        return no_content()
    body = {
        "updated": [nr.ctx.compact_iri(iri) for iri in result.updated],
        "notUpdated": [
            {**item, "attributeName": nr.ctx.compact_iri(str(item.get("attributeName", "")))}
            for item in result.not_updated
        ],
    }
    return json_response(nr, body, status=207)


def _require_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise BadRequestData("The body must be a JSON object.")
    return body


# ---------------------------------------------------------------- /entities


@dataclass(frozen=True)
class EntityQuery:
    """The filters of a query (NGSI-LD 6.4.3.2, 5.7.2), parsed from URL params or a Query body."""

    type_filter: tuple[selectors.TypeTest, set[str]] | None
    ids: list[str] | None
    id_pattern: str | None
    attrs: set[str]
    q: Query | None
    geo: GeoQuery | None
    scope_q: str | None

    def run(
        self, nr: NgsiRequest, *, limit: int, offset: int, count: bool
    ) -> tuple[list[dict[str, Any]], int | None]:
        return selectors.find_entities(
            tenant=nr.tenant,
            ids=self.ids,
            id_pattern=self.id_pattern,
            attrs=self.attrs or None,
            q=self.q,
            geo=self.geo,
            scope_q=self.scope_q,
            limit=limit,
            offset=offset,
            count=count,
            type_filter=self.type_filter,
        )


def query_from_params(params: Any, ctx: ActiveContext) -> EntityQuery:
    types = params.get("type")
    ids = [validate_entity_id(item, field="id") for item in csv_param(params.get("id"))]
    q = params.get("q")
    return EntityQuery(
        type_filter=selectors.parse_type_expression(types, ctx) if types else None,
        ids=ids or None,
        id_pattern=params.get("idPattern") or None,
        attrs=attrs_param(params.get("attrs"), ctx),
        q=parse_q(q, ctx) if q else None,
        geo=parse_geoquery(
            georel=params.get("georel"),
            geometry=params.get("geometry"),
            coordinates=params.get("coordinates"),
            geoproperty=params.get("geoproperty"),
            ctx=ctx,
        ),
        scope_q=params.get("scopeQ") or None,
    )


def answer_entities(
    nr: NgsiRequest, entities: list[dict[str, Any]], total: int | None, shape: Representation
) -> HttpResponse:
    headers = count_headers(total)
    if nr.accept == GEO_JSON:
        geometry = nr.params.get("geometryProperty")
        collection = render_geojson(
            entities,
            nr.ctx,
            geometry_property=nr.ctx.expand_term(geometry) if geometry else LOCATION_IRI,
            fmt=shape.fmt,
            attrs=set(shape.attrs) if shape.attrs is not None else None,
        )
        return json_response(nr, collection, headers=headers)
    return json_response(nr, [shape.render(entity, nr.ctx) for entity in entities], headers=headers)


@ngsild_view(geo=True)
def query_entities(nr: NgsiRequest) -> HttpResponse:
    """NGSI-LD 6.4.3.2 GET /entities."""
    query = query_from_params(nr.params, nr.ctx)
    limit, offset, count = page_params(nr.params)
    shape = representation(nr.params, nr.ctx, attrs=query.attrs)
    entities, total = query.run(nr, limit=limit, offset=offset, count=count)
    return answer_entities(nr, entities, total, shape)


@ngsild_view(write=True, body=True)
def create_entity(nr: NgsiRequest) -> HttpResponse:
    """NGSI-LD 6.4.3.1 POST /entities: 201 with the new entity's URL in Location."""
    now = timezone.now()
    entity = entity_from_payload(nr.body, nr.ctx, now=now)
    services.create_entity(tenant=nr.tenant, entity=entity, now=now)
    return no_content({"Location": entity_url(entity["id"])}, status=201)


# ---------------------------------------------------------------- /entities/{entityId}


@ngsild_view(geo=True)
def retrieve_entity(nr: NgsiRequest, entity_id: str) -> HttpResponse:
    """NGSI-LD 6.5.3.1 GET /entities/{entityId}."""
    validate_entity_id(entity_id, field="entityId")
    attrs = attrs_param(nr.params.get("attrs"), nr.ctx)
    shape = representation(nr.params, nr.ctx, attrs=attrs)
    entity = selectors.entity_from_row(selectors.get_entity(tenant=nr.tenant, entity_id=entity_id))
    if nr.accept == GEO_JSON:
        geometry = nr.params.get("geometryProperty")
        collection = render_geojson(
            [entity],
            nr.ctx,
            geometry_property=nr.ctx.expand_term(geometry) if geometry else LOCATION_IRI,
            fmt=shape.fmt,
            attrs=attrs or None,
        )
        # 6.3.15: one entity is one Feature.
        return json_response(nr, collection["features"][0])
    return json_response(nr, shape.render(entity, nr.ctx))


@ngsild_view(write=True, body=True)
def replace_entity(nr: NgsiRequest, entity_id: str) -> HttpResponse:
    """NGSI-LD 6.5.3.3 PUT /entities/{entityId}: the whole entity replaced (5.6.18)."""
    validate_entity_id(entity_id, field="entityId")
    body = _require_object(nr.body)
    now = timezone.now()
    entity = entity_from_payload({"id": entity_id, **body}, nr.ctx, now=now)
    services.replace_entity(tenant=nr.tenant, entity_id=entity_id, entity=entity, now=now)
    return no_content()


@ngsild_view(write=True, body=True, merge_patch=True)
def merge_entity(nr: NgsiRequest, entity_id: str) -> HttpResponse:
    """NGSI-LD 6.5.3.4 PATCH /entities/{entityId}: JSON merge patch (5.6.17)."""
    validate_entity_id(entity_id, field="entityId")
    body = dict(_require_object(nr.body))
    body.pop("@context", None)
    if "id" in body and body.pop("id") != entity_id:
        raise BadRequestData(f"The body's id differs from the entity {entity_id} of the path.")
    types = types_from_payload(body.pop("type"), nr.ctx) if "type" in body else None
    scopes = scopes_from_payload(body.pop("scope")) if "scope" in body else None
    now = timezone.now()
    attrs = attributes_from_payload(body, nr.ctx, now=now, partial=True)
    services.merge_entity(
        tenant=nr.tenant, entity_id=entity_id, attrs=attrs, types=types, scopes=scopes, now=now
    )
    return no_content()


@ngsild_view(write=True)
def delete_entity(nr: NgsiRequest, entity_id: str) -> HttpResponse:
    """NGSI-LD 6.5.3.2 DELETE /entities/{entityId}."""
    validate_entity_id(entity_id, field="entityId")
    services.delete_entity(tenant=nr.tenant, entity_id=entity_id)
    return no_content()


# ---------------------------------------------------------------- /entities/{entityId}/attrs


def _fragment(nr: NgsiRequest) -> tuple[dict[str, list[dict[str, Any]]], list[str] | None]:
    body = dict(_require_object(nr.body))
    body.pop("@context", None)
    body.pop("id", None)
    types = types_from_payload(body.pop("type"), nr.ctx) if "type" in body else None
    return attributes_from_payload(body, nr.ctx, now=timezone.now()), types


@ngsild_view(write=True, body=True)
def append_attributes(nr: NgsiRequest, entity_id: str) -> HttpResponse:
    """NGSI-LD 6.6.3.1 POST /entities/{entityId}/attrs (options=noOverwrite)."""
    validate_entity_id(entity_id, field="entityId")
    attrs, types = _fragment(nr)
    options = csv_param(nr.params.get("options"))
    result = services.append_attributes(
        tenant=nr.tenant,
        entity_id=entity_id,
        attrs=attrs,
        overwrite="noOverwrite" not in options,
        types=types,
    )
    return partial_answer(nr, result)


@ngsild_view(write=True, body=True)
def update_attributes(nr: NgsiRequest, entity_id: str) -> HttpResponse:
    """NGSI-LD 6.6.3.2 PATCH /entities/{entityId}/attrs."""
    validate_entity_id(entity_id, field="entityId")
    attrs, _types = _fragment(nr)
    result = services.update_attributes(tenant=nr.tenant, entity_id=entity_id, attrs=attrs)
    return partial_answer(nr, result)


# ---------------------------------------------------------------- /entities/{entityId}/attrs/{attrId}


def _attribute(nr: NgsiRequest, attr_id: str, *, partial: bool) -> tuple[str, list[dict[str, Any]]]:
    body = dict(_require_object(nr.body))
    body.pop("@context", None)
    attr_iri = nr.ctx.expand_term(attr_id)
    return attr_iri, attribute_from_payload(attr_iri, body, nr.ctx, now=timezone.now(), partial=partial)


@ngsild_view(write=True, body=True)
def partial_update_attribute(nr: NgsiRequest, entity_id: str, attr_id: str) -> HttpResponse:
    """NGSI-LD 6.7.3.1 PATCH /entities/{entityId}/attrs/{attrId}."""
    validate_entity_id(entity_id, field="entityId")
    attr_iri, fragment = _attribute(nr, attr_id, partial=True)
    services.partial_update_attribute(
        tenant=nr.tenant, entity_id=entity_id, attr_iri=attr_iri, fragment=fragment
    )
    return no_content()


@ngsild_view(write=True, body=True)
def replace_attribute(nr: NgsiRequest, entity_id: str, attr_id: str) -> HttpResponse:
    """NGSI-LD 6.7.3.3 PUT /entities/{entityId}/attrs/{attrId}."""
    validate_entity_id(entity_id, field="entityId")
    attr_iri, instances = _attribute(nr, attr_id, partial=False)
    services.replace_attribute(tenant=nr.tenant, entity_id=entity_id, attr_iri=attr_iri, instances=instances)
    return no_content()


@ngsild_view(write=True)
def delete_attribute(nr: NgsiRequest, entity_id: str, attr_id: str) -> HttpResponse:
    """NGSI-LD 6.7.3.2 DELETE /entities/{entityId}/attrs/{attrId} (datasetId, deleteAll)."""
    validate_entity_id(entity_id, field="entityId")
    dataset_id = nr.params.get("datasetId") or None
    if dataset_id is not None:
        validate_entity_id(dataset_id, field="datasetId")
    delete_all = bool_param(nr.params.get("deleteAll"), name="deleteAll")
    if delete_all and dataset_id is not None:
        raise InvalidRequest("datasetId and deleteAll=true cannot be used together.")
    services.delete_attribute(
        tenant=nr.tenant,
        entity_id=entity_id,
        attr_iri=nr.ctx.expand_term(attr_id),
        dataset_id=dataset_id,
        delete_all=delete_all,
    )
    return no_content()


# Entity ids and attribute names are URIs, URL-encoded in the path; the server decodes a
# "%2F" before routing, so an id may hold slashes: the entity id is matched lazily up to
# the first "/attrs" (an entity id containing "/attrs/" is not addressable by path).
# A trailing slash is tolerated where it cannot be part of a name: clients send one.
urlpatterns = [
    re_path(r"^entities/?$", methods(GET=query_entities, POST=create_entity), name="entities"),
    re_path(
        r"^entities/(?P<entity_id>.+?)/attrs/(?P<attr_id>.+)$",
        methods(PATCH=partial_update_attribute, PUT=replace_attribute, DELETE=delete_attribute),
        name="entity-attr",
    ),
    re_path(
        r"^entities/(?P<entity_id>.+?)/attrs/?$",
        methods(POST=append_attributes, PATCH=update_attributes),
        name="entity-attrs",
    ),
    re_path(
        r"^entities/(?P<entity_id>.+)$",
        methods(GET=retrieve_entity, PUT=replace_entity, PATCH=merge_entity, DELETE=delete_entity),
        name="entity",
    ),
]
