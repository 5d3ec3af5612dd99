"""What an alert does to the service desk: one ticket per excursion, a note at its end.

Runs inside the write verb's transaction (or the sweep's): a rolled-back batch opens no
ticket, and a committed one cannot lose its ticket. A ticket that cannot be opened (the
sensor has no site, the type is not offered there) does not fail the ingestion: the state
keeps the reason (`AlertState.problem`) for the operator, and the log says it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mutualis.insights.figures import duration_text
from mutualis.servicedesk.models import Ticket, TicketChannel, TicketState
from mutualis.servicedesk.services.conversation import add_note
from mutualis.servicedesk.services.declaring import open_ticket
from mutualis.servicedesk.services.handling import transition

from .. import smart_data_models as sdm
from ..models import AlertState, DeletedSensorTicket, Entity
from ..models.alerts import AlertRule, Comparison, RuleKind
from .kept_tickets import outlived

logger = logging.getLogger(__name__)


def _follow(ticket: Ticket | None) -> Ticket | None:
    """The ticket, or the one it was merged into (a merge closes the duplicate and the
    other goes on: the staff said both are one incident, so the alert's news goes there)."""
    seen: set[int] = set()
    while ticket is not None and ticket.merged_into_id is not None and ticket.pk not in seen:
        seen.add(ticket.pk)
        ticket = Ticket.objects.filter(pk=ticket.merged_into_id).first()
    return ticket


def _followed(state: AlertState) -> Ticket | None:
    """The alert's ticket, or the one it was merged into; the state is made to point at it."""
    ticket = _follow(state.ticket)
    if ticket is not None and ticket is not state.ticket:
        state.ticket = ticket
    return ticket


def _left_by_deleted_sensor(state: AlertState) -> Ticket | None:
    """The ticket a sensor deleted under the same id left open on this sensor's site for
    the same rule (`sensor_deleted`), or None. Read when an alert fires without a ticket
    of its own, under the entity's lock as every firing is (the write verbs and the sweep
    lock the entity row; a sensor created again cannot commit before its namesake's
    deletion has): two batches firing the re-created sensor at once find it one after the
    other, the second already firing. The row is used once: deleted whatever is decided,
    so that the decision is taken at the sensor's first alert. A sensor deleted longer ago
    than the keep window (`kept_tickets.outlived`, 90 days by default) is a new
    installation: a ticket of its own, whether or not the daily job has forgotten the row
    yet."""
    entity = state.entity
    left = (
        DeletedSensorTicket.objects.filter(
            rule_id=state.rule_id, tenant_id=entity.tenant_id, entity_id=entity.entity_id
        )
        .select_related("ticket")
        .first()
    )
    if left is None:
        return None
    left.delete()
    if outlived(left.deleted_at, at=state.since):
        return None
    ticket = _follow(left.ticket)
    if ticket is None or ticket.state in _ENDED or ticket.site_id != entity.site_id:
        return None  # dealt with already, or another site's team: a ticket of its own
    # The same equipment: its alert goes on in the ticket the staff already work on.
    add_note(
        ticket=ticket,
        body=_(
            "The sensor %(sensor)s, deleted from the data hub (%(deleted)s), was created again under "
            "the same id on this site: the same equipment, so its alert “%(rule)s” goes on in this "
            "ticket. It fires again: %(what)s."
        )
        % {
            "sensor": _sensor(entity),
            "deleted": _when(left.deleted_at),
            "rule": state.rule,
            "what": _what(state),
        },
        by=None,
    )
    return ticket


def alert_fired(state: AlertState) -> None:
    """Open the excursion's ticket, unless the previous one is still open on the sensor's
    site (a note then): a sensor moved to another site gets a ticket there, for the team
    that goes there. A sensor deleted and created again under the same id goes on with
    the ticket its namesake left open on the site."""
    rule, entity = state.rule, state.entity
    # Tickets are read by the operator's staff and the member: in the product's language,
    # whatever language the process serving the write runs in.
    with translation.override(settings.LANGUAGE_CODE):
        ticket = _followed(state)
        if ticket is None:
            left = _left_by_deleted_sensor(state)
            if left is not None:
                state.ticket, state.problem = left, ""
                return
        if ticket is not None and ticket.state not in _ENDED and ticket.site_id == entity.site_id:
            add_note(
                ticket=ticket,
                body=_("The alert “%(rule)s” fires again: %(what)s.") % {"rule": rule, "what": _what(state)},
                by=None,
            )
            return
        if entity.site is None:
            state.problem = _("This sensor is not placed on a site of the registry: no ticket was opened.")
            logger.warning("Alert rule %s fired for %s, which has no site: no ticket.", rule.pk, entity)
            return
        assets = [entity.asset] if entity.asset is not None and entity.asset.site_id == entity.site_id else []
        try:
            state.ticket = open_ticket(
                site=entity.site,
                incident_type=rule.incident_type,
                title=_title(state),
                description=_description(state),
                assets=assets,
                by=None,
                channel=TicketChannel.ALERT,
                priority=rule.priority,
            )
        except ValidationError as error:
            state.problem = " ".join(error.messages)
            logger.warning("Alert rule %s fired for %s, no ticket: %s", rule.pk, entity, state.problem)
            return
        state.problem = ""


def alert_cleared(state: AlertState) -> None:
    """Say on the open ticket that values are back to normal, and resolve it if the rule
    says so. An ended ticket is left alone: someone has already dealt with it."""
    ticket = _followed(state)
    state.problem = ""
    if ticket is None or ticket.state in _ENDED:
        return
    with translation.override(settings.LANGUAGE_CODE):
        if state.rule.kind == RuleKind.SILENCE:
            body = _("The sensor sends data again (%(when)s).") % {"when": _when(state.since)}
        else:
            body = _("Back to normal: %(attribute)s is %(value)s (%(when)s).") % {
                "attribute": _attribute_name(state.rule),
                "value": _value(state.rule, state.last_value),
                "when": _when(state.since),
            }
        if state.flaps:
            # The returns beyond were not noted one by one (the rule's return-to-normal
            # delay, `machine`): say how many, and how long the values had to stay normal.
            body += " " + ngettext(
                "The alert came back %(count)s time before values stayed normal for %(delay)s.",
                "The alert came back %(count)s times before values stayed normal for %(delay)s.",
                state.flaps,
            ) % {"count": state.flaps, "delay": duration_text(state.rule.recovery.total_seconds())}
        add_note(ticket=ticket, body=body, by=None)
        if state.rule.resolve_when_clear:
            ticket.refresh_from_db(fields=["state"])
            state.ticket = transition(ticket=ticket, to=TicketState.RESOLVED, by=None, as_staff=True)


def alert_ended(state: AlertState, *, deactivated: bool) -> None:
    """Say on the open ticket that the alert stopped because its rule changed: the staff
    should not wait for a "back to normal" note that will not come."""
    ticket = _followed(state)
    state.problem = ""
    if ticket is None or ticket.state in _ENDED:
        return
    with translation.override(settings.LANGUAGE_CODE):
        if deactivated:
            body = _(
                "The alert rule “%(rule)s” was deactivated: this alert is over, whatever the "
                "values. Check the sensor before resolving the ticket."
            ) % {"rule": state.rule}
        else:
            body = _(
                "The alert rule “%(rule)s” was changed: this alert is over, and the sensor is "
                "judged again by the new rule from its next reading."
            ) % {"rule": state.rule}
        add_note(ticket=ticket, body=body, by=None)


def sensor_deleted(state: AlertState, *, at: datetime, firing: bool) -> DeletedSensorTicket | None:
    """Say on the open ticket of a `firing` alert that the sensor was deleted: its alert can
    no longer clear by itself (no reading will come), so the technician checks on site and
    resolves the ticket by hand. Not resolved here even when the rule resolves on a return
    to normal: nobody saw the values come back. Returns the row that keeps the open
    ticket, firing or not, for a sensor created again under the same id (the caller writes
    a batch's in one statement)."""
    ticket = _followed(state)
    if ticket is None or ticket.state in _ENDED:
        return None
    if not firing:
        return _kept(state, ticket, at=at)  # its end was noted already: nothing to add
    with translation.override(settings.LANGUAGE_CODE):
        body = _(
            "The sensor %(sensor)s was deleted from the data hub (%(when)s): the alert “%(rule)s” "
            "can no longer clear by itself. Check on site before resolving the ticket. A sensor "
            "created again under the same id on this site is the same equipment: its next alert "
            "goes on in this ticket while it is open."
        ) % {"sensor": _sensor(state.entity), "when": _when(at), "rule": state.rule}
        add_note(ticket=ticket, body=body, by=None)
    return _kept(state, ticket, at=at)


def _kept(state: AlertState, ticket: Ticket, *, at: datetime) -> DeletedSensorTicket:
    return DeletedSensorTicket(
        rule_id=state.rule_id,
        tenant_id=state.entity.tenant_id,
        entity_id=state.entity.entity_id,
        ticket=ticket,
        deleted_at=at,
    )


def attribute_deleted(state: AlertState, *, at: datetime) -> None:
    """Say on the open ticket that the watched attribute was deleted from the sensor: as
    for a deleted sensor, the alert can no longer clear by itself and the ticket is left
    for a technician to resolve. A later value is judged afresh."""
    ticket = _followed(state)
    state.problem = ""
    if ticket is None or ticket.state in _ENDED:
        return
    with translation.override(settings.LANGUAGE_CODE):
        body = _(
            "The attribute %(attribute)s of the sensor %(sensor)s was deleted from the data hub "
            "(%(when)s): the alert “%(rule)s” is over and can no longer clear by itself. Check on "
            "site before resolving the ticket. A new value of the attribute is judged afresh."
        ) % {
            "attribute": _attribute_name(state.rule),
            "sensor": _sensor(state.entity),
            "when": _when(at),
            "rule": state.rule,
        }
        add_note(ticket=ticket, body=body, by=None)


_ENDED = frozenset({TicketState.RESOLVED, TicketState.CLOSED, TicketState.CANCELLED})


def _attribute(rule: AlertRule) -> sdm.SdmAttribute | None:
    sdm_type = sdm.BY_IRI.get(rule.entity_type)
    if sdm_type is None:
        return None
    return next((a for a in sdm_type.attributes if a.iri == rule.attribute), None)


def _attribute_name(rule: AlertRule) -> str:
    attribute = _attribute(rule)
    return attribute.name if attribute is not None else rule.attribute.rsplit("/", 1)[-1]


def _value(rule: AlertRule, value: Any) -> str:
    attribute = _attribute(rule)
    unit = attribute.unit_symbol if attribute is not None else ""
    if isinstance(value, float):
        value = f"{value:g}"
    return f"{value} {unit}".strip()


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "?"
    return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def _sensor(entity: Entity) -> str:
    """The sensor's name when it has one (the SDM `name` attribute), else its id."""
    for instance in entity.attributes.get(sdm.SDM_BASE + "name", ()):
        if isinstance(instance.get("value"), str) and instance["value"].strip():
            return f"{instance['value'].strip()} ({entity.entity_id})"
    return entity.entity_id


def _what(state: AlertState) -> str:
    rule = state.rule
    name = _attribute_name(rule)
    if rule.kind == RuleKind.SILENCE:
        return _("no data on %(attribute)s since %(when)s") % {
            "attribute": name,
            "when": _when(state.pending_since),
        }
    if rule.kind == RuleKind.STATE:
        return _("%(attribute)s is %(value)s since %(when)s") % {
            "attribute": name,
            "value": _value(rule, state.last_value),
            "when": _when(state.pending_since),
        }
    params = {
        "attribute": name,
        "value": _value(rule, state.last_value),
        "threshold": _value(rule, rule.threshold),
        "when": _when(state.pending_since),
    }
    if rule.aggregation == "daily_mean":
        if rule.comparison == Comparison.ABOVE:
            return (
                _("the 24-hour mean of %(attribute)s is %(value)s, above %(threshold)s (%(when)s)") % params
            )
        return _("the 24-hour mean of %(attribute)s is %(value)s, below %(threshold)s (%(when)s)") % params
    if rule.comparison == Comparison.ABOVE:
        return _("%(attribute)s is %(value)s, above %(threshold)s since %(when)s") % params
    return _("%(attribute)s is %(value)s, below %(threshold)s since %(when)s") % params


def _title(state: AlertState) -> str:
    return _("Alert %(rule)s: %(what)s") % {"rule": state.rule, "what": _what(state)}


def _description(state: AlertState) -> str:
    entity = state.entity
    lines = [
        _("Ticket opened automatically by the alert rule “%(rule)s”.") % {"rule": state.rule},
        _("Sensor: %(sensor)s") % {"sensor": _sensor(entity)},
        _("Observed: %(what)s.") % {"what": _what(state)},
    ]
    if entity.asset is not None:
        lines.append(_("Equipment: %(tag)s") % {"tag": entity.asset.inventory_tag})
    if state.rule.resolve_when_clear:
        lines.append(_("The ticket will be resolved when values return to normal."))
    return "\n".join(lines)
