from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

from .tenants import Tenant

if TYPE_CHECKING:
    from mutualis.people.tenancy import Scope


class SubscriptionStatus(models.TextChoices):
    # NGSI-LD 5.2.12 (SubscriptionStatus): active, paused, expired.
    ACTIVE = "active", _("active")
    PAUSED = "paused", _("paused")
    EXPIRED = "expired", _("expired")


class SubscriptionQuerySet(models.QuerySet["Subscription"]):
    def visible_to(self, scope: Scope) -> SubscriptionQuerySet:
        """Through the tenants the scope may see (`TenantQuerySet.visible_to`)."""
        return self.filter(tenant__in=Tenant.objects.visible_to(scope))


class Subscription(models.Model):
    """An NGSI-LD subscription (5.2.12): what to watch, and where to send notifications.

    The request's fields are kept in `definition`, expanded; the columns below are what the
    broker reads on every change or updates on every notification.
    """

    # No index of its own: datahub_subscription_active starts with it.
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="subscriptions", db_index=False)
    subscription_id = models.CharField(_("subscription id"), max_length=512)
    name = models.CharField(_("name"), max_length=200, blank=True)
    # The whole subscription as received, with terms expanded (entities, watchedAttributes,
    # q, geoQ, notification, throttling, expiresAt, notificationTrigger…).
    definition = models.JSONField(_("definition"), default=dict)
    # The @context given at creation: notifications are compacted with it (5.8.1).
    context = models.JSONField(_("@context"), default=list)
    # Expanded types the subscription watches, for a quick first match on each change;
    # empty means "any type" (it then watches by id pattern or attributes).
    watched_types = models.JSONField(default=list)
    status = models.CharField(
        _("status"), max_length=8, choices=SubscriptionStatus.choices, default=SubscriptionStatus.ACTIVE
    )
    is_active = models.BooleanField(_("active"), default=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    throttling = models.PositiveIntegerField(_("throttling (seconds)"), default=0)
    endpoint = models.URLField(_("endpoint"), max_length=1000)
    times_sent = models.PositiveIntegerField(_("notifications sent"), default=0)
    times_failed = models.PositiveIntegerField(_("failed deliveries"), default=0)
    last_notification = models.DateTimeField(_("last notification"), null=True, blank=True)
    last_success = models.DateTimeField(_("last success"), null=True, blank=True)
    last_failure = models.DateTimeField(_("last failure"), null=True, blank=True)
    last_failure_reason = models.TextField(_("last failure reason"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    modified_at = models.DateTimeField(_("modified"), auto_now=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "subscription_id"], name="datahub_subscription_unique"),
        ]
        indexes = [
            # Each change looks up the tenant's active subscriptions.
            models.Index(fields=["tenant", "is_active"], name="datahub_subscription_active"),
        ]

    def __str__(self) -> str:
        return self.subscription_id
