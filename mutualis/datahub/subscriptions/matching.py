"""Does a change concern a subscription? (NGSI-LD 5.8.1, 5.2.12, 5.2.33)

A change matches when, in this order (cheapest first): the entity is one the selectors
name (type, then id or idPattern), the change touches a watched attribute, the kind of
change is one of the subscription's notificationTrigger values, and the entity satisfies
`q` and `geoQ`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ..models import Subscription
from ..ngsild.context import ActiveContext, active_context, core_context
from ..ngsild.query import Query, ScopeQuery, parse_q, parse_scope_q
from .definitions import DEFAULT_TRIGGERS, geo_query

if TYPE_CHECKING:
    from ..ngsild.geo import GeoQuery
    from .notify import Change


def subscription_context(subscription: Subscription) -> ActiveContext:
    """The @context the subscription's q, geoQ and notifications are read and written in."""
    return active_context(subscription.context) if subscription.context else core_context()


def change_kinds(change: Change, attributes: frozenset[str]) -> set[str]:
    """The notificationTrigger values (5.2.12) a change amounts to, for the given attributes.

    An entity's creation also creates each of its attributes, so that the default triggers
    (attributeCreated, attributeUpdated) notify new entities, as subscribers expect. A
    deletion is entityDeleted only: there is no entity left to show attributes of.
    """
    if change.entity is None:
        return {"entityDeleted"} if change.previous is not None else set()
    kinds: set[str] = set()
    before = change.previous["attrs"] if change.previous is not None else {}
    after = change.entity["attrs"]
    if change.previous is None:
        kinds.add("entityCreated")
    else:
        kinds.add("entityUpdated")
    for iri in attributes:
        if iri in after and iri not in before:
            kinds.add("attributeCreated")
        elif iri in after:
            kinds.add("attributeUpdated")
        elif iri in before:
            kinds.add("attributeDeleted")
    return kinds


@dataclass
class Matcher:
    """One subscription made ready for matching many changes: its regular expressions,
    `q` and `geoQ` are compiled once per `entities_changed` call, and only if a change
    gets that far."""

    subscription: Subscription
    definition: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        self.definition = self.subscription.definition

    @cached_property
    def ctx(self) -> ActiveContext:
        return subscription_context(self.subscription)

    @cached_property
    def selectors(self) -> list[tuple[frozenset[str], str | None, re.Pattern[str] | None]]:
        return [
            (
                frozenset(selector["type"]),
                selector.get("id"),
                re.compile(selector["idPattern"]) if "idPattern" in selector else None,
            )
            for selector in self.definition.get("entities") or []
        ]

    @cached_property
    def watched(self) -> frozenset[str] | None:
        attributes = self.definition.get("watchedAttributes")
        return frozenset(attributes) if attributes else None

    @cached_property
    def triggers(self) -> frozenset[str]:
        return frozenset(self.definition.get("notificationTrigger") or DEFAULT_TRIGGERS)

    @cached_property
    def query(self) -> Query | None:
        q = self.definition.get("q")
        return parse_q(q, self.ctx) if q else None

    @cached_property
    def scope_query(self) -> ScopeQuery | None:
        scope_q = self.definition.get("scopeQ")
        return parse_scope_q(scope_q) if scope_q else None

    @cached_property
    def geo(self) -> GeoQuery | None:
        geo_q = self.definition.get("geoQ")
        return geo_query(geo_q, self.ctx) if geo_q else None

    def selects(self, entity: dict[str, Any]) -> bool:
        if not self.selectors:
            return True  # watchedAttributes only: any entity of the tenant
        types = set(entity.get("type") or [])
        entity_id = entity["id"]
        for selector_types, selector_id, pattern in self.selectors:
            if not types & selector_types:
                continue
            if selector_id is not None and selector_id != entity_id:
                continue
            if pattern is not None and not pattern.fullmatch(entity_id):
                continue
            return True
        return False

    def matches(self, change: Change) -> bool:
        entity = change.subject
        if not self.selects(entity):
            return False
        touched = change.attributes if self.watched is None else change.attributes & self.watched
        if (
            self.watched is not None
            and not touched
            and change.entity is not None
            and change.previous is not None
        ):
            # An update that touches none of the watched attributes (5.8.1).
            return False
        if not change_kinds(change, touched) & self.triggers:
            return False
        # q, scopeQ and geoQ on the new state; on the last one known for a deletion.
        if self.query is not None and not self.query.matches(entity):
            return False
        if self.scope_query is not None and not self.scope_query.matches(entity.get("scope")):
            return False
        return self.geo is None or self.geo.matches(entity)
