"""Registry pages: members, sites, equipment. Every read goes through `visible_to(scope)`."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from mutualis.lib.tabular import Column, choice, export_queryset, export_response, field
from mutualis.people.models import Membership
from mutualis.people.tenancy import ScopedRequest, get_visible_or_404
from mutualis.web.decorators import member_area
from mutualis.web.exports import export_request
from mutualis.web.panels import render_panels

from . import selectors
from .forms import AssetFilterForm, MemberFilterForm, SiteFilterForm
from .models import Asset, Member, Site

PAGE_SIZE = 50


def _page(request: HttpRequest, qs: QuerySet[Any]) -> Any:
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def _querystring_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    params.pop("export", None)
    return params.urlencode()


MEMBER_COLUMNS = [
    # Instances, not values: the INSEE code is the member's (`Member.insee_code`).
    Column(_("Name"), lambda m: m.name),
    choice(_("Kind"), Member, "kind"),
    Column(_("SIREN"), lambda m: m.siren),
    Column(_("INSEE code"), lambda m: m.insee_code),
    Column(_("Member since"), lambda m: m.joined_on),
    Column(_("Sites"), lambda m: m.site_total),
]


@member_area
def member_list(request: ScopedRequest) -> HttpResponse:
    scope = request.scope
    form = MemberFilterForm(scope, request.GET or None)
    members = (
        selectors.filter_members(
            Member.objects.visible_to(scope).select_related("commune", "epci", "departement"),
            form.filters() if request.GET else {},
        )
        .annotate(site_total=Count("sites", distinct=True))
        .order_by("name", "pk")
    )
    asked = export_request(request, form)
    if asked.fmt:
        return export_response(
            MEMBER_COLUMNS, members.iterator(chunk_size=1000), title=_("Members"), fmt=asked.fmt
        )
    return render(
        request,
        "registry/member_list.html",
        {"form": form, "page": _page(request, members), "query": _querystring_without_page(request)},
        status=asked.status,
    )


@member_area
def member_detail(request: ScopedRequest, pk: int) -> HttpResponse:
    scope = request.scope
    member = get_visible_or_404(Member, scope, pk=pk)
    sites = selectors.sites_with_asset_counts(scope).filter(member=member).order_by("kind__name", "name")
    assets = Asset.objects.visible_to(scope).filter(site__member=member)
    context = {
        "member": member,
        "sites": sites[:200],
        "site_total": sites.count(),
        "fleet": selectors.fleet_summary(assets),
        "subscriptions": member.subscriptions.select_related("service"),
        "children": Member.objects.visible_to(scope).filter(parent=member).order_by("kind", "name"),
    }
    if scope.is_operator_staff:
        context["people"] = (
            Membership.objects.visible_to(scope)
            .filter(member=member)
            .select_related("user")
            .order_by("role", "user__full_name")
        )
    return render(request, "registry/member_detail.html", context)


SITE_COLUMNS = [
    field(_("Name"), "name"),
    field(_("Kind"), "kind__name"),
    field(_("Reference"), "code"),
    field(_("Member"), "member__name"),
    field(_("Address"), "address"),
    field(_("Postal code"), "postal_code"),
    field(_("Commune"), "commune__name"),
    field(_("INSEE code"), "commune__code"),
    field(_("Latitude"), "latitude"),
    field(_("Longitude"), "longitude"),
    field(_("Opening hours"), "opening_hours"),
    field(_("Equipment"), "asset_total"),
]


@member_area
def site_list(request: ScopedRequest) -> HttpResponse:
    scope = request.scope
    form = SiteFilterForm(scope, request.GET or None)
    sites = selectors.filter_sites(
        selectors.sites_with_asset_counts(scope), form.filters() if request.GET else {}
    ).order_by("name", "pk")
    asked = export_request(request, form)
    if asked.fmt:
        return export_queryset(SITE_COLUMNS, sites, title=_("Sites"), fmt=asked.fmt, chunk_size=1000)
    return render(
        request,
        "registry/site_list.html",
        {"form": form, "page": _page(request, sites), "query": _querystring_without_page(request)},
        status=asked.status,
    )


@member_area
def site_detail(request: ScopedRequest, pk: int) -> HttpResponse:
    scope = request.scope
    site = get_visible_or_404(Site, scope, pk=pk)
    assets = Asset.objects.visible_to(scope).filter(site=site).select_related("asset_type", "model")
    return render(
        request,
        "registry/site_detail.html",
        {
            "site": site,
            "hours": site.hours,
            "fleet": selectors.fleet_summary(assets),
            "page": _page(request, assets.order_by("asset_type__name", "inventory_tag")),
            "query": _querystring_without_page(request),
            "contacts": site.contacts.filter(is_active=True).select_related("user")
            if scope.is_operator_staff
            else None,
        },
    )


ASSET_COLUMNS = [
    field(_("Inventory tag"), "inventory_tag"),
    field(_("Type"), "asset_type__name"),
    field(_("Manufacturer"), "model__manufacturer"),
    field(_("Model"), "model__name"),
    field(_("Serial number"), "serial_number"),
    field(_("Label"), "label"),
    choice(_("Status"), Asset, "status"),
    field(_("Site"), "site__name"),
    field(_("Member"), "site__member__name"),
    field(_("Acquired on"), "acquired_on"),
    field(_("Acquisition cost (EUR)"), "acquisition_cost"),
    field(_("Warranty ends on"), "warranty_ends_on"),
]


@member_area
def asset_list(request: ScopedRequest) -> HttpResponse:
    scope = request.scope
    form = AssetFilterForm(scope, request.GET or None)
    assets = selectors.filter_assets(
        Asset.objects.visible_to(scope).with_list_related(), form.filters() if request.GET else {}
    ).order_by("inventory_tag", "pk")
    asked = export_request(request, form)
    if asked.fmt:
        return export_queryset(ASSET_COLUMNS, assets, title=_("Equipment"), fmt=asked.fmt)
    return render(
        request,
        "registry/asset_list.html",
        {"form": form, "page": _page(request, assets), "query": _querystring_without_page(request)},
        status=asked.status,
    )


@member_area
def asset_detail(request: ScopedRequest, pk: int) -> HttpResponse:
    scope = request.scope
    asset = get_visible_or_404(Asset, scope, pk=pk)
    return render(
        request,
        "registry/asset_detail.html",
        {
            "asset": asset,
            "history": asset.status_changes.select_related("changed_by")[:100],
            "children": Asset.objects.visible_to(scope).filter(parent=asset).select_related("asset_type"),
            "parent": Asset.objects.visible_to(scope).filter(pk=asset.parent_id).first()
            if asset.parent_id
            else None,
            # Other parts' boxes about this asset (the service desk lists its incidents).
            "panels": render_panels("registry:asset-detail", request, asset),
        },
    )
