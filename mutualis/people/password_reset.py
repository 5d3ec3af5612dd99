"""Resetting a forgotten password with a link sent by email.

The link carries Django's password reset token, which is bound to the account's password
hash and last login: it stops working once used, once the password is changed another
way, after the person logs in, and after PASSWORD_RESET_TIMEOUT.

The email leaves through the job queue: the page answers the same, and as fast, whether
an account uses the address or not, and a slow mail server holds up no page.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from mutualis.jobs import enqueue, task

from . import throttle
from .models import User

logger = logging.getLogger(__name__)

SEND_PASSWORD_RESET = "people.send_password_reset"  # noqa: S105 - a job name, not a secret


def request_password_reset(*, email: str, address: str | None) -> int:
    """Send a reset link to the account using `email`, if any and active.

    Returns 0, or how many seconds to wait when too many links were asked for that email or
    from that client address (nothing is sent then). The caller must answer the same
    whether an account was found or not.
    """
    retry_after = throttle.retry_after_seconds(email, address, kind=throttle.Kind.RESET)
    if retry_after:
        return retry_after
    throttle.record_failure(email, address, kind=throttle.Kind.RESET)
    user = User.objects.with_email(email).filter(is_active=True).first()
    if user is not None and user.has_usable_password():
        # Only the account's id in the job: the link is made when the email is sent, so
        # no usable token sits in the jobs table the back office shows.
        enqueue(SEND_PASSWORD_RESET, user_id=user.pk)
    return 0


def reset_link(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("people:password-reset-confirm", kwargs={"uidb64": uid, "token": token})
    return f"{settings.SITE_URL}{path}"


@task(SEND_PASSWORD_RESET, max_attempts=5)
def send_password_reset(*, user_id: int) -> None:
    """Email the person a fresh reset link, in their language; raise (the queue retries) if
    the mail server refuses it."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.has_usable_password():
        return  # deactivated since the request
    days = max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)
    with translation.override(user.language):
        context = {"user": user, "link": reset_link(user), "days": days}
        subject = " ".join(render_to_string("people/password_reset_subject.txt", context).split())
        body = render_to_string("people/password_reset_email.txt", context)
    EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email]).send(fail_silently=False)
    logger.info("Password reset link sent to user %s", user.pk)
