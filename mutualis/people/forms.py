from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import User


class LoginForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"), widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        self.request = request
        self.user: User | None = None
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        email, password = data.get("email"), data.get("password")
        if email and password:
            user = authenticate(self.request, email=email, password=password)
            self.user = user if isinstance(user, User) else None
            if self.user is None:
                # Same message whether the account exists, is inactive or the password is
                # wrong: the form must not reveal who has an account.
                raise forms.ValidationError(_("Wrong email address or password."), code="invalid_login")
        return data


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name of the token"), max_length=100, help_text=_("e.g. “Inventory script”.")
    )
    can_write = forms.BooleanField(label=_("Allow changes (otherwise read-only)"), required=False)

    def __init__(self, *args: Any, read_only: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if read_only:
            # The token could not write anyway (ApiToken.issue): offer no box that does nothing.
            del self.fields["can_write"]


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        help_text=_("The address you log in with."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
