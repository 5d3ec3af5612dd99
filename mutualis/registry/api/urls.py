"""Addresses of the registry API, included under /api/v1/ (see docs/api.md)."""

from __future__ import annotations

from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from . import reference, views
from .base import NoSuchEndpoint
from .me import MeView

app_name = "api"

router = SimpleRouter()
router.register("members", views.MemberViewSet, basename="member")
router.register("sites", views.SiteViewSet, basename="site")
router.register("assets", views.AssetViewSet, basename="asset")
router.register("territory/departements", reference.DepartementViewSet, basename="departement")
router.register("territory/epci", reference.EpciViewSet, basename="epci")
router.register("territory/communes", reference.CommuneViewSet, basename="commune")
router.register("site-kinds", reference.SiteKindViewSet, basename="site-kind")
router.register("asset-types", reference.AssetTypeViewSet, basename="asset-type")
router.register("asset-models", reference.AssetModelViewSet, basename="asset-model")

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    *router.urls,
    # Anything else under these resources (a missing slash, a non-numeric id), and the
    # bare /api/v1/, is a problem-details 404 rather than the site's HTML page. Limited to
    # our own prefixes so that other API packages can be included next to this one. `.`
    # matches a line break too (`(?s:…)`): a path holding an encoded one (`%0A`) fell
    # through to the site's HTML 404.
    re_path(
        r"^(?:(?:me|members|sites|assets|territory|site-kinds|asset-types|asset-models|tickets|teams|inbound-email)(?:/(?s:.*))?)?$",
        NoSuchEndpoint.as_view(),
        name="no-such-endpoint",
    ),
]
