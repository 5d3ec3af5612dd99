from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.utils import unquote
from django.contrib.auth import password_validation
from django.db import models, transaction
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from mutualis.backoffice.choices import choices
from mutualis.backoffice.site import RoleInline, ScopedAdmin
from mutualis.registry.models import Operator

from .models import ApiToken, LoginAttempt, Membership, User
from .services import (
    LastRoleError,
    delete_memberships,
    last_role_message,
    lock_people,
    people_left_without_a_role,
)


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["user", "operator", "member", "role", "sites", "job_title", "is_active"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        member, sites = data.get("member"), data.get("sites")
        if sites:
            # A site contact sees only these sites, through the member they act for: a site
            # of another member would give them nothing, or a window on someone else's data.
            strangers = [site for site in sites if member is None or site.member_id != member.pk]
            if strangers:
                self.add_error(
                    "sites",
                    format_lazy(
                        _("Only sites of the member chosen for this role: {sites}."),
                        sites=", ".join(str(site) for site in strangers),
                    ),
                )
        if self.instance.pk is not None and "user" in self.changed_data:
            # Handing a person's only role to someone else would leave them with none.
            lock_people([self.instance.user_id])
            stranded = people_left_without_a_role([self.instance.pk])
            if stranded:
                self.add_error("user", last_role_message(stranded))
        return data


class ScopedMembershipChoices:
    """The rows a role may point to, for an operator admin: their operator, its members, their
    sites and its people. Django would offer (and accept) every operator's: an admin could
    otherwise make themselves admin of another operator, or give its members' roles away."""

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if not request.user.is_superuser:
            if db_field.name == "operator":
                kwargs["queryset"] = Operator.objects.filter(pk=request.scope.operator_id)  # type: ignore[attr-defined]
                kwargs["initial"] = request.scope.operator_id  # type: ignore[attr-defined]
                kwargs["empty_label"] = None
            elif db_field.name in ("member", "user"):
                kwargs["queryset"] = choices(db_field.related_model, request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_dbfield(db_field, request, **kwargs)  # type: ignore[misc]
        if db_field.name == "operator" and field is not None and not request.user.is_superuser:
            # Their one operator, already chosen: no buttons beside it to add, change or
            # delete operators from a person's role.
            for link in ("can_add_related", "can_change_related", "can_delete_related", "can_view_related"):
                setattr(field.widget, link, False)
        return field

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "sites" and not request.user.is_superuser:
            kwargs["queryset"] = choices(db_field.related_model, request)
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]


class MembershipFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        kept = [
            form
            for form in self.forms
            if form.cleaned_data.get("role") and not form.cleaned_data.get("DELETE", False)
        ]
        if kept:
            return
        if self.instance._state.adding:
            # People are found by their roles (User.objects.visible_to): a person without
            # one would be lost to the back office, their email address taken for good.
            raise forms.ValidationError(
                _(
                    "Give them at least one role (add a row to the table of memberships): without one, "
                    "nobody could find this person again."
                ),
                code="no_role",
            )
        removed = [form.instance.pk for form in self.initial_forms if form.cleaned_data.get("DELETE", False)]
        if not removed:
            return
        # The same rule as deleting roles from the list of memberships (people.services):
        # roles this page does not show (held at another operator) count too.
        lock_people([self.instance.pk])
        if people_left_without_a_role(removed):
            raise forms.ValidationError(
                _(
                    "This is their last role: deactivate the account (the “Active” box above) rather "
                    "than remove it. Without a role, nobody could find this person again in the back office."
                ),
                code="last_role",
            )


class MembershipInline(ScopedMembershipChoices, RoleInline):
    model = Membership
    form = MembershipForm
    formset = MembershipFormSet
    extra = 0
    fields = ["role", "member", "operator", "job_title", "sites", "is_active"]
    autocomplete_fields = ["member", "sites"]

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Membership]:
        # The roles a person holds at another operator are that operator's business.
        qs = super().get_queryset(request)
        if not request.user.is_superuser:
            qs = qs.filter(operator_id=request.scope.operator_id)  # type: ignore[attr-defined]
        return qs


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


