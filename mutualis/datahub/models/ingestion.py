from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

from mutualis.datahub.ingestion.reasons import reason_label
from mutualis.registry.models import Operator

from .tenants import Tenant

if TYPE_CHECKING:
    from mutualis.people.tenancy import Scope


class IngestionSource(models.TextChoices):
    MQTT = "mqtt", _("MQTT")
    HTTP = "http", _("HTTP")


class DeadLetterQuerySet(models.QuerySet["DeadLetter"]):
    def visible_to(self, scope: Scope) -> DeadLetterQuerySet:
        """The operator's staff see their operator's rejected messages; nobody else does
        (a rejected message may name any tenant, or none)."""
        if scope.operator_id is None or not scope.is_operator_staff:
            return self.none()
        return self.filter(operator_id=scope.operator_id)


class DeadLetter(models.Model):
    """A message the ingestion could not turn into observations, kept with the reason.

    Nothing a sensor sends is dropped silently: a malformed or unknown message lands here,
    counted by reason and shown to the operator, who can fix the sensor or the registry.

    The same rejection received again (a QoS 1 message redelivered after a lost PUBACK,
    MQTT 3.1.1 §4.3.2; a device posting the same body again) is the same letter: its
    `fingerprint` is unique per operator, and the repeat is counted on it (`times_seen`,
    `last_seen_at`) rather than kept a second time (docs/ingestion.md).
    """

    # No index of its own: datahub_deadletter_reason starts with it.
    operator = models.ForeignKey(Operator, on_delete=models.CASCADE, related_name="+", db_index=False)
    # Null when the topic or token named no tenant the hub knows.
    tenant = models.ForeignKey(Tenant, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    source = models.CharField(_("source"), max_length=8, choices=IngestionSource.choices)
    topic = models.CharField(_("topic"), max_length=500, blank=True)
    # The message as received, cut to MAX_PAYLOAD characters: enough to see what was sent.
    payload = models.TextField(_("message"))
    reason = models.CharField(_("reason"), max_length=64)
    detail = models.TextField(_("detail"), blank=True)
    received_at = models.DateTimeField(_("received"), db_index=True)
    # SHA-256 of what makes the rejection this one (receive.letter_fingerprint).
    fingerprint = models.CharField(max_length=64, editable=False)
    times_seen = models.PositiveIntegerField(_("times received"), default=1)
    last_seen_at = models.DateTimeField(_("last received"))

    objects = DeadLetterQuerySet.as_manager()

    MAX_PAYLOAD = 65_536

    class Meta:
        verbose_name = _("rejected message")
        verbose_name_plural = _("rejected messages")
        ordering = ["-received_at"]
        indexes = [
            # The back-office counts rejected messages by reason for the operator.
            models.Index(fields=["operator", "reason"], name="datahub_deadletter_reason"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["operator", "fingerprint"], name="datahub_deadletter_once"),
        ]

    def __str__(self) -> str:
        # The back office's title and breadcrumbs: the reason's label, not its code.
        return f"{reason_label(self.reason)} ({self.received_at:%Y-%m-%d %H:%M})"
