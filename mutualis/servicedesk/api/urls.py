"""The service desk's endpoints under /api/v1/; mutualis/urls.py's catch-all answers 404
problems for the addresses that lead nowhere."""

from __future__ import annotations

from django.urls import path
from rest_framework.routers import SimpleRouter

from .inbound import InboundEmailView
from .reference import SiteCatalogueViewSet, TeamViewSet
from .tickets import TicketViewSet

app_name = "desk-api"

router = SimpleRouter()
router.register("tickets", TicketViewSet, basename="ticket")
router.register("teams", TeamViewSet, basename="team")

urlpatterns = [
    path(
        "sites/<int:site_id>/catalogue/",
        SiteCatalogueViewSet.as_view({"get": "retrieve"}),
        name="site-catalogue",
    ),
    # Email in: a mail server hands over each received message (docs/email.md).
    path("inbound-email/", InboundEmailView.as_view(), name="inbound-email"),
    *router.urls,
]
