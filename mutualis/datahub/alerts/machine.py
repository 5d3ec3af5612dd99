"""The life of one rule for one sensor: normal → pending → firing → normal.

Both the write path (`evaluate.on_changes`) and the periodic job (`sweep`) move states
through `observe`, `fire`, `clear` and `recover` only, so that the transitions are
declared once. A state row is written only when it moves: a sensor that stays normal, or
stays firing, costs no write per reading.

Flapping. A rule with a return-to-normal value (`clear_value`) has its hysteresis in the
value. One without (a threshold alone, a state rule) would end its alert at the first
value back within and raise it again at the next one beyond: a sensor hovering around
the threshold wrote "back to normal" then "fires again" on the ticket every reading. Such
an alert ends only once values have stayed back within for the rule's return-to-normal
delay (`AlertRule.recovery`, 15 minutes unless the rule says otherwise: hysteresis in
time, as Prometheus's `keep_firing_for` or a Zabbix recovery expression over a period);
a value beyond before that is the same alert going on: counted (`flaps`), no note. The
return to normal, when it comes, is noted once with that count.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from ..models import AlertRule, AlertState, DeletedSensorTicket, Entity
from ..models.alerts import AlertStatus, Comparison, RuleKind
from . import tickets

logger = logging.getLogger(__name__)


def _number(value: Any) -> float | None:
    # A boolean is an int to Python, not a measure to a threshold.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return float(value)
    except OverflowError:  # an integer beyond a double's range: no measure, nothing to judge
        return None


def is_beyond(rule: AlertRule, value: Any) -> bool | None:
    """Whether `value` is what the rule alerts on; None: a value the rule cannot judge
    (text for a threshold, say), which leaves the state as it is."""
    if rule.kind == RuleKind.STATE:
        if isinstance(value, dict | list):
            return None
        return str(value) in rule.alerting_values
    number = _number(value)
    if number is None or rule.threshold is None:
        return None
    if rule.comparison == Comparison.ABOVE:
        return number > rule.threshold
    return number < rule.threshold


def is_clear(rule: AlertRule, value: Any) -> bool | None:
    """Whether a firing alert ends with `value`. Thresholds end only past `clear_value`
    (at or below it for an "above" rule): between the two, the alert keeps firing, so a
    value wavering around the threshold neither closes nor reopens anything."""
    if rule.kind == RuleKind.STATE:
        beyond = is_beyond(rule, value)
        return None if beyond is None else not beyond
    number = _number(value)
    if number is None or rule.threshold is None:
        return None
    limit = rule.clear_value if rule.clear_value is not None else rule.threshold
    if rule.comparison == Comparison.ABOVE:
        return number <= limit
    return number >= limit


def recovers_in_time(rule: AlertRule) -> bool:
    """Whether a firing alert of the rule ends only after `rule.recovery` back to normal:
    the rules without hysteresis in the value. The delay comes with the rule's row, read
    once per batch (`evaluate.watched_by`) or per sweep: no query per reading."""
    if rule.kind == RuleKind.STATE:
        return True
    return rule.kind == RuleKind.THRESHOLD and rule.clear_value is None


# How a state is written: (state, the fields changed, or None for the whole row).
Save = Callable[[AlertState, list[str] | None], None]


def save_now(state: AlertState, fields: list[str] | None) -> None:
    state.save(update_fields=fields)


def observe(
    rule: AlertRule,
    state: AlertState | None,
    entity: Entity,
    value: Any,
    *,
    at: datetime,
    save: Save = save_now,
) -> AlertState | None:
    """A new value of the watched attribute (or a daily mean). Returns the state, created
    when the value first goes beyond, or None while everything is normal.

    `save` writes the moves that open or note nothing (beyond → pending, pending → normal,
    a firing alert without hysteresis back within or beyond again, `_while_firing`): the
    write path gathers them to write a batch's in two statements; firing and clearing
    always save at once, with their ticket."""
    if state is not None and state.status == AlertStatus.FIRING:
        _while_firing(rule, state, value, at=at, save=save)
        return state
    beyond = is_beyond(rule, value)
    if beyond is None:
        return state
    if state is not None and state.status == AlertStatus.PENDING and state.pending_since is not None:
        if not beyond:
            state.status, state.since, state.pending_since = AlertStatus.NORMAL, at, None
            state.last_value = value
            save(state, ["status", "since", "pending_since", "last_value"])
        elif at - state.pending_since >= timedelta(minutes=rule.for_minutes):
            fire(state, value=value, at=at)
        return state
    if not beyond:
        return state
    if state is None:
        state = AlertState(rule=rule, entity=entity, since=at)
    state.pending_since = at
    if rule.for_minutes:
        state.status, state.since, state.last_value = AlertStatus.PENDING, at, value
        save(state, None)
    else:
        fire(state, value=value, at=at)
    return state


def _while_firing(rule: AlertRule, state: AlertState, value: Any, *, at: datetime, save: Save) -> None:
    within = is_clear(rule, value)
    if within is None:
        return
    if not recovers_in_time(rule):
        if within:
            clear(state, value=value, at=at)
        return
    if not within:
        if state.clearing_since is not None:
            # Beyond again before the delay: the same alert goes on, counted, not noted.
            state.clearing_since, state.last_value = None, value
            state.flaps += 1
            save(state, ["clearing_since", "flaps", "last_value"])
        return
    if state.clearing_since is None:
        state.clearing_since, state.last_value = at, value
        save(state, ["clearing_since", "last_value"])
    elif at - state.clearing_since >= rule.recovery:
        clear(state, value=value, at=state.clearing_since)


def recover(state: AlertState, *, now: datetime) -> None:
    """The sweep: a firing alert back to normal since `clearing_since` with no reading
    since ends once its rule's `recovery` has passed (values are taken to stay as last
    reported)."""
    if (
        state.status == AlertStatus.FIRING
        and state.clearing_since is not None
        and now - state.clearing_since >= state.rule.recovery
    ):
        clear(state, value=state.last_value, at=state.clearing_since)


def fire(state: AlertState, *, value: Any, at: datetime) -> None:
    state.status, state.since, state.last_value = AlertStatus.FIRING, at, value
    state.clearing_since, state.flaps = None, 0
    tickets.alert_fired(state)
    state.save()


def clear(state: AlertState, *, value: Any, at: datetime) -> None:
    """Back to normal; `flaps` is kept until the next firing, for the note and the
    back-office."""
    state.status, state.since, state.last_value, state.pending_since = AlertStatus.NORMAL, at, value, None
    state.clearing_since = None
    tickets.alert_cleared(state)
    state.save()


def end(state: AlertState, *, at: datetime, deactivated: bool) -> None:
    """The rule was deactivated or changed how it judges (`rules.save_rule`): whatever was
    in progress is over, and the sensor is judged afresh by the rule as it now is."""
    was_firing = state.status == AlertStatus.FIRING
    state.status, state.since, state.pending_since = AlertStatus.NORMAL, at, None
    state.clearing_since = None
    if was_firing:
        tickets.alert_ended(state, deactivated=deactivated)
    state.save()


def sensor_deleted(state: AlertState, *, at: datetime) -> DeletedSensorTicket | None:
    """The sensor is being deleted, and this state with it (`evaluate.on_deleting`): a
    firing alert's open ticket is told that no return to normal will ever come. Nothing
    is written to the state, which goes with its entity: a sensor created again under
    the same id starts normal and is judged afresh, but its next alert of the rule goes on
    with the ticket still open (returned here, kept by the caller), as the sensor's own
    next excursion would have."""
    return tickets.sensor_deleted(state, at=at, firing=state.status == AlertStatus.FIRING)


def attribute_deleted(state: AlertState, *, at: datetime) -> None:
    """The watched attribute was deleted from the sensor (`evaluate.on_changes`): no value
    will come to clear the alert, so it ends here, its open ticket told so, and a later
    value of the attribute is judged afresh, as a first one. A pending excursion just
    ends."""
    was_firing = state.status == AlertStatus.FIRING
    state.status, state.since, state.pending_since = AlertStatus.NORMAL, at, None
    state.clearing_since = None
    if was_firing:
        tickets.attribute_deleted(state, at=at)
    state.save()
