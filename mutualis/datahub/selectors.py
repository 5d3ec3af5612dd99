"""Reads of the context broker: entities of one tenant (NGSI-LD 5.7.1, 5.7.2).

Every read takes the tenant: there is no way to read an entity without naming the tenant
it must belong to (an entity of another tenant is a 404, as one that does not exist).

A query first narrows in SQL (tenant, types, ids, idPattern, the bounding box of
`location`), then applies in Python what SQL cannot express portably (q, the exact
geometry, attrs, scopeQ, the exact type expression), then paginates. When nothing needs
Python, counting and paginating stay in SQL.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from django.db import DataError, connection, transaction
from django.db.models import Q, QuerySet

from .models import Entity, Tenant
from .ngsild.context import ActiveContext
from .ngsild.errors import BadRequestData, ResourceNotFound
from .ngsild.geo import LOCATION_IRI, GeoQuery
from .ngsild.query import Query, parse_scope_q
from .ngsild.query_patterns import compile_id_pattern
from .ngsild.timestamps import format_instant

Entry = dict[str, Any]
TypeTest = Callable[[list[str]], bool]


# The rows a batch reads were mostly written by one earlier batch, at one instant: their
# timestamps repeat, and formatting each again was a measurable part of reading them.
_instant = lru_cache(maxsize=1024)(format_instant)


def entity_from_row(row: Entity) -> Entry:
    """The internal form of an entity (see mutualis.datahub.ngsild) from its row."""
    entity: Entry = {"id": row.entity_id, "type": list(row.types) or [row.type]}
    if row.scopes:
        entity["scope"] = list(row.scopes)
    entity["createdAt"] = _instant(row.created_at)
    entity["modifiedAt"] = _instant(row.modified_at)
    entity["attrs"] = row.attributes
    return entity


def entities_of(tenant: Tenant) -> QuerySet[Entity]:
    """The tenancy door of the broker: the entities of one tenant, ordered by id (stable
    pagination, NGSI-LD 5.5.9)."""
    return Entity.objects.filter(tenant=tenant).order_by("entity_id")


def get_entity(*, tenant: Tenant, entity_id: str) -> Entity:
    """NGSI-LD 5.7.1 Retrieve Entity; ResourceNotFound whether absent or another tenant's."""
    row = entities_of(tenant).filter(entity_id=entity_id).first()
    if row is None:
        raise ResourceNotFound(f"Entity {entity_id} does not exist.")
    return row


# ---------------------------------------------------------------- type expressions (4.17)


class _TypeParser:
    """`A,B` or `A|B`: either; `A;B`: both; parentheses group (NGSI-LD 4.17)."""

    def __init__(self, text: str, ctx: ActiveContext):
        self.tokens = [t for t in re.split(r"([,;|()])", text) if t.strip()]
        self.position = 0
        self.ctx = ctx
        self.names: set[str] = set()

    def parse(self) -> TypeTest:
        test = self._or()
        if self.position != len(self.tokens):
            raise BadRequestData(f"Unexpected {self.tokens[self.position]!r} in the type expression.")
        return test

    def _peek(self) -> str | None:
        return self.tokens[self.position].strip() if self.position < len(self.tokens) else None

    def _or(self) -> TypeTest:
        parts = [self._and()]
        while self._peek() in (",", "|"):
            self.position += 1
            parts.append(self._and())
        if len(parts) == 1:
            return parts[0]
        return lambda types: any(part(types) for part in parts)

    def _and(self) -> TypeTest:
        parts = [self._atom()]
        while self._peek() == ";":
            self.position += 1
            parts.append(self._atom())
        if len(parts) == 1:
            return parts[0]
        return lambda types: all(part(types) for part in parts)

    def _atom(self) -> TypeTest:
        piece = self._peek()
        if piece is None or piece in ",;|)":
            raise BadRequestData("The type expression is incomplete: a type name is missing.")
        self.position += 1
        if piece == "(":
            inner = self._or()
            if self._peek() != ")":
                raise BadRequestData("The type expression misses a closing parenthesis.")
            self.position += 1
            return inner
        iri = self.ctx.expand_term(piece)
        self.names.add(iri)
        return lambda types: iri in types


def parse_type_expression(text: str, ctx: ActiveContext) -> tuple[TypeTest, set[str]]:
    """The test of a type expression, and every type it names (expanded)."""
    parser = _TypeParser(text, ctx)
    return parser.parse(), parser.names


