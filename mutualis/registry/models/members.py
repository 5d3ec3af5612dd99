from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from mutualis.lib.calendar_bounds import within_calendar
from mutualis.registry.identifiers import validate_siren, validate_siret

from .operator import Operator
from .territory import Commune, Departement, Epci

if TYPE_CHECKING:
    from mutualis.people.tenancy import Scope


class MemberKind(models.TextChoices):
    COMMUNE = "commune", _("commune")
    EPCI = "epci", _("intercommunality (EPCI)")
    DEPARTEMENT = "departement", _("département")
    ESTABLISHMENT = "establishment", _("public establishment")


class EstablishmentType(models.TextChoices):
    COLLEGE = "college", _("collège (EPLE)")
    SDIS = "sdis", _("fire and rescue service (SDIS)")
    EHPAD = "ehpad", _("care home (EHPAD)")
    CCAS = "ccas", _("social action centre (CCAS/CIAS)")
    HEALTH = "health", _("health or social establishment")
    SYNDICATE = "syndicate", _("syndicate")
    OTHER = "other", _("other public establishment")


class Service(models.Model):
    """A service of the operator a member can subscribe to (editable list)."""

    code = models.SlugField(_("code"), unique=True)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("service")
        verbose_name_plural = _("services")

    def __str__(self) -> str:
        return self.name


class MemberQuerySet(models.QuerySet["Member"]):
    def visible_to(self, scope: Scope) -> MemberQuerySet:
        """The tenancy door for members: operator staff see their operator's members,
        member users only the member they act for."""
        if scope.operator_id is None:
            return self.none()
        if scope.is_operator_staff:
            return self.filter(operator_id=scope.operator_id)
        return self.filter(pk=scope.member_id)

    def active_on(self, day: datetime.date) -> MemberQuerySet:
        return self.filter(Q(joined_on__lte=day) | Q(joined_on__isnull=True)).filter(
            Q(left_on__isnull=True) | Q(left_on__gt=day)
        )


