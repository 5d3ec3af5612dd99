"""What an entity's attributes say about its row: its registry links and its bounding box.

Registry link. An entity whose Relationship
  https://mutualis.example/ns/site   points at urn:mutualis:Site:<site pk>, or
  https://mutualis.example/ns/asset  points at urn:mutualis:Asset:<inventory tag>
is tied to that site / asset of the registry (`Entity.site`, `Entity.asset`), so that a
sensor is also a piece of equipment. Those IRIs are not terms of any @context: clients
send them in full (or map their own terms to them). The site or asset must belong to the
tenant's member (to the operator, for the shared space); anything else is BadRequestData.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mutualis.lib.numbers import whole_number
from mutualis.registry.models import Asset, Site

from ..models import Entity, Tenant
from ..ngsild.errors import BadRequestData
from ..ngsild.geo import LOCATION_IRI, geometry_bbox

SITE_IRI = "https://mutualis.example/ns/site"
ASSET_IRI = "https://mutualis.example/ns/asset"
SITE_URN = "urn:mutualis:Site:"
ASSET_URN = "urn:mutualis:Asset:"

Attrs = dict[str, list[dict[str, Any]]]
Links = tuple[int | None, int | None]
BBox = tuple[float | None, float | None, float | None, float | None]
NO_BBOX: BBox = (None, None, None, None)


def _relationship_target(attrs: Attrs, iri: str) -> str | None:
    instances = attrs.get(iri)
    if not instances:
        return None
    instance = next((i for i in instances if "datasetId" not in i), instances[0])
    target = instance.get("object")
    if isinstance(target, list) and len(target) == 1:
        target = target[0]
    if instance.get("type") != "Relationship" or not isinstance(target, str):
        raise BadRequestData(f"Attribute {iri} must be a Relationship with one object URI.")
    return target


class RegistryLinks:
    """Resolves the registry links of many entities with one query per kind, for batches."""

    def __init__(self, tenant: Tenant, attrs_list: Iterable[Attrs]):
        self.tenant = tenant
        site_pks: set[int] = set()
        tags: set[str] = set()
        for attrs in attrs_list:
            if SITE_IRI not in attrs and ASSET_IRI not in attrs:
                continue  # the usual case (observations): nothing to look for
            for iri, prefix in ((SITE_IRI, SITE_URN), (ASSET_IRI, ASSET_URN)):
                try:
                    target = _relationship_target(attrs, iri)
                except BadRequestData:
                    continue  # reported by resolve()
                if target and target.startswith(prefix):
                    key = target.removeprefix(prefix)
                    if prefix == SITE_URN and (number := whole_number(key)) is not None:
                        site_pks.add(number)
                    elif prefix == ASSET_URN:
                        tags.add(key)
        self.sites: set[int] = set()
        self.assets: dict[str, int] = {}
        self.asset_owner: dict[int, str] = {}
        if site_pks:
            sites = Site.objects.filter(pk__in=site_pks, operator_id=tenant.operator_id)
            if tenant.member_id is not None:
                sites = sites.filter(member_id=tenant.member_id)
            self.sites = set(sites.values_list("pk", flat=True))
        if tags:
            assets = Asset.objects.filter(inventory_tag__in=tags, operator_id=tenant.operator_id)
            if tenant.member_id is not None:
                assets = assets.filter(site__member_id=tenant.member_id)
            self.assets = dict(assets.values_list("inventory_tag", "pk"))
            # An asset is the equipment of at most one entity (Entity.asset is one-to-one).
            self.asset_owner = {
                asset_pk: entity_id
                for asset_pk, entity_id in Entity.objects.filter(
                    asset_id__in=self.assets.values()
                ).values_list("asset_id", "entity_id")
                if asset_pk is not None
            }

    def resolve(self, entity_id: str, attrs: Attrs) -> Links:
        """(site pk, asset pk) the entity is tied to; BadRequestData naming the problem."""
        if SITE_IRI not in attrs and ASSET_IRI not in attrs:
            return None, None
        site_id = asset_id = None
        target = _relationship_target(attrs, SITE_IRI)
        if target is not None:
            key = target.removeprefix(SITE_URN)
            if not target.startswith(SITE_URN) or whole_number(key) not in self.sites:
                raise BadRequestData(
                    f"{SITE_IRI} points at {target!r}, which is not a site of this tenant "
                    f"(expected {SITE_URN}<site id> of a site of the tenant's member)."
                )
            site_id = int(key)
        target = _relationship_target(attrs, ASSET_IRI)
        if target is not None:
            tag = target.removeprefix(ASSET_URN)
            if not target.startswith(ASSET_URN) or tag not in self.assets:
                raise BadRequestData(
                    f"{ASSET_IRI} points at {target!r}, which is not an asset of this tenant "
                    f"(expected {ASSET_URN}<inventory tag> of an asset of the tenant's member)."
                )
            asset_id = self.assets[tag]
            owner = self.asset_owner.get(asset_id)
            if owner is not None and owner != entity_id:
                raise BadRequestData(f"Asset {tag!r} is already the equipment of entity {owner}.")
            self.asset_owner[asset_id] = entity_id
        return site_id, asset_id


def location_bbox(attrs: Attrs) -> BBox:
    """The bounding box of the entity's `location` (for the geo-query prefilter), or none."""
    instances = attrs.get(LOCATION_IRI)
    if not instances:
        return NO_BBOX
    instance = next((i for i in instances if "datasetId" not in i), instances[0])
    value = instance.get("value")
    if instance.get("type") != "GeoProperty" or not isinstance(value, dict):
        return NO_BBOX
    bbox = geometry_bbox(value)
    return bbox if bbox else NO_BBOX
