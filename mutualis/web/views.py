from __future__ import annotations

from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static

from mutualis.people.tenancy import ScopedRequest
from mutualis.registry import selectors
from mutualis.registry.models import Asset, AssetStatusChange, Member, Site

from .decorators import member_area
from .panels import render_panels


@member_area
def home(request: ScopedRequest) -> HttpResponse:
    """The home page of each role: where the person acts, what they have, what moved."""
    scope = request.scope
    assets = Asset.objects.visible_to(scope)
    sites = Site.objects.visible_to(scope)
    context: dict[str, Any] = {
        "fleet": selectors.fleet_summary(assets),
        "sites_by_kind": selectors.sites_by_kind(sites),
        # What the other parts summarise for this person (the service desk: their tickets).
        "panels": render_panels("web:home", request),
    }
    if scope.is_operator_staff:
        members = Member.objects.visible_to(scope)
        context.update(
            members_by_kind=selectors.members_by_kind(members),
            member_total=members.count(),
            site_total=sites.count(),
            asset_total=assets.count(),
            recent_changes=AssetStatusChange.objects.filter(asset__in=assets)
            .select_related("asset", "asset__asset_type", "changed_by")
            .order_by("-changed_at", "-id")[:10],
        )
        return render(request, "web/home_operator.html", context)
    member = scope.member
    if member is None:  # cannot happen: a member-level membership always names its member
        return render(request, "web/no_membership.html", status=403)
    context.update(
        member=member,
        sites=selectors.sites_with_asset_counts(scope).order_by("kind__name", "name")[:100],
        site_total=sites.count(),
        asset_total=assets.count(),
        services=member.subscriptions.select_related("service").order_by("service__name"),
    )
    return render(request, "web/home_member.html", context)


def accessibility(request: HttpRequest) -> HttpResponse:
    """The accessibility statement required by RGAA 4.1 (article 47 of law 2005-102)."""
    return render(request, "web/accessibility.html")


def healthz(request: HttpRequest) -> JsonResponse:
    """For the load balancer and the supervision: the process answers and the database too."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return JsonResponse({"status": "ok"})
    except Exception:  # any database failure means "not healthy"
        return JsonResponse({"status": "database unavailable"}, status=503)


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on pages that name no icon: send them the shipped one.
    Resolved per request, as production's hashed static names exist only after collectstatic."""
    return HttpResponsePermanentRedirect(static("web/favicon.svg"))