def type_test(types: list[str]) -> tuple[TypeTest, set[str]]:
    """A plain list of expanded types: any of them."""
    wanted = set(types)
    return (lambda entity_types: not wanted.isdisjoint(entity_types)), wanted


# ---------------------------------------------------------------- queries


def _has_any(entity: Entry, attrs: set[str]) -> bool:
    return not attrs.isdisjoint(entity["attrs"])


def _check_database_reads(id_pattern: str) -> None:
    """BadRequestData when PostgreSQL's regular expressions (ARE) refuse `id_pattern`, which
    Python's accepted: `(?P<name>…)`, `a{256}` (ARE counts to 255), `\\N{…}`, `(?a)`. The
    query failed with a DataError (a 500); asked first, in a savepoint, it is a 400."""
    if connection.vendor != "postgresql":
        return  # SQLite's REGEXP is Python's `re`, which compile_id_pattern asked
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT '' ~ %s", [id_pattern])
    except DataError as error:
        reason = str(error).splitlines()[0]
        raise BadRequestData(
            f"idPattern {id_pattern!r} is not a regular expression the hub runs: {reason}."
        ) from None


def find_entities(
    *,
    tenant: Tenant,
    types: list[str] | None = None,
    ids: list[str] | None = None,
    id_pattern: str | None = None,
    attrs: set[str] | None = None,
    q: Query | None = None,
    geo: GeoQuery | None = None,
    scope_q: str | None = None,
    limit: int = 20,
    offset: int = 0,
    count: bool = False,
    type_filter: tuple[TypeTest, set[str]] | None = None,
) -> tuple[list[Entry], int | None]:
    """NGSI-LD 5.7.2 Query Entities: the matching entities (internal form, ordered by id)
    from `offset`, at most `limit`, and their total number when `count`.

    `types` are expanded IRIs (any of them); `type_filter` a parsed type expression
    (`parse_type_expression`), used instead when given. An entity matches `attrs` when it
    has at least one of them.
    """
    if type_filter is None and types:
        type_filter = type_test(types)
    rows = entities_of(tenant)
    if ids:
        rows = rows.filter(entity_id__in=ids)
    if id_pattern:
        compile_id_pattern(id_pattern, name="idPattern")
        # PostgreSQL runs `~`; Django gives SQLite a REGEXP function with the same search semantics.
        _check_database_reads(id_pattern)
        rows = rows.filter(entity_id__regex=id_pattern)
    if type_filter is not None:
        # `type` holds the first type only: an entity of several types is read whole and
        # tested in Python (they are few).
        rows = rows.filter(Q(type__in=type_filter[1]) | Q(types__1__isnull=False))
    if geo is not None and geo.geoproperty == LOCATION_IRI:
        box = geo.bbox()
        if box is not None:
            min_x, min_y, max_x, max_y = box
            rows = rows.filter(
                geo_max_x__gte=min_x, geo_min_x__lte=max_x, geo_max_y__gte=min_y, geo_min_y__lte=max_y
            )
    scope = parse_scope_q(scope_q) if scope_q else None

    if q is None and geo is None and not attrs and scope is None:
        if type_filter is None:
            total = rows.count() if count else None
            page = [entity_from_row(row) for row in rows[offset : offset + limit]] if limit else []
            return page, total
        # Only the type expression needs Python: test the types of every candidate, then
        # read the rows of the page alone.
        test = type_filter[0]
        pks = [pk for pk, entity_types in rows.values_list("pk", "types") if test(entity_types)]
        wanted = pks[offset : offset + limit]
        by_pk = {row.pk: row for row in Entity.objects.filter(pk__in=wanted)} if wanted else {}
        return [entity_from_row(by_pk[pk]) for pk in wanted], (len(pks) if count else None)

    matching: list[Entry] = []
    for row in rows.iterator(chunk_size=500):
        entity = entity_from_row(row)
        if type_filter is not None and not type_filter[0](entity["type"]):
            continue
        if attrs and not _has_any(entity, attrs):
            continue
        if scope is not None and not scope.matches(entity.get("scope")):
            continue
        if q is not None and not q.matches(entity):
            continue
        if geo is not None and not geo.matches(entity):
            continue
        matching.append(entity)
    return matching[offset : offset + limit], (len(matching) if count else None)
