"""Reads of the registry that pages and the API share: summaries and filtered lists."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from mutualis.lib.search import folded_contains
from mutualis.people.tenancy import Scope

from .models import Asset, AssetStatus, Member, MemberKind, Site


def fleet_summary(assets: QuerySet[Asset]) -> list[dict[str, Any]]:
    """Assets per type and status, one row per type: computed by the database in one query."""
    rows = (
        assets.order_by()
        .values("asset_type__name")
        .annotate(
            total=Count("id"),
            **{status: Count("id", filter=Q(status=status)) for status in AssetStatus.values},
        )
        .order_by("-total")
    )
    return [dict(row) for row in rows]


def sites_by_kind(sites: QuerySet[Site]) -> list[dict[str, Any]]:
    rows = sites.order_by().values("kind__name").annotate(total=Count("id")).order_by("-total")
    return [dict(row) for row in rows]


def members_by_kind(members: QuerySet[Member]) -> list[dict[str, Any]]:
    labels = dict(MemberKind.choices)
    rows = members.order_by().values("kind").annotate(total=Count("id")).order_by("-total")
    return [{**row, "label": labels.get(row["kind"], row["kind"])} for row in rows]


def sites_with_asset_counts(scope: Scope) -> QuerySet[Site]:
    return Site.objects.visible_to(scope).with_list_related().annotate(asset_total=Count("assets"))


def filter_sites(qs: QuerySet[Site], data: dict[str, Any]) -> QuerySet[Site]:
    if data.get("q"):
        q = data["q"]
        qs = qs.filter(
            folded_contains("name", q)
            | Q(code__iexact=q)
            | folded_contains("commune__name", q)
            | folded_contains("address", q)
        )
    if data.get("kind"):
        qs = qs.filter(kind=data["kind"])
    if data.get("member"):
        qs = qs.filter(member=data["member"])
    if data.get("departement"):
        qs = qs.filter(commune__departement=data["departement"])
    if data.get("active") in ("yes", "no"):
        qs = qs.filter(is_active=data["active"] == "yes")
    return qs


def filter_assets(qs: QuerySet[Asset], data: dict[str, Any]) -> QuerySet[Asset]:
    if data.get("q"):
        q = data["q"]
        qs = qs.filter(
            Q(inventory_tag__iexact=q)
            | Q(serial_number__iexact=q)
            | Q(inventory_tag__istartswith=q)
            | folded_contains("label", q)
            | folded_contains("model__name", q)
        )
    if data.get("asset_type"):
        qs = qs.filter(asset_type=data["asset_type"])
    if data.get("status"):
        qs = qs.filter(status=data["status"])
    if data.get("site_kind"):
        qs = qs.filter(site__kind=data["site_kind"])
    if data.get("member"):
        qs = qs.filter(site__member=data["member"])
    if data.get("site"):
        qs = qs.filter(site=data["site"])
    if data.get("warranty") == "expired":
        qs = qs.filter(warranty_ends_on__lt=timezone.localdate())
    elif data.get("warranty") == "running":
        qs = qs.filter(warranty_ends_on__gte=timezone.localdate())
    return qs


def filter_members(qs: QuerySet[Member], data: dict[str, Any]) -> QuerySet[Member]:
    if data.get("q"):
        q = data["q"]
        qs = qs.filter(
            folded_contains("name", q) | Q(siren=q) | Q(commune__code=q) | folded_contains("commune__name", q)
        )
    if data.get("kind"):
        qs = qs.filter(kind=data["kind"])
    if data.get("departement"):
        qs = qs.filter(
            Q(commune__departement=data["departement"])
            | Q(departement=data["departement"])
            | Q(epci__communes__departement=data["departement"])
        ).distinct()
    if data.get("service"):
        qs = qs.filter(services=data["service"])
    return qs
