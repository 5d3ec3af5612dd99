"""Alert rules on sensor data, and where each rule stands for each sensor (issue 7, clause 3).

A rule watches one attribute of one Smart Data Models type for the operator's sensors; its
`AlertState` per entity is a small state machine (see `mutualis.datahub.alerts.evaluate`):

    normal ──beyond──▶ pending ──still beyond after `for_minutes`──▶ firing
      ▲                  │                                            │
      └──back within─────┘            └──past `clear_value` (hysteresis)┘──▶ normal

Without hysteresis (no `clear_value`, or a state rule), a firing alert back within ends
only once values have stayed so for the rule's `recovery_minutes`; a return beyond before
is counted (`flaps`), not noted (`mutualis.datahub.alerts.machine`).

A firing rule opens one service-desk ticket for the sensor's site and asset. A sensor
deleted while that ticket is open leaves it behind (`DeletedSensorTicket`): the sensor
created again under the same id on the same site goes on with it, for a while
(`mutualis.datahub.alerts.kept_tickets`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

from mutualis.lib.wording import labelled
from mutualis.people.tenancy import OperatorDataQuerySet
from mutualis.registry.models import Operator
from mutualis.servicedesk.models import IncidentType, Ticket
from mutualis.servicedesk.models.catalogue import Priority

from .entities import Entity
from .tenants import Tenant

if TYPE_CHECKING:
    from mutualis.people.tenancy import Scope


class RuleKind(models.TextChoices):
    THRESHOLD = "threshold", _("threshold on a measured value")
    STATE = "state", _("state (an enumerated value)")
    SILENCE = "silence", _("silence (no data for a while)")


class Comparison(models.TextChoices):
    ABOVE = "above", _("above")
    BELOW = "below", _("below")


class Aggregation(models.TextChoices):
    LATEST = "latest", _("each reading")
    DAILY_MEAN = "daily_mean", _("mean over the last 24 hours")


# How long the values of a rule without hysteresis must stay back to normal before its
# alert ends, unless the rule says otherwise. Several times a sensor's usual reading period
# (a few minutes), so that a value hovering around the threshold cannot end it between two
# readings; short enough that a real return to normal reaches the ticket within the
# quarter hour.
DEFAULT_RECOVERY_MINUTES = 15
# The bounds a rule may choose. At least a minute: the sweep that ends quiet alerts runs
# every minute, and no delay at all would bring back a note per crossing. At most a day:
# beyond it a return to normal reaches the ticket the next day; a rule needing more
# hysteresis gives a `clear_value` or compares a daily mean.
RECOVERY_MINUTES_MIN = 1
RECOVERY_MINUTES_MAX = 24 * 60


class AlertRuleQuerySet(OperatorDataQuerySet["AlertRule"]):
    def active(self) -> AlertRuleQuerySet:
        return self.filter(is_active=True)


class AlertRule(models.Model):
    operator = models.ForeignKey(
        Operator, on_delete=models.PROTECT, related_name="+", verbose_name=_("operator")
    )
    name = models.CharField(_("name"), max_length=150)
    is_active = models.BooleanField(_("in use"), default=True)
    # Expanded IRIs, as the hub stores them (mutualis.datahub.ngsild); the back-office
    # offers the Smart Data Models table's types and attributes.
    entity_type = models.CharField(_("type of sensor"), max_length=512)
    attribute = models.CharField(_("attribute"), max_length=512)
    kind = models.CharField(_("kind of rule"), max_length=10, choices=RuleKind.choices)
    comparison = models.CharField(
        _("fires when the value is"), max_length=5, choices=Comparison.choices, blank=True
    )
    threshold = models.FloatField(_("threshold"), null=True, blank=True)
    clear_value = models.FloatField(
        _("back to normal past"),
        null=True,
        blank=True,
        help_text=_(
            "Hysteresis: once fired, the alert ends only when the value goes back past this "
            "value (below it for an “above” rule). Empty: when the value has stayed back within "
            "the threshold for the return-to-normal delay."
        ),
    )
    recovery_minutes = models.PositiveIntegerField(
        _("return-to-normal delay (minutes)"),
        default=DEFAULT_RECOVERY_MINUTES,
        help_text=_(
            "For a rule without a “back to normal past” value, and for a state rule: once fired, "
            "the alert ends only when the values have stayed normal this long. From 1 minute to "
            "24 hours (1,440 minutes)."
        ),
    )
    aggregation = models.CharField(
        _("compared value"), max_length=12, choices=Aggregation.choices, default=Aggregation.LATEST
    )
    state_values = models.CharField(
        _("alerting values"),
        max_length=250,
        blank=True,
        help_text=_(
            "For a state rule: the values that fire, separated by commas (e.g. defectiveLamp, columnIssue)."
        ),
    )
    for_minutes = models.PositiveIntegerField(
        _("for at least (minutes)"),
        default=0,
        help_text=_("The value must stay beyond the threshold this long before the alert fires."),
    )
    silence_minutes = models.PositiveIntegerField(_("silence longer than (minutes)"), null=True, blank=True)
    incident_type = models.ForeignKey(
        IncidentType,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("incident type of the ticket"),
        help_text=_("Its category, team and priority are the ticket's."),
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"),
        choices=Priority.choices,
        null=True,
        blank=True,
        help_text=_("Empty: the incident type's default priority."),
    )
    resolve_when_clear = models.BooleanField(
        _("resolve the ticket when values return to normal"), default=False
    )

    objects = AlertRuleQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # The checks need the hub's tables and the catalogue: they live with the feature.
        from mutualis.datahub.alerts.validation import check_rule

        check_rule(self)

    @property
    def alerting_values(self) -> frozenset[str]:
        return frozenset(v.strip() for v in self.state_values.split(",") if v.strip())

    @property
    def recovery(self) -> timedelta:
        """How long the values must stay normal before a firing alert without hysteresis
        ends (`mutualis.datahub.alerts.machine`)."""
        return timedelta(minutes=self.recovery_minutes)


class AlertStatus(models.TextChoices):
    NORMAL = "normal", _("normal")
    PENDING = "pending", _("beyond the threshold, waiting")
    FIRING = "firing", _("firing")


class AlertStateQuerySet(models.QuerySet["AlertState"]):
    def visible_to(self, scope: Scope) -> AlertStateQuerySet:
        """Through the rules the scope may see (the operator's staff only)."""
        return self.filter(rule__in=AlertRule.objects.visible_to(scope))


class AlertState(models.Model):
    """Where one rule stands for one sensor. Written only when it moves (a change of
    status, or a firing alert without hysteresis crossing back and forth), not on every
    reading."""

    # No index of its own: datahub_alert_state_status starts with it.
    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="states", db_index=False)
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="+", verbose_name=_("entity"))
    status = models.CharField(
        _("status"), max_length=8, choices=AlertStatus.choices, default=AlertStatus.NORMAL
    )
    since = models.DateTimeField(_("since"))
    # When the value first went beyond the threshold, for `for_minutes`.
    pending_since = models.DateTimeField(_("beyond since"), null=True, blank=True)
    last_value = models.JSONField(_("last value"), null=True, blank=True)
    # A firing alert of a rule without hysteresis (no `clear_value`, or a state rule) ends
    # only once values have stayed back to normal for its rule's `recovery`: since when they
    # are, and how many times they went back beyond meanwhile (no note for those).
    clearing_since = models.DateTimeField(_("back to normal since"), null=True, blank=True)
    flaps = models.PositiveIntegerField(
        _("returns while firing"),
        default=0,
        help_text=_("How many times the alert came back before values stayed normal long enough."),
    )
    ticket = models.ForeignKey(
        Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("ticket")
    )
    # Why a firing alert has no ticket (no site, a type not offered…), for the operator.
    problem = models.TextField(_("problem"), blank=True)

    objects = AlertStateQuerySet.as_manager()

    class Meta:
        verbose_name = _("alert state")
        verbose_name_plural = _("alert states")
        constraints = [
            models.UniqueConstraint(fields=["rule", "entity"], name="datahub_alert_state_unique"),
        ]
        indexes = [
            # The sweep reads the pending and firing states of each rule.
            models.Index(fields=["rule", "status"], name="datahub_alert_state_status"),
        ]

    def __str__(self) -> str:
        # The sensor's NGSI-LD id and the state in words, as a delete page lists it (the
        # entity's row id and the status code told a person nothing).
        return labelled(f"{self.rule} / {self.entity}", str(self.get_status_display()))


