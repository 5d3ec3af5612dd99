from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import password_validation
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from mutualis.backoffice.site import RoleInline, ScopedAdmin

from .models import ApiToken, LoginAttempt, Membership, User


class MembershipInline(RoleInline):
    model = Membership
    extra = 0
    fields = ["role", "member", "operator", "job_title", "sites", "is_active"]
    autocomplete_fields = ["member", "sites"]


class UserCreationForm(forms.ModelForm):
    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )

    class Meta:
        model = User
        fields = ["email", "full_name", "phone", "language"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        password = data.get("password")
        if password:
            candidate = User(email=data.get("email", ""), full_name=data.get("full_name", ""))
            try:
                password_validation.validate_password(password, candidate)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data

    def save(self, commit: bool = True) -> User:
        user: User = super().save(commit=False)
        user.set_password(self.cleaned_data["password"])
        if commit:
            user.save()
        return user


@admin.register(User)
class UserAdmin(ScopedAdmin):
    list_display = ["full_name", "email", "is_active", "last_login"]
    list_filter = ["is_active", "memberships__role"]
    search_fields = ["full_name", "email"]
    readonly_fields = ["last_login", "date_joined"]
    inlines = [MembershipInline]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["email", "full_name", "phone", "language", "password"]
        fields = ["email", "full_name", "phone", "language", "is_active", "last_login", "date_joined"]
        if request.user.is_superuser:
            fields.append("is_superuser")
        return fields

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = UserCreationForm
        return super().get_form(request, obj, change, **kwargs)


@admin.register(Membership)
class MembershipAdmin(ScopedAdmin):
    list_display = ["user", "role", "member", "operator", "job_title", "is_active"]
    list_filter = ["role", "is_active", "member__kind"]
    search_fields = ["user__full_name", "user__email", "member__name"]
    list_select_related = ["user", "member", "operator"]
    autocomplete_fields = ["user", "member", "sites"]


@admin.register(ApiToken)
class ApiTokenAdmin(ScopedAdmin):
    list_display = [
        "name",
        "key_id",
        "membership",
        "can_write",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    list_filter = ["can_write"]
    list_select_related = ["membership__user", "membership__member", "membership__operator"]
    search_fields = ["name", "key_id", "membership__user__email"]
    readonly_fields = ["membership", "key_id", "created_at", "last_used_at"]
    fields = [
        "name",
        "membership",
        "key_id",
        "can_write",
        "expires_at",
        "revoked_at",
        "created_at",
        "last_used_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Tokens are issued from a person's own page, where the secret is shown once.
        return False


@admin.register(LoginAttempt)
class LoginAttemptAdmin(ScopedAdmin):
    scoped = False
    list_display = ["email", "address", "at"]
    search_fields = ["email", "address"]

    # Failed logins name people of every operator: only platform superusers see them.
    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