# What a person's account holds for every operator they work with.
SHARED_ACCOUNT_FIELDS = ("email", "full_name", "phone", "language", "is_active")
SHARED_ACCOUNT_NOTE = _(
    "This person also holds a role at another operator: their name, address, language and "
    "whether they may log in are changed by a platform administrator. You manage the roles "
    "they hold at your operator, below."
)


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

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if self._also_elsewhere(request, obj):
            fields = fieldsets[0][1]["fields"]
            return [(None, {"fields": fields, "description": SHARED_ACCOUNT_NOTE})]
        return fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        if self._also_elsewhere(request, obj):
            readonly += [name for name in SHARED_ACCOUNT_FIELDS if name not in readonly]
        return readonly

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not super().has_delete_permission(request, obj):
            return False
        # A person who also holds a role at another operator is theirs too: deleting the
        # account would take their roles there away. Remove the roles held here instead.
        return not self._also_elsewhere(request, obj)

    def _also_elsewhere(self, request: HttpRequest, obj: Any) -> bool:
        """Whether the person also holds a role at another operator than the admin's: their
        account (name, address, whether it may log in) is then the platform's to change, as
        it is theirs too; the roles held here stay this operator's to manage."""
        if obj is None or obj.pk is None or request.user.is_superuser:
            return False
        return bool(obj.memberships.exclude(operator_id=request.scope.operator_id).exists())  # type: ignore[attr-defined]


@admin.register(Membership)
class MembershipAdmin(ScopedMembershipChoices, ScopedAdmin):
    form = MembershipForm
    list_display = ["user", "role", "member", "operator", "job_title", "is_active"]
    list_filter = ["role", "is_active", "member__kind"]
    search_fields = ["user__full_name", "user__email", "member__name"]
    list_select_related = ["user", "member", "operator"]
    autocomplete_fields = ["user", "member", "sites"]

    # A person's last role is never deleted (people.services): the page and the action say
    # why before asking for a confirmation, and the deletion itself checks again.

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        membership = self.get_object(request, unquote(object_id))
        if membership is not None and self.has_delete_permission(request, membership):
            stranded = people_left_without_a_role([membership.pk])
            if stranded:
                return self._refuse(request, stranded, membership)
        try:
            return super().delete_view(request, object_id, extra_context)
        except LastRoleError as exc:  # a role removed elsewhere since the check above
            return self._refuse(request, exc.people, membership)

    def _refuse(self, request: HttpRequest, people: list[User], membership: Any) -> HttpResponse:
        self.message_user(request, last_role_message(people), messages.ERROR)
        opts = self.opts
        return HttpResponseRedirect(
            reverse(
                f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change",
                args=[membership.pk],
                current_app=self.admin_site.name,
            )
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        delete_memberships(membership_ids=[obj.pk])

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet[Any]) -> None:
        delete_memberships(membership_ids=list(queryset.values_list("pk", flat=True)))

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions: dict[str, Any] = super().get_actions(request)
        if "delete_selected" in actions:
            _func, name, description = actions["delete_selected"]
            actions["delete_selected"] = (delete_selected_roles, name, description)
        return actions


@admin.action(permissions=["delete"])
def delete_selected_roles(
    modeladmin: MembershipAdmin, request: HttpRequest, queryset: models.QuerySet[Membership]
) -> HttpResponse | None:
    """Django's "delete selected", refused (before the confirmation page, and again on
    confirming) when it would leave someone without any role."""
    stranded = people_left_without_a_role(list(queryset.values_list("pk", flat=True)))
    if stranded:
        modeladmin.message_user(request, last_role_message(stranded), messages.ERROR)
        return None
    try:
        with transaction.atomic():  # the log entries go with the deletion
            return delete_selected(modeladmin, request, queryset)
    except LastRoleError as exc:
        modeladmin.message_user(request, str(exc), messages.ERROR)
        return None


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

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.revoked_at is not None:
            # Revoked for good: the secret may have leaked; its owner issues a new token.
            readonly.append("revoked_at")
        return readonly


@admin.register(LoginAttempt)
class LoginAttemptAdmin(ScopedAdmin):
    scoped = False
    list_display = ["email", "kind", "address", "at"]
    list_filter = ["kind"]
    search_fields = ["email", "address"]

    # Failed logins name people of every operator: only platform superusers see them.
    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
