from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from mutualis.registry.identifiers import validate_siren


class Operator(models.Model):
    """The public digital-services operator (OPSN) that runs Mutualis for its members."""

    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=50, blank=True)
    slug = models.SlugField(_("identifier"), unique=True)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True, validators=[validate_siren])
    email = models.EmailField(_("contact email"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("operator")
        verbose_name_plural = _("operators")

    def __str__(self) -> str:
        return self.short_name or self.name
