"""Saving an alert rule: the verb the back-office calls (and any other writer should).

A rule's states say where each sensor stands *for that rule*. When the rule stops judging
(deactivated) or judges differently (another attribute, threshold, kind…), those states
describe a rule that no longer exists: a state left firing would swallow the next
excursion (no ticket, since "already firing"), and one left pending would fire on a
condition nobody asked for any more. So such a change ends them: each alert in progress
goes back to normal, its open ticket gets a note saying why, and the sensors are judged
afresh by the rule as saved, from their next reading (or the sweep's next run).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from ..models import AlertRule, AlertState
from ..models.alerts import AlertStatus
from . import machine
from .sweep import locked_state

# What decides whether a value is beyond: changing any of these changes the rule's
# judgement. The name, incident type, priority and resolve_when_clear only change the
# tickets to come; the return-to-normal delay (recovery_minutes) only how long an alert
# waits to end, so an alert waiting keeps its start and waits the new delay.
JUDGING_FIELDS = (
    "operator_id",
    "is_active",
    "entity_type",
    "attribute",
    "kind",
    "comparison",
    "threshold",
    "clear_value",
    "aggregation",
    "state_values",
    "for_minutes",
    "silence_minutes",
)


@transaction.atomic
def save_rule(*, rule: AlertRule) -> AlertRule:
    """Save `rule` (already validated); end its alerts in progress when its judgement
    changed or it was deactivated."""
    before = AlertRule.objects.filter(pk=rule.pk).first() if rule.pk is not None else None
    rule.save()
    if before is not None and any(getattr(before, f) != getattr(rule, f) for f in JUDGING_FIELDS):
        end_alerts(rule, deactivated=before.is_active and not rule.is_active)
    return rule


def end_alerts(rule: AlertRule, *, deactivated: bool) -> int:
    """Put back to normal every state of the rule that is not; returns how many."""
    now = timezone.now()
    ended = 0
    moving = AlertState.objects.filter(rule=rule).exclude(status=AlertStatus.NORMAL)
    for entity_pk in moving.values_list("entity_id", flat=True):
        # Locked as the write verbs and the sweep lock it, so that a batch of readings
        # and this never move the same state at once.
        state = locked_state(rule, entity_pk)
        if state is not None and state.status != AlertStatus.NORMAL:
            machine.end(state, at=now, deactivated=deactivated)
            ended += 1
    return ended
