"""Which incident types a site is offered, and finding one by search."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from mutualis.lib.search import normalise
from mutualis.registry.models import Site

from .models import CatalogueOverride, Category, IncidentType


def offered_types(site: Site) -> QuerySet[IncidentType]:
    """The types a site is offered: those of its kind, plus what its member was given,
    minus what its member hid (CatalogueOverride)."""
    overrides = dict(
        CatalogueOverride.objects.filter(member_id=site.member_id).values_list("incident_type_id", "enabled")
    )
    added = [pk for pk, enabled in overrides.items() if enabled]
    hidden = [pk for pk, enabled in overrides.items() if not enabled]
    return (
        IncidentType.objects.active()
        .filter(operator_id=site.operator_id)
        .filter(Q(site_kinds=site.kind_id) | Q(pk__in=added))
        .exclude(pk__in=hidden)
        .distinct()
        .select_related("category", "category__parent", "asset_type", "default_team")
        .order_by("category__position", "category__name", "position", "name")
    )


def is_offered(site: Site, incident_type: IncidentType) -> bool:
    """What offered_types says of one type, in two small queries (this runs on every
    declaration, where the whole catalogue's joins and ordering are not needed)."""
    if not incident_type.is_active or incident_type.operator_id != site.operator_id:
        return False
    if not Category.objects.filter(pk=incident_type.category_id, is_active=True).exists():
        return False
    override = (
        CatalogueOverride.objects.filter(member_id=site.member_id, incident_type=incident_type)
        .values_list("enabled", flat=True)
        .first()
    )
    if override is not None:
        return override
    return incident_type.site_kinds.filter(pk=site.kind_id).exists()


@dataclass
class CatalogueSection:
    category: str
    types: list[IncidentType] = field(default_factory=list)


def catalogue(site: Site, query: str = "") -> list[CatalogueSection]:
    """The site's catalogue grouped by category path, filtered by `query` (every word must
    appear in the type's name, category, description or search words; accents ignored)."""
    words = normalise(query).split()
    sections: dict[str, CatalogueSection] = {}
    for incident_type in offered_types(site):
        path = incident_type.category.path
        if words:
            haystack = normalise(
                " ".join([path, incident_type.name, incident_type.description, incident_type.keywords])
            )
            if not all(word in haystack for word in words):
                continue
        sections.setdefault(path, CatalogueSection(path)).types.append(incident_type)
    return list(sections.values())
