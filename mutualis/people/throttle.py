"""Login throttling: refuse new tries after too many recent failures.

Two counters, both over a sliding window stored in the database so that every web worker
sees the same counts: failures for one email (protects an account against guessing) and
failures from one client address (slows down sweeping many accounts).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from .models import LoginAttempt


def _window_start() -> datetime:
    return timezone.now() - timedelta(seconds=settings.LOGIN_THROTTLE_WINDOW_SECONDS)


def retry_after_seconds(email: str, address: str | None) -> int:
    """0 when a try is allowed, else how long to wait before the oldest failure expires."""
    since = _window_start()
    email = email.strip().lower()
    blocking = []
    by_email = LoginAttempt.objects.filter(email=email, at__gte=since).order_by("-at")
    failures = list(by_email.values_list("at", flat=True)[: settings.LOGIN_THROTTLE_MAX_FAILURES])
    if len(failures) >= settings.LOGIN_THROTTLE_MAX_FAILURES:
        blocking.append(failures[-1])
    if address:
        limit = settings.LOGIN_THROTTLE_MAX_FAILURES_PER_ADDRESS
        by_address = LoginAttempt.objects.filter(address=address, at__gte=since).order_by("-at")
        failures = list(by_address.values_list("at", flat=True)[:limit])
        if len(failures) >= limit:
            blocking.append(failures[-1])
    if not blocking:
        return 0
    window = timedelta(seconds=settings.LOGIN_THROTTLE_WINDOW_SECONDS)
    wait = (max(blocking) + window - timezone.now()).total_seconds()
    return max(1, math.ceil(wait))


def record_failure(email: str, address: str | None) -> None:
    LoginAttempt.objects.create(email=email.strip().lower()[:254], address=address)
    # Keep the table small: what is older than the window no longer counts.
    LoginAttempt.objects.filter(at__lt=_window_start() - timedelta(days=1)).delete()


def clear_failures(email: str) -> None:
    LoginAttempt.objects.filter(email=email.strip().lower()).delete()
