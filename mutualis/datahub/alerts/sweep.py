"""The alert rules' periodic job, every minute: what arriving data cannot tell.

- silence rules: no data on the attribute for N minutes fires (data again ends it, on the
  write path or here);
- pending threshold and state rules whose `for_minutes` has elapsed without a new reading;
- firing alerts of rules without hysteresis back to normal for their `recovery` delay;
- daily means (PM2.5 against the WHO 24-hour guideline), from the history.

Each transition locks its entity row first, as the write verbs do, so that a batch of
observations and the sweep never move the same state at once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Avg
from django.utils import timezone

from mutualis.jobs import periodic, task

from ..models import AlertRule, AlertState, Attribute, AttributeInstance, Entity
from ..models.alerts import Aggregation, AlertStatus, RuleKind
from ..ngsild.errors import NgsiLdError
from ..ngsild.timestamps import parse_instant
from . import machine

logger = logging.getLogger(__name__)

SWEEP_TASK = "datahub.alert_sweep"
DAY = timedelta(hours=24)


@periodic(SWEEP_TASK, every=timedelta(minutes=1))
@task(SWEEP_TASK, max_attempts=1)  # the next minute's run does the work again
def alert_sweep(*, now: datetime | None = None) -> None:
    now = now or timezone.now()
    rules = AlertRule.objects.active().select_related("incident_type", "incident_type__category")
    for rule in rules:
        if rule.kind == RuleKind.SILENCE:
            _sweep_silence(rule, now=now)
        elif rule.aggregation == Aggregation.DAILY_MEAN:
            _sweep_daily_mean(rule, now=now)
        else:
            _sweep_pending(rule, now=now)
        if machine.recovers_in_time(rule):
            _sweep_recovered(rule, now=now)


def _sensors(rule: AlertRule) -> Any:
    """The operator's entities of the rule's type, in all its tenants."""
    return Entity.objects.filter(tenant__operator_id=rule.operator_id, type=rule.entity_type)


def _locked(rule: AlertRule, entity_pk: int) -> tuple[Entity, AlertState | None] | None:
    """The entity, locked, with the rule's state for it read again under the lock."""
    entity = (
        Entity.objects.select_for_update(of=("self",))
        .select_related("site", "asset")
        .filter(pk=entity_pk)
        .first()
    )
    if entity is None:
        return None
    state = AlertState.objects.select_related("ticket").filter(rule=rule, entity=entity).first()
    if state is not None:
        state.rule, state.entity = rule, entity
    return entity, state


def locked_state(rule: AlertRule, entity_pk: int) -> AlertState | None:
    """The rule's state for the entity, read again with the entity locked (call inside a
    transaction)."""
    found = _locked(rule, entity_pk)
    return None if found is None else found[1]


def _sweep_pending(rule: AlertRule, *, now: datetime) -> None:
    due = now - timedelta(minutes=rule.for_minutes)
    pending = AlertState.objects.filter(rule=rule, status=AlertStatus.PENDING, pending_since__lte=due)
    for entity_pk in pending.values_list("entity_id", flat=True):
        with transaction.atomic():
            found = _locked(rule, entity_pk)
            if found is None:
                continue
            _, state = found
            if state is not None and state.status == AlertStatus.PENDING:
                machine.fire(state, value=state.last_value, at=now)


def _sweep_recovered(rule: AlertRule, *, now: datetime) -> None:
    """Firing alerts of a rule without hysteresis whose values have been back to normal
    for the rule's `recovery` delay with no reading since (a sensor reporting rarely, or one
    that stopped after its last normal value). The delay is the rule's own, read with it."""
    due = now - rule.recovery
    recovered = AlertState.objects.filter(rule=rule, status=AlertStatus.FIRING, clearing_since__lte=due)
    for entity_pk in recovered.values_list("entity_id", flat=True):
        with transaction.atomic():
            state = locked_state(rule, entity_pk)
            if state is not None:
                machine.recover(state, now=now)


def _last_seen(entity: Entity, iri: str) -> datetime:
    """When the attribute last had news: its default instance's observedAt (else its
    modifiedAt); an entity that never had it counts from its creation. An observedAt later
    than the modifiedAt (a sensor whose clock runs ahead) counts as the modifiedAt: a
    reading cannot have been observed after the hub received it, and a silence dated from
    next year would never be found."""
    for instance in entity.attributes.get(iri, ()):
        if "datasetId" in instance:
            continue
        found = [_instant(instance, key) for key in ("observedAt", "modifiedAt")]
        moments = [moment for moment in found if moment is not None]
        if moments:
            return min(moments)
    return entity.created_at


def _instant(instance: dict[str, Any], key: str) -> datetime | None:
    if key not in instance:
        return None
    try:
        return parse_instant(instance[key], field=key)
    except NgsiLdError:
        return None


def _sweep_silence(rule: AlertRule, *, now: datetime) -> None:
    if not rule.silence_minutes:
        return  # refused by the rule's validation; a row written around it waits for a fix
    limit = timedelta(minutes=rule.silence_minutes)
    firing = set(
        AlertState.objects.filter(rule=rule, status=AlertStatus.FIRING).values_list("entity_id", flat=True)
    )
    for entity in _sensors(rule).only("pk", "attributes", "created_at"):
        seen = _last_seen(entity, rule.attribute)
        silent = now - seen >= limit
        if silent == (entity.pk in firing):
            continue
        with transaction.atomic():
            found = _locked(rule, entity.pk)
            if found is None:
                continue
            locked, state = found
            seen = _last_seen(locked, rule.attribute)
            if now - seen >= limit:
                if state is None:
                    state = AlertState(rule=rule, entity=locked, since=now)
                if state.status != AlertStatus.FIRING:
                    state.pending_since = seen
                    machine.fire(state, value=None, at=now)
            elif state is not None and state.status == AlertStatus.FIRING:
                machine.clear(state, value=None, at=seen)


def _sweep_daily_mean(rule: AlertRule, *, now: datetime) -> None:
    """The mean of the last 24 hours of readings (WHO air quality guidelines 2021: PM2.5
    15 µg/m³ as a 24-hour mean), one GROUP BY for all the rule's sensors."""
    attribute = Attribute.objects.filter(iri=rule.attribute).first()
    if attribute is None:
        return  # nothing was ever recorded under this attribute
    means = (
        AttributeInstance.objects.filter(
            attribute=attribute,
            dataset_id="",
            number__isnull=False,
            observed_at__gt=now - DAY,
            observed_at__lte=now,
            entity__in=_sensors(rule).values("pk"),
        )
        .values("entity_id")
        .annotate(mean=Avg("number"))
    )
    for row in means:
        with transaction.atomic():
            found = _locked(rule, row["entity_id"])
            if found is None:
                continue
            entity, state = found
            machine.observe(rule, state, entity, round(row["mean"], 3), at=now)
