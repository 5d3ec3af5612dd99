"""Login throttling: refuse new tries after too many recent failures.

Two counters, both over a sliding window stored in the database so that every web worker
sees the same counts: failures for one email (protects an account against guessing) and
failures from one client address (slows down sweeping many accounts).

Requests for a password reset link are counted the same way, apart from failed logins
(`kind`): otherwise anyone could fill a person's mailbox with links, or sweep addresses.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from .models import LoginAttempt

Kind = LoginAttempt.Kind

# Reset links one email address may be sent, and one client address may ask for, within
# the window: enough for a lost or late message, a town hall's staff behind one address.
RESET_MAX_PER_EMAIL = 3
RESET_MAX_PER_ADDRESS = 20


def _window_start() -> datetime:
    return timezone.now() - timedelta(seconds=settings.LOGIN_THROTTLE_WINDOW_SECONDS)


def _limits(kind: str) -> tuple[int, int]:
    if kind == Kind.RESET:
        return RESET_MAX_PER_EMAIL, RESET_MAX_PER_ADDRESS
    return settings.LOGIN_THROTTLE_MAX_FAILURES, settings.LOGIN_THROTTLE_MAX_FAILURES_PER_ADDRESS


def _key(email: str) -> str:
    # As stored: an email longer than the column is counted by its first 254 characters.
    return email.strip().lower()[:254]


def retry_after_seconds(email: str, address: str | None, *, kind: str = Kind.LOGIN) -> int:
    """0 when a try is allowed, else how long to wait before the oldest failure expires."""
    since = _window_start()
    per_email, per_address = _limits(kind)
    attempts = LoginAttempt.objects.filter(kind=kind, at__gte=since).order_by("-at")
    blocking = []
    failures = list(attempts.filter(email=_key(email)).values_list("at", flat=True)[:per_email])
    if len(failures) >= per_email:
        blocking.append(failures[-1])
    if address:
        failures = list(attempts.filter(address=address).values_list("at", flat=True)[:per_address])
        if len(failures) >= per_address:
            blocking.append(failures[-1])
    if not blocking:
        return 0
    window = timedelta(seconds=settings.LOGIN_THROTTLE_WINDOW_SECONDS)
    wait = (max(blocking) + window - timezone.now()).total_seconds()
    return max(1, math.ceil(wait))


def record_failure(email: str, address: str | None, *, kind: str = Kind.LOGIN) -> None:
    LoginAttempt.objects.create(kind=kind, email=_key(email), address=address)
    # Keep the table small: what is older than the window no longer counts.
    LoginAttempt.objects.filter(at__lt=_window_start() - timedelta(days=1)).delete()


def clear_failures(email: str) -> None:
    """Forget the failed logins of an account that has just proved who it is."""
    LoginAttempt.objects.filter(kind=Kind.LOGIN, email=_key(email)).delete()
