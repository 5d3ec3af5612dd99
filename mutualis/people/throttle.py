"""Login throttling: refuse new tries after too many recent failures.

Two counters, both over a sliding window stored in the database so that every web worker
sees the same counts: failures for one email (protects an account against guessing) and
failures from one client address (slows down sweeping many accounts).

Requests for a password reset link are counted the same way, apart from failed logins
(`kind`): otherwise anyone could fill a person's mailbox with links, or sweep addresses.

The failures for one email would let a stranger keep its owner out for good, failing a few
times every window. So a browser where someone logged in to an account (or chose its new
password from the emailed link) is trusted for that account, by a signed cookie (OWASP's
"device cookies"): there, only the failures from its own client address count for the
account. A browser that never logged in to it is locked as before.
"""

from __future__ import annotations

import ipaddress
import math
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from .models import LoginAttempt

Kind = LoginAttempt.Kind

# Reset links one email address may be sent, and one client address may ask for, within
# the window: enough for a lost or late message, a town hall's staff behind one address.
RESET_MAX_PER_EMAIL = 3
RESET_MAX_PER_ADDRESS = 20

DEVICE_COOKIE = "mutualis_device"
DEVICE_COOKIE_AGE = 180 * 24 * 60 * 60  # seconds; renewed at each login
# Accounts one browser stays trusted for, the latest first: a town hall's shared computer.
DEVICE_MAX_ACCOUNTS = 10
_DEVICE_SALT = "mutualis.people.throttle.device"
# One IPv6 client usually holds a whole /64 (RFC 4291 2.5.4: 64-bit interface identifiers):
# counted address by address, it would have countless fresh counters.
IPV6_CLIENT_PREFIX = 64


def _window_start() -> datetime:
    return timezone.now() - timedelta(seconds=settings.LOGIN_THROTTLE_WINDOW_SECONDS)


def _limits(kind: str) -> tuple[int, int]:
    if kind == Kind.RESET:
        return RESET_MAX_PER_EMAIL, RESET_MAX_PER_ADDRESS
    return settings.LOGIN_THROTTLE_MAX_FAILURES, settings.LOGIN_THROTTLE_MAX_FAILURES_PER_ADDRESS


def _key(email: str) -> str:
    # As stored: an email longer than the column is counted by its first 254 characters. A
    # NUL, which PostgreSQL refuses in a query (the login page's 500 on a typed one), is left
    # out: the try still counts for the address around it.
    return email.replace("\x00", "").strip().lower()[:254]


def _client(address: str | None) -> str | None:
    """The client an address counts for: itself, or its IPv6 /64 network."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, IPV6_CLIENT_PREFIX), strict=False).network_address)
    return str(ip)


def retry_after_seconds(
    email: str, address: str | None, *, kind: str = Kind.LOGIN, trusted: bool = False
) -> int:
    """0 when a try is allowed, else how long to wait before the oldest failure expires.
    `trusted`: the browser is trusted for this account (`is_trusted`)."""
    since = _window_start()
    per_email, per_address = _limits(kind)
    address = _client(address)
    attempts = LoginAttempt.objects.filter(kind=kind, at__gte=since).order_by("-at")
    blocking = []
    for_account = attempts.filter(email=_key(email))
    if trusted:
        for_account = for_account.filter(address=address)
    failures = list(for_account.values_list("at", flat=True)[:per_email])
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
    LoginAttempt.objects.create(kind=kind, email=_key(email), address=_client(address))
    # Keep the table small: what is older than the window no longer counts.
    LoginAttempt.objects.filter(at__lt=_window_start() - timedelta(days=1)).delete()


def clear_failures(email: str) -> None:
    """Forget the failed logins of an account that has just proved who it is."""
    LoginAttempt.objects.filter(kind=Kind.LOGIN, email=_key(email)).delete()


def _device_mark(email: str) -> str:
    # A keyed digest: the cookie tells the next person at the computer nobody's address.
    return salted_hmac(_DEVICE_SALT, _key(email)).hexdigest()[:20]


def _trusted_marks(request: HttpRequest) -> list[str]:
    value = request.COOKIES.get(DEVICE_COOKIE)
    if not value:
        return []
    try:
        marks = signing.loads(value, salt=_DEVICE_SALT, max_age=DEVICE_COOKIE_AGE)
    except signing.BadSignature:  # also when expired
        return []
    return [mark for mark in marks if isinstance(mark, str)] if isinstance(marks, list) else []


def is_trusted(request: HttpRequest, email: str) -> bool:
    """Whether this browser has logged in to the account of `email` (see the module's doc)."""
    return _device_mark(email) in _trusted_marks(request)


def trust_device(request: HttpRequest, response: HttpResponse, email: str) -> None:
    """Trust this browser for the account of `email`: it has just proved who it is."""
    mark = _device_mark(email)
    marks = [mark, *(m for m in _trusted_marks(request) if m != mark)][:DEVICE_MAX_ACCOUNTS]
    response.set_cookie(
        DEVICE_COOKIE,
        signing.dumps(marks, salt=_DEVICE_SALT),
        max_age=DEVICE_COOKIE_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
