"""Alert rules evaluated as data arrives, inside the write verbs' transaction.

The cost on ingestion: one query per batch for the operator's active rules; then, per
change, a dict lookup by (type, attribute) for each of its types and changed attributes.
Only when a rule watches a changed attribute are the entities and their alert states
read (two queries for the whole batch), and rows are written only on a change of status.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..models import AlertRule, AlertState, Entity, Tenant
from ..models.alerts import Aggregation, AlertStatus, RuleKind
from ..ngsild.errors import NgsiLdError
from ..ngsild.timestamps import parse_instant
from . import machine

if TYPE_CHECKING:
    from ..subscriptions.notify import Change

# {entity type IRI: {attribute IRI: [rules]}}
Watched = dict[str, dict[str, list[AlertRule]]]


def watched_by(operator_id: int) -> Watched:
    """The operator's active rules that judge arriving values, by type and attribute.

    Daily means are judged by the sweep (a mean per reading would read the day's history
    on every write); silences only need arriving data to end them."""
    watched: defaultdict[str, defaultdict[str, list[AlertRule]]] = defaultdict(lambda: defaultdict(list))
    rules = (
        AlertRule.objects.active().filter(operator_id=operator_id).exclude(aggregation=Aggregation.DAILY_MEAN)
    )
    for rule in rules.select_related("incident_type", "incident_type__category"):
        watched[rule.entity_type][rule.attribute].append(rule)
    return {type_iri: dict(by_attribute) for type_iri, by_attribute in watched.items()}


def on_changes(tenant: Tenant, changes: list[Change], *, now: datetime) -> None:
    """Move the alert states these changes call for (and open or note tickets)."""
    if not changes:
        return
    watched = watched_by(tenant.operator_id)
    if not watched:
        return
    hits: list[tuple[AlertRule, dict[str, Any]]] = []
    for change in changes:
        entity = change.entity
        if entity is None:
            continue  # deleted: its states go with it (cascade)
        for type_iri in entity["type"]:
            by_attribute = watched.get(type_iri)
            if by_attribute is None:
                continue
            for iri in change.attributes:
                for rule in by_attribute.get(iri, ()):
                    hits.append((rule, entity))
    if hits:
        _evaluate(tenant, hits, now=now)


def _evaluate(tenant: Tenant, hits: list[tuple[AlertRule, dict[str, Any]]], *, now: datetime) -> None:
    rows = {
        row.entity_id: row
        for row in Entity.objects.filter(
            tenant=tenant, entity_id__in={e["id"] for _, e in hits}
        ).select_related("site", "asset")
    }
    states = {
        (state.rule_id, state.entity_id): state
        for state in AlertState.objects.filter(
            rule__in={rule.pk for rule, _ in hits}, entity__in=[row.pk for row in rows.values()]
        ).select_related("ticket")
    }
    for rule, entity in hits:
        row = rows.get(entity["id"])
        if row is None:
            continue
        reading = _reading(entity, rule.attribute, now=now)
        if reading is None:
            continue
        value, at = reading
        state = states.get((rule.pk, row.pk))
        if state is not None:
            # The objects already at hand, so that tickets name them without a query.
            state.rule, state.entity = rule, row
        if rule.kind == RuleKind.SILENCE:
            # Data again: a silence ends; otherwise nothing to write.
            if state is not None and state.status == AlertStatus.FIRING:
                machine.clear(state, value=value, at=at)
            continue
        new_state = machine.observe(rule, state, row, value, at=at)
        if new_state is not None:
            states[(rule.pk, row.pk)] = new_state


def _reading(entity: dict[str, Any], iri: str, *, now: datetime) -> tuple[Any, datetime] | None:
    """The value of the attribute's default instance (no datasetId) and when it was
    observed (its observedAt, else now): durations count in the sensor's time."""
    for instance in entity["attrs"].get(iri, ()):
        if "datasetId" in instance:
            continue
        if "value" in instance:
            value = instance["value"]
        elif "vocab" in instance:
            value = instance["vocab"]
        else:
            return None
        observed = instance.get("observedAt")
        if observed is None:
            return value, now
        try:
            return value, parse_instant(observed, field="observedAt")
        except NgsiLdError:
            return value, now
    return None
