"""Addresses of the registry API, included under /api/v1/ (see docs/api.md)."""

from __future__ import annotations

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import reference, views
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
    # Other addresses under /api/v1/: mutualis/urls.py's catch-all (a 404 problem).
]