class Member(models.Model):
    """An adhérent: a commune, an EPCI, a département or a public establishment."""

    # No index of its own: member_operator_kind starts with it.
    operator = models.ForeignKey(
        Operator, on_delete=models.PROTECT, related_name="members", verbose_name=_("operator"), db_index=False
    )
    kind = models.CharField(_("kind"), max_length=16, choices=MemberKind.choices)
    establishment_type = models.CharField(
        _("type of establishment"), max_length=16, choices=EstablishmentType.choices, blank=True
    )
    name = models.CharField(_("name"), max_length=200)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True, validators=[validate_siren])
    siret = models.CharField(_("SIRET (head office)"), max_length=14, blank=True, validators=[validate_siret])
    # The territory the member stands for: the commune itself, the EPCI, the département;
    # for an establishment, the commune where it has its seat.
    commune = models.ForeignKey(
        Commune,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("commune"),
        help_text=_("The commune itself, or the seat of an establishment."),
    )
    epci = models.ForeignKey(
        Epci, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("EPCI")
    )
    departement = models.ForeignKey(
        Departement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("département"),
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent member"),
        help_text=_("The EPCI or département the member belongs to (a commune for a CCAS)."),
    )
    joined_on = models.DateField(_("member since"), null=True, blank=True, validators=[within_calendar])
    left_on = models.DateField(_("left on"), null=True, blank=True, validators=[within_calendar])
    services = models.ManyToManyField(
        Service, through="MemberService", related_name="members", verbose_name=_("subscribed services")
    )
    email = models.EmailField(_("contact email"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            # One member per territorial body and per operator: importing twice must not
            # create two "Versailles".
            models.UniqueConstraint(
                fields=["operator", "commune"],
                condition=Q(kind="commune"),
                name="member_one_per_commune",
            ),
            models.UniqueConstraint(
                fields=["operator", "epci"], condition=Q(kind="epci"), name="member_one_per_epci"
            ),
            models.UniqueConstraint(
                fields=["operator", "departement"],
                condition=Q(kind="departement"),
                name="member_one_per_departement",
            ),
            models.UniqueConstraint(
                fields=["operator", "siren"], condition=~Q(siren=""), name="member_siren_unique"
            ),
            models.CheckConstraint(
                condition=Q(kind="commune", commune__isnull=False)
                | Q(kind="epci", epci__isnull=False)
                | Q(kind="departement", departement__isnull=False)
                | Q(kind="establishment", commune__isnull=False),
                name="member_territory_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True)
                | Q(joined_on__isnull=True)
                | Q(left_on__gte=F("joined_on")),
                name="member_left_after_joining",
            ),
        ]
        indexes = [models.Index(fields=["operator", "kind"], name="member_operator_kind")]

    def __str__(self) -> str:
        return self.name

    @property
    def insee_code(self) -> str:
        """The INSEE code the member is known by: commune, département, or EPCI SIREN."""
        if self.kind == MemberKind.DEPARTEMENT and self.departement is not None:
            return self.departement.code
        if self.kind == MemberKind.EPCI and self.epci is not None:
            return self.epci.code
        if self.commune is not None:
            return self.commune.code
        return ""

    def territory_communes(self) -> models.QuerySet[Commune]:
        """The communes this member stands for; sites of the member must lie in them.

        An establishment covers its parent's territory (SDIS: the département; CCAS: the
        commune) or, without a parent, its seat commune.
        """
        if self.kind == MemberKind.EPCI:
            return (
                Commune.objects.filter(Q(epci=self.epci_id) | Q(ept=self.epci_id))
                if self.epci_id
                else Commune.objects.none()
            )
        if self.kind == MemberKind.DEPARTEMENT:
            return (
                Commune.objects.filter(departement=self.departement_id)
                if self.departement_id
                else Commune.objects.none()
            )
        if self.kind == MemberKind.ESTABLISHMENT and self.parent is not None:
            return self.parent.territory_communes()
        return Commune.objects.filter(pk=self.commune_id) if self.commune_id else Commune.objects.none()

    def covers(self, commune: Commune) -> bool:
        return self.territory_communes().filter(pk=commune.pk).exists()

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        required = (
            {
                MemberKind.COMMUNE: "commune",
                MemberKind.EPCI: "epci",
                MemberKind.DEPARTEMENT: "departement",
                MemberKind.ESTABLISHMENT: "commune",
            }.get(MemberKind(self.kind))
            if self.kind
            else None
        )
        if required and getattr(self, f"{required}_id") is None:
            errors.setdefault(required, []).append(str(_("Required for this kind of member.")))
        if self.kind != MemberKind.ESTABLISHMENT and self.establishment_type:
            errors.setdefault("establishment_type", []).append(
                str(_("Only public establishments have a type of establishment."))
            )
        if self.parent_id is not None:
            self._clean_parent(errors)
        if self.joined_on and self.left_on and self.left_on < self.joined_on:
            errors.setdefault("left_on", []).append(str(_("A member cannot leave before joining.")))
        if errors:
            raise ValidationError(errors)

    def _clean_parent(self, errors: dict[str, list[str]]) -> None:
        parent = self.parent
        if parent is None:
            return
        allowed: set[str] = {MemberKind.EPCI, MemberKind.DEPARTEMENT}
        if self.kind == MemberKind.ESTABLISHMENT:
            allowed.add(MemberKind.COMMUNE)
        if parent.kind not in allowed:
            errors.setdefault("parent", []).append(
                str(
                    _("A %(kind)s cannot be the parent of this member.") % {"kind": parent.get_kind_display()}
                )
            )
        if parent.operator_id != self.operator_id:
            errors.setdefault("parent", []).append(str(_("The parent belongs to another operator.")))
        seen = {self.pk}
        ancestor: Member | None = parent
        while ancestor is not None:
            if ancestor.pk in seen:
                errors.setdefault("parent", []).append(str(_("A member cannot be its own ancestor.")))
                break
            seen.add(ancestor.pk)
            ancestor = ancestor.parent


class MemberService(models.Model):
    # No index of its own: member_service_unique starts with it.
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="subscriptions", db_index=False)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="subscriptions")
    since = models.DateField(_("since"), null=True, blank=True, validators=[within_calendar])
    until = models.DateField(_("until"), null=True, blank=True, validators=[within_calendar])

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            models.UniqueConstraint(fields=["member", "service"], name="member_service_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.member} – {self.service}"
