from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

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

    def __str__(self) -> str:
        return f"{self.reason} ({self.received_at:%Y-%m-%d %H:%M})"
