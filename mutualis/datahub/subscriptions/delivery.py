"""Sending notifications (NGSI-LD 5.3.1, 6.3.6) and expiring subscriptions (5.2.12).

A notification is a job of the project's queue: a receiver that is down makes the job
fail and come back later with exponential backoff (10 s, 20 s, 40 s… over about 20
minutes), and after the last attempt it stays `failed`, visible to the operator's admins
in the back-office, who can retry it. Nothing is dropped on the way.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

from django.db.models import F, Q
from django.utils import timezone

from mutualis.jobs import periodic, task

from ..models import Subscription
from ..models.subscriptions import SubscriptionStatus
from ..ngsild.timestamps import parse_instant
from . import egress
from .matching import subscription_context
from .notify import NOTIFY_TASK
from .payloads import wire_format

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
MAX_REASON = 500


class DeliveryError(Exception):
    """The receiver did not take the notification; the job is retried."""


def post(url: str, body: dict[str, Any], headers: dict[str, str]) -> int:
    """POST the JSON body; the HTTP status, or raise DeliveryError with why it failed.

    Through `egress`: the endpoint's name is resolved and every address checked before
    connecting (no internal addresses, DNS rebinding caught). A redirect is a failed
    delivery the subscriber must fix: it is not followed (a redirected POST would be
    replayed as a GET without its body, and could lead to a refused address).
    """
    data = json.dumps(body, ensure_ascii=False).encode()
    try:
        answer = egress.post(url, data, headers, timeout=TIMEOUT_SECONDS)
    except egress.Refused as exc:
        raise DeliveryError(f"{url} refused: {exc}") from None
    except egress.Unreachable as exc:
        raise DeliveryError(f"{url} could not be reached: {exc}") from None
    if 300 <= answer.status < 400:
        raise DeliveryError(
            f"{url} answered HTTP {answer.status} {answer.reason}, a redirection to "
            f"{answer.location or '(no Location)'}; redirects are not followed: subscribe the final URL."
        )
    if not 200 <= answer.status < 300:
        raise DeliveryError(f"{url} answered HTTP {answer.status} {answer.reason}")
    return answer.status


@task(NOTIFY_TASK, max_attempts=8, retry_delay=timedelta(seconds=10))
def deliver_notification(*, subscription_pk: int, notification: dict[str, Any]) -> None:
    """POST one notification to its subscription's endpoint; raise to be retried."""
    subscription = Subscription.objects.select_related("tenant").filter(pk=subscription_pk).first()
    if subscription is None:
        # Deleted since (5.8.5): nobody is waiting for this notification any more.
        logger.info("Notification %s dropped: its subscription was deleted.", notification.get("id"))
        return
    body, headers = wire_format(subscription, notification, subscription_context(subscription))
    url = subscription.definition["notification"]["endpoint"]["uri"]
    try:
        post(url, body, headers)
    except DeliveryError as exc:
        record_failure(subscription_pk, reason=str(exc), now=timezone.now())
        raise
    record_success(subscription_pk, notified_at=parse_instant(notification["notifiedAt"], field="notifiedAt"))


def record_success(subscription_pk: int, *, notified_at: datetime) -> None:
    """5.2.14: timesSent, lastSuccess; lastNotification is the notifiedAt of the latest one
    sent (a late retry of an older notification does not move it back)."""
    now = timezone.now()
    Subscription.objects.filter(pk=subscription_pk).update(times_sent=F("times_sent") + 1, last_success=now)
    Subscription.objects.filter(
        Q(last_notification__isnull=True) | Q(last_notification__lt=notified_at), pk=subscription_pk
    ).update(last_notification=notified_at)


def record_failure(subscription_pk: int, *, reason: str, now: datetime) -> None:
    # Written outside any transaction of the task (the worker runs tasks in autocommit), so
    # the failure stays recorded when the task raises to be retried.
    Subscription.objects.filter(pk=subscription_pk).update(
        times_failed=F("times_failed") + 1, last_failure=now, last_failure_reason=reason[:MAX_REASON]
    )


@periodic("datahub.expire_subscriptions", every=timedelta(hours=1))
@task("datahub.expire_subscriptions", max_attempts=3)
def expire_subscriptions() -> int:
    """Mark `expired` (5.2.12) the subscriptions past their expiresAt. Matching already
    ignores them; this makes the status column and the back-office say so."""
    return (
        Subscription.objects.filter(expires_at__lte=timezone.now())
        .exclude(status=SubscriptionStatus.EXPIRED)
        .update(status=SubscriptionStatus.EXPIRED)
    )
