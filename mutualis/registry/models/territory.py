"""INSEE official geographic code (COG): départements, communes, EPCI.

Reference data, shared by every operator and readable by everyone; imported by
`mutualis import_territory` (see mutualis.registry.territory). Rows are never deleted:
a commune merged away in a later COG is marked `is_current=False` so members and sites
that point at it keep their link.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Departement(models.Model):
    code = models.CharField(_("code"), max_length=3, unique=True)
    name = models.CharField(_("name"), max_length=100)
    region_code = models.CharField(_("region code"), max_length=3, blank=True)
    chef_lieu_code = models.CharField(_("prefecture (INSEE code)"), max_length=5, blank=True)
    is_current = models.BooleanField(_("current"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("département")
        verbose_name_plural = _("départements")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class EpciKind(models.TextChoices):
    # Codes as published by the DGCL/INSEE in the BANATIC and COG files.
    CC = "CC", _("communauté de communes")
    CA = "CA", _("communauté d'agglomération")
    CU = "CU", _("communauté urbaine")
    METRO = "METRO", _("métropole")
    MET69 = "MET69", _("Métropole de Lyon")
    EPT = "EPT", _("établissement public territorial")


class Epci(models.Model):
    """An intercommunal body: EPCI à fiscalité propre, or an EPT of the Grand Paris."""

    code = models.CharField(_("SIREN"), max_length=9, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=8, choices=EpciKind.choices)
    financing = models.CharField(_("tax regime"), max_length=8, blank=True)
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    # Across all of France; the communes linked here are only those of imported départements.
    commune_count = models.PositiveIntegerField(_("number of communes"), default=0)
    is_current = models.BooleanField(_("current"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("intercommunality")
        verbose_name_plural = _("intercommunalities")

    def __str__(self) -> str:
        return self.name


class CommuneQuerySet(models.QuerySet["Commune"]):
    def current(self) -> CommuneQuerySet:
        return self.filter(is_current=True)


class Commune(models.Model):
    code = models.CharField(_("INSEE code"), max_length=5, unique=True)
    name = models.CharField(_("name"), max_length=200)
    departement = models.ForeignKey(
        Departement, on_delete=models.PROTECT, related_name="communes", verbose_name=_("département")
    )
    siren = models.CharField(_("SIREN"), max_length=9, blank=True)
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    postal_codes = models.JSONField(_("postal codes"), default=list, blank=True)
    epci = models.ForeignKey(
        Epci,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="communes",
        verbose_name=_("EPCI"),
        limit_choices_to=~models.Q(kind=EpciKind.EPT),
    )
    ept = models.ForeignKey(
        Epci,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ept_communes",
        verbose_name=_("EPT"),
        limit_choices_to={"kind": EpciKind.EPT},
    )
    # Approximate town-centre position (see data/territory/SOURCE.md); used to place demo
    # sites and to draw plain territory views without map tiles.
    latitude = models.DecimalField(_("latitude"), max_digits=8, decimal_places=5, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=8, decimal_places=5, null=True, blank=True)
    position_source = models.CharField(_("position source"), max_length=32, blank=True)
    is_current = models.BooleanField(_("current"), default=True)

    objects = CommuneQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("commune")
        verbose_name_plural = _("communes")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"
