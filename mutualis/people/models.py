from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Lower, Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mutualis.registry.models import Member, Operator, Site

from .roles import MEMBER_ROLES, OPERATOR_ROLES, READ_ONLY_ROLES, Role

if TYPE_CHECKING:
    from .tenancy import Scope


class UserQuerySet(models.QuerySet["User"]):
    def visible_to(self, scope: Scope) -> UserQuerySet:
        """People an operator's staff may see: those holding a role at that operator or at
        one of its members; a member's users see the people of their member."""
        if scope.operator_id is None:
            return self.none()
        if scope.is_operator_staff:
            return self.filter(memberships__operator_id=scope.operator_id).distinct()
        return self.filter(memberships__member_id=scope.member_id, memberships__is_active=True).distinct()

    def with_email(self, email: str) -> UserQuerySet:
        """The account using `email`, whatever its case, compared in lower case as the unique
        constraint compares them (and through its index). Not `iexact`: PostgreSQL compares
        that in upper case, where "ſ" is "S" and "ı" is "I", so other spellings reached the
        account, each with a login throttle counter of its own (people.throttle)."""
        return self.alias(email_lower=Lower("email")).filter(email_lower=email.strip().lower())


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_queryset(self) -> UserQuerySet:
        return UserQuerySet(self.model, using=self._db)

    def visible_to(self, scope: Scope) -> UserQuerySet:
        return self.get_queryset().visible_to(scope)

    def with_email(self, email: str) -> UserQuerySet:
        return self.get_queryset().with_email(email)

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields["is_superuser"] = True
        return self.create_user(email, password, **fields)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.with_email(username or "").get()


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in with an email address and a password."""

    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=[("fr", "Français"), ("en", "English")], default="fr"
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("created"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # Emails are compared without case at login; two accounts differing only by case
            # would let one person lock the other out.
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>"

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def is_staff(self) -> bool:
        """Django's admin asks for this; the back-office decides by role (see web.admin_site)."""
        return self.is_superuser or self.memberships.filter(is_active=True, role__in=OPERATOR_ROLES).exists()


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self) -> MembershipQuerySet:
        return self.filter(is_active=True)

    def visible_to(self, scope: Scope) -> MembershipQuerySet:
        if scope.operator_id is None:
            return self.none()
        if scope.is_operator_staff:
            return self.filter(operator_id=scope.operator_id)
        return self.filter(member_id=scope.member_id)

    def with_scope_related(self) -> MembershipQuerySet:
        """What resolving a scope reads: the member, the operator, the territory."""
        return self.select_related(
            "operator", "member", "member__commune", "member__departement", "member__epci"
        )


class Membership(models.Model):
    """A role a person holds on one member or on the operator."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    operator = models.ForeignKey(
        Operator, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("operator")
    )
    member = models.ForeignKey(
        Member,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("member"),
        help_text=_("Empty for a role on the operator itself."),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    sites = models.ManyToManyField(
        Site,
        blank=True,
        related_name="contacts",
        verbose_name=_("sites"),
        help_text=_("For a site contact: the only sites they see."),
    )
    job_title = models.CharField(_("job title"), max_length=120, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["user", "member__name"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "member"], condition=Q(member__isnull=False), name="membership_one_per_member"
            ),
            models.UniqueConstraint(
                fields=["user", "operator"],
                condition=Q(member__isnull=True),
                name="membership_one_per_operator",
            ),
            models.CheckConstraint(
                condition=Q(member__isnull=True, role__in=sorted(OPERATOR_ROLES))
                | Q(member__isnull=False, role__in=sorted(MEMBER_ROLES)),
                name="membership_role_matches_level",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} – {self.member or self.operator}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.member is not None:
            self.operator_id = self.member.operator_id
        with transaction.atomic():
            if not self._state.adding:
                # A token was issued by one person to act for one member: a role handed to
                # someone else (or moved to another member) must not carry the tokens along,
                # or the first holder's script would go on, in the new holder's name.
                before = (
                    Membership.objects.filter(pk=self.pk)
                    .values("user_id", "member_id", "operator_id")
                    .first()
                )
                if before is not None and before != {
                    "user_id": self.user_id,
                    "member_id": self.member_id,
                    "operator_id": self.operator_id,
                }:
                    ApiToken.objects.filter(membership_id=self.pk).delete()
            super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.member_id is None and self.role in MEMBER_ROLES:
            raise ValidationError({"member": _("This role is held on a member: choose the member.")})
        if self.member_id is not None and self.role in OPERATOR_ROLES:
            raise ValidationError({"member": _("This role is held on the operator: leave the member empty.")})

    @property
    def is_operator_staff(self) -> bool:
        return self.role in OPERATOR_ROLES

    @property
    def is_read_only(self) -> bool:
        return self.role in READ_ONLY_ROLES

    @property
    def acts_for(self) -> Member | Operator:
        return self.member if self.member_id is not None else self.operator  # type: ignore[return-value]


class LoginAttempt(models.Model):
    """A failed login or a request for a password reset link, kept for the throttle window
    (see people.throttle): each kind is counted apart."""

    class Kind(models.TextChoices):
        LOGIN = "login", _("failed login")
        RESET = "reset", _("password reset request")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.LOGIN)
    email = models.CharField(_("email address"), max_length=254)
    address = models.GenericIPAddressField(_("IP address"), null=True)
    at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("failed login")
        verbose_name_plural = _("failed logins")
        indexes = [
            # Both throttle checks count recent failures by email or by client address.
            models.Index(fields=["email", "at"], name="login_attempt_email"),
            models.Index(fields=["address", "at"], name="login_attempt_address"),
        ]

    def __str__(self) -> str:
        return f"{self.email} {self.at:%Y-%m-%d %H:%M}"


TOKEN_PREFIX = "mut"  # noqa: S105 - the public prefix of tokens, not a secret


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def visible_to(self, scope: Scope) -> ApiTokenQuerySet:
        """Operator admins see their operator's tokens; anyone else only their own."""
        if scope.operator_id is None or scope.user is None:
            return self.none()
        if scope.is_operator_admin:
            return self.filter(membership__operator_id=scope.operator_id)
        return self.filter(membership__user=scope.user)

    def usable(self, now: datetime | Now | None = None) -> ApiTokenQuerySet:
        """Not revoked, not expired at `now` (this instant by default; `Now()`, the
        database's clock, in a query compiled once), its membership and user active."""
        return self.filter(
            revoked_at__isnull=True, membership__is_active=True, membership__user__is_active=True
        ).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now if now is not None else timezone.now()))


class ApiToken(models.Model):
    """A secret for programs acting on behalf of one membership, read-only or read-write.

    Only a SHA-256 digest of the secret is stored; the clear token is shown once.
    """

    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("membership")
    )
    name = models.CharField(_("name"), max_length=100)
    key_id = models.CharField(_("key identifier"), max_length=16, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    can_write = models.BooleanField(_("can write"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.key_id})"

    @staticmethod
    def hash_secret(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

    @classmethod
    def issue(cls, *, membership: Membership, name: str, can_write: bool = False) -> tuple[ApiToken, str]:
        """Create a token; return it with the clear text, which is never stored."""
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        token = cls.objects.create(
            membership=membership,
            name=name,
            key_id=key_id,
            digest=cls.hash_secret(secret),
            can_write=can_write and not membership.is_read_only,
        )
        return token, f"{TOKEN_PREFIX}_{key_id}_{secret}"
