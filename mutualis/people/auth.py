from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from .models import User


class EmailBackend(ModelBackend):
    """Log in with an email address, whatever its case."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        email = kwargs.get("email", username)
        if not email or not password:
            return None
        try:
            user = User.objects.with_email(email).get()
        except User.DoesNotExist:
            # Spend the same time as a real check so response times do not reveal accounts.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


class ProConnectBackend(ModelBackend):
    """Log in the person ProConnect vouched for (mutualis.people.proconnect checked the
    signed tokens): the existing, active account using that email, whatever its case.

    Never creates an account: access to a member's data is granted by an administrator, not
    by holding a public agent's identity. The session keeps this backend's path, which is how
    a ProConnect session is told from a password one."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        email = kwargs.get("proconnect_email")
        if not email or username is not None or password is not None:
            return None
        user = User.objects.with_email(email).first()
        if user is not None and self.user_can_authenticate(user):
            return user
        return None
