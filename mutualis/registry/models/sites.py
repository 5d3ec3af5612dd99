from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mutualis.registry.opening_hours import (
    OpeningHours,
    normalize_opening_hours,
    parse_opening_hours,
    validate_opening_hours,
)

from .members import Member
from .operator import Operator
from .territory import Commune

if TYPE_CHECKING:
    from mutualis.people.tenancy import Scope


class SiteKind(models.Model):
    """Kind of site (collège, caserne SDIS, mairie…): an editable list.

    The service desk shows each kind its own catalogue of incident types.
    """

    code = models.SlugField(_("code"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("kind of site")
        verbose_name_plural = _("kinds of site")

    def __str__(self) -> str:
        return self.name


class SiteQuerySet(models.QuerySet["Site"]):
    def visible_to(self, scope: Scope) -> SiteQuerySet:
        """The tenancy door for sites: the operator's for its staff, the member's for its
        users, and only the named sites for a site contact."""
        if scope.operator_id is None:
            return self.none()
        if scope.is_operator_staff:
            return self.filter(operator_id=scope.operator_id)
        qs = self.filter(member_id=scope.member_id)
        if scope.site_ids is not None:
            qs = qs.filter(pk__in=scope.site_ids)
        return qs

    def with_list_related(self) -> SiteQuerySet:
        """What a list of sites displays, fetched in the same query."""
        return self.select_related("member", "kind", "commune")


class Site(models.Model):
    # No index of its own: site_operator_kind starts with it.
    operator = models.ForeignKey(
        Operator, on_delete=models.PROTECT, related_name="+", editable=False, db_index=False
    )
    # No index of its own: site_member_kind starts with it.
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="sites", verbose_name=_("member"), db_index=False
    )
    kind = models.ForeignKey(SiteKind, on_delete=models.PROTECT, related_name="sites", verbose_name=_("kind"))
    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(
        _("reference"),
        max_length=40,
        blank=True,
        help_text=_("The member's or the State's reference for the site, e.g. a school's UAI number."),
    )
    address = models.CharField(_("address"), max_length=250, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=5, blank=True)
    commune = models.ForeignKey(
        Commune, on_delete=models.PROTECT, related_name="sites", verbose_name=_("commune")
    )
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=8,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    opening_hours = models.CharField(
        _("opening hours"),
        max_length=250,
        blank=True,
        validators=[validate_opening_hours],
        help_text=_(
            "In French (“lun-ven 8h-12h, 13h30-17h30; sam 9h-12h”) or OpenStreetMap syntax "
            "(“Mo-Fr 08:00-12:00,13:30-17:30; Sa 09:00-12:00”); kept in the latter."
        ),
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    is_active = models.BooleanField(_("open"), default=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = SiteQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        constraints = [
            # A member's reference for a site is what CSV imports match on.
            models.UniqueConstraint(
                fields=["member", "code"],
                condition=~Q(code=""),
                name="site_code_per_member",
                violation_error_message=_("Another site of this member already has this reference."),
            ),
        ]
        indexes = [
            # Member pages and member users' lists filter a member's sites by kind.
            models.Index(fields=["member", "kind"], name="site_member_kind"),
            # Operator staff lists filter all sites by kind.
            models.Index(fields=["operator", "kind"], name="site_operator_kind"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A site belongs to its member's operator, always; never set by hand.
        self.operator_id = self.member.operator_id
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        # Hours typed the French way ("lun-ven 8h30-12h") are kept in OpenStreetMap syntax;
        # hours not understood are left as typed, and the field's validator says why.
        with contextlib.suppress(ValidationError):
            self.opening_hours = normalize_opening_hours(self.opening_hours)
        if (
            self.member_id is not None
            and self.commune_id is not None
            and not self.member.covers(self.commune)
        ):
            errors["commune"] = _("%(commune)s is outside the territory of %(member)s.") % {
                "commune": self.commune,
                "member": self.member,
            }
        if (self.latitude is None) != (self.longitude is None):
            errors["longitude"] = _("Give both latitude and longitude, or neither.")
        if self.postal_code and self.commune_id is not None:
            known = self.commune.postal_codes or []
            if known and self.postal_code not in known:
                errors["postal_code"] = _("%(code)s is not a postal code of %(commune)s (%(known)s).") % {
                    "code": self.postal_code,
                    "commune": self.commune.name,
                    "known": ", ".join(known),
                }
        if errors:
            raise ValidationError(errors)

    @property
    def hours(self) -> OpeningHours:
        return parse_opening_hours(self.opening_hours)
