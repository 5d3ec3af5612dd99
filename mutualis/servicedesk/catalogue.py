"""Which incident types a site is offered, and finding one by search."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from mutualis.lib.search import normalise
from mutualis.registry.models import Site

from .models import CatalogueOverride, IncidentType


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
    """What offered_types says of one type, in one small query (this runs on every
    declaration, twice through the API, where the whole catalogue's joins and ordering are
    not needed): the type's category still active, the member's override if it has one,
    else whether the type is offered to the site's kind."""
    if not incident_type.is_active or incident_type.operator_id != site.operator_id:
        return False
    override = CatalogueOverride.objects.filter(member_id=site.member_id, incident_type_id=OuterRef("pk"))
    by_kind = IncidentType.site_kinds.through.objects.filter(
        incidenttype_id=OuterRef("pk"), sitekind_id=site.kind_id
    )
    found = (
        IncidentType.objects.filter(pk=incident_type.pk, category__is_active=True)
        .annotate(override=Subquery(override.values("enabled")[:1]), by_kind=Exists(by_kind))
        .values_list("override", "by_kind")
        .first()
    )
    if found is None:  # its category was deactivated (or the type deleted)
        return False
    override_enabled, offered_to_kind = found
    return bool(offered_to_kind if override_enabled is None else override_enabled)


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
