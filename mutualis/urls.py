from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from mutualis.registry.api.base import NoSuchEndpoint
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
    # Any other address under /api/v1/ (a missing slash, a non-numeric id, a resource that
    # does not exist, the bare /api/v1/) is a problem-details 404 (RFC 9457) rather than an
    # HTML page: handler404 alone answers Django's HTML debug page when DEBUG is on. Last of
    # the API's includes so that it shadows none of them. `[\s\S]`, not `.`, so that an
    # encoded line break (`%0A`) matches too; not `(?s:.*)`, whose inline flag Django's
    # reverse() refuses (a ValueError on every page that names a URL). Excluded from the
    # OpenAPI document (NoSuchEndpoint).
    re_path(r"^api/v1/[\s\S]*$", NoSuchEndpoint.as_view(), name="api-no-such-endpoint"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SwaggerDocs.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", RedocDocs.as_view(url_name="api-schema"), name="api-redoc"),
    path("backoffice/", admin.site.urls),
]

handler404 = "mutualis.web.errors.not_found"
handler500 = "mutualis.web.errors.server_error"
