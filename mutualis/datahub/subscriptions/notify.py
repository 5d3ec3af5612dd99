"""From entity changes to queued notifications (NGSI-LD 5.8.1, 5.3.1).

The write verbs call `entities_changed` inside their transaction: the notifications are
queued as jobs in that same transaction, so a change that is rolled back notifies nobody
and a committed one cannot lose its notifications (docs/jobs.md). Delivery happens later,
in a worker (`delivery.deliver_notification`).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q

from mutualis.jobs import enqueue

from ..alerts import evaluate as alerts
from ..models import Subscription, Tenant
from .matching import Matcher
from .payloads import build_notification
from .services import active_subscriptions

logger = logging.getLogger(__name__)

NOTIFY_TASK = "datahub.notify"


@dataclass(frozen=True)
class Change:
    """One entity's change, in the internal form (see mutualis.datahub.ngsild)."""

    entity: dict[str, Any] | None  # after the change; None: deleted
    previous: dict[str, Any] | None  # before; None: created
    attributes: frozenset[str]  # expanded IRIs of the attributes created, changed or deleted

    @property
    def subject(self) -> dict[str, Any]:
        """The entity as the change left it, or as it was before its deletion."""
        found = self.entity if self.entity is not None else self.previous
        if found is None:
            raise ValueError("A Change needs an entity, a previous state, or both.")
        return found


def entities_changed(tenant: Tenant, changes: list[Change], *, now: datetime) -> int:
    """Queue the notifications these changes call for; returns how many were queued.

    One query when the tenant has no active subscription. Each subscription gets at most
    one notification per call, carrying every entity of the call it matched.
    """
    alerts.on_changes(tenant, changes, now=now)  # alert rules, in the same transaction (issue 7)
    if not changes:
        return 0
    subscriptions = list(active_subscriptions(tenant, now=now))
    if not subscriptions:
        return 0
    matched: dict[int, list[Change]] = defaultdict(list)
    matchers = [Matcher(subscription) for subscription in subscriptions]
    for change in changes:
        for matcher in matchers:
            if matcher.matches(change):
                matched[matcher.subscription.pk].append(change)
    queued = 0
    for matcher in matchers:
        subscription = matcher.subscription
        if subscription.pk not in matched:
            continue
        if not _take_throttling_slot(subscription, now=now):
            logger.info(
                "Subscription %s: notification withheld, within its throttling of %s s (5.8.1).",
                subscription.subscription_id,
                subscription.throttling,
            )
            continue
        subscription.tenant = tenant
        notification = build_notification(subscription, matched[subscription.pk], matcher.ctx, now=now)
        enqueue(
            NOTIFY_TASK,
            operator_id=tenant.operator_id,
            subscription_pk=subscription.pk,
            notification=notification,
        )
        queued += 1
    return queued


def _take_throttling_slot(subscription: Subscription, *, now: datetime) -> bool:
    """5.8.1 / 5.2.12 throttling: no two notifications closer than `throttling` seconds.

    The window starts at the last notification issued. Taking it is one conditional UPDATE
    on the value read, so of two writers racing on the same subscription, one notifies and
    the other (whose UPDATE finds the moved value) is throttled. Without throttling the row
    is not written here, so that concurrent writers never wait on each other for it.
    """
    if not subscription.throttling:
        return True
    previous = subscription.last_notification
    if previous is not None and previous + timedelta(seconds=subscription.throttling) > now:
        return False
    unchanged = Q(last_notification__isnull=True) if previous is None else Q(last_notification=previous)
    taken = Subscription.objects.filter(unchanged, pk=subscription.pk).update(last_notification=now)
    if taken:
        subscription.last_notification = now
    return bool(taken)
