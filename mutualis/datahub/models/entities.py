from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

from mutualis.registry.models import Asset, Site

from .tenants import Tenant

if TYPE_CHECKING:
    from mutualis.people.tenancy import Scope


class Attribute(models.Model):
    """The dictionary of expanded attribute IRIs, so that each of the hundreds of millions
    of history rows carries a 4-byte id instead of a 60-byte IRI."""

    iri = models.CharField(max_length=512, unique=True)

    class Meta:
        verbose_name = _("attribute name")
        verbose_name_plural = _("attribute names")

    def __str__(self) -> str:
        return self.iri


class EntityQuerySet(models.QuerySet["Entity"]):
    def visible_to(self, scope: Scope) -> EntityQuerySet:
        """Through the tenants the scope may see (`TenantQuerySet.visible_to`)."""
        return self.filter(tenant__in=Tenant.objects.visible_to(scope))


class Entity(models.Model):
    """The current state of one NGSI-LD entity, in the hub's internal form.

    `attributes` holds the expanded normalized form described in `mutualis.datahub.ngsild`:
    {expanded attribute IRI: [instance, …]}, one instance per datasetId. History lives in
    `AttributeInstance`.
    """

    # No index of its own: datahub_entity_type starts with it.
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="entities", db_index=False)
    entity_id = models.CharField(_("entity id"), max_length=512)
    # The first of the entity's types (expanded IRI), for the type filter every query has;
    # `types` holds them all (NGSI-LD 4.16: an entity may have several types).
    type = models.CharField(_("type"), max_length=512)
    types = models.JSONField(_("types"), default=list)
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    attributes = models.JSONField(_("attributes"), default=dict)
    # The bounding box of the `location` GeoProperty, so that a geo-query first narrows
    # entities with plain comparisons before testing the exact geometry.
    geo_min_x = models.FloatField(null=True, blank=True)
    geo_min_y = models.FloatField(null=True, blank=True)
    geo_max_x = models.FloatField(null=True, blank=True)
    geo_max_y = models.FloatField(null=True, blank=True)
    # Where the sensor is, in the registry: a sensor is also an asset of a site.
    site = models.ForeignKey(
        Site, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("site")
    )
    asset = models.OneToOneField(
        Asset,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="datahub_entity",
        verbose_name=_("asset"),
    )
    created_at = models.DateTimeField(_("created"))
    modified_at = models.DateTimeField(_("modified"))

    objects = EntityQuerySet.as_manager()

    class Meta:
        verbose_name = _("entity")
        verbose_name_plural = _("entities")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "entity_id"], name="datahub_entity_id_unique"),
        ]
        indexes = [
            # Every query names a tenant and nearly every one a type; ordered by id for
            # stable pagination (limit/offset).
            models.Index(fields=["tenant", "type", "entity_id"], name="datahub_entity_type"),
            # Geo-queries narrow on the bounding box of `location`.
            models.Index(fields=["tenant", "geo_min_x", "geo_min_y"], name="datahub_entity_geo"),
        ]

    def __str__(self) -> str:
        return self.entity_id
