from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from mutualis.web.api_docs import RedocDocs, SwaggerDocs

urlpatterns = [
    path("", include("mutualis.web.urls")),
    path("accounts/", include("mutualis.people.urls")),
    path("", include("mutualis.registry.urls")),
    path("", include("mutualis.servicedesk.urls")),
    path("insights/", include("mutualis.insights.urls")),
    path("territory/", include("mutualis.datahub.territory.urls")),
    path("ngsi-ld/v1/", include("mutualis.datahub.urls")),
    path("ingest/v1/", include("mutualis.datahub.ingestion.views")),
    path("api/v1/", include("mutualis.servicedesk.api.urls")),
    path("api/v1/", include("mutualis.registry.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SwaggerDocs.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", RedocDocs.as_view(url_name="api-schema"), name="api-redoc"),
    path("backoffice/", admin.site.urls),
]

handler404 = "mutualis.web.errors.not_found"
handler500 = "mutualis.web.errors.server_error"