class DeletedSensorTicket(models.Model):
    """The open ticket of a rule's alert on a deleted sensor (NGSI-LD 5.6.6 Delete Entity,
    5.6.10 Batch Entity Delete), kept by tenant and entity id.

    The alert's state goes with the entity; this row does not. For the operator's
    supervision the same id on the same site is the same equipment (the sensor was
    deleted and created again, re-provisioned, say): when the sensor created again fires
    the same rule while that ticket is still open there, its alert goes on with the ticket
    (a note) instead of opening a second one (`alerts.tickets.alert_fired`). Read only when
    an alert fires without a ticket, never per reading; used once, then deleted. Forgotten
    by a daily job once its ticket is closed or cancelled, or the sensor was deleted longer
    ago than DATAHUB_DELETED_SENSOR_TICKET_KEEP_DAYS (`alerts.kept_tickets`)."""

    # Its own index: a deleted rule takes its rows with it.
    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="+")
    # No index of its own: datahub_deleted_sensor_ticket_unique starts with it.
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", db_index=False)
    entity_id = models.CharField(_("entity id"), max_length=512)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+", verbose_name=_("ticket"))
    deleted_at = models.DateTimeField(_("sensor deleted at"))

    class Meta:
        verbose_name = _("ticket of a deleted sensor")
        verbose_name_plural = _("tickets of deleted sensors")
        constraints = [
            # One per alert: a sensor deleted again replaces the row (the ticket it had then).
            # Also the lookup of an alert firing without a ticket (all three columns).
            models.UniqueConstraint(
                fields=["tenant", "entity_id", "rule"], name="datahub_deleted_sensor_ticket_unique"
            ),
        ]

    def __str__(self) -> str:
        return labelled(
            f"{self.rule} / {self.entity_id}", _("n° %(number)s") % {"number": self.ticket.number}
        )
