"""/ngsi-ld/v1/: the NGSI-LD API (ETSI GS CIM 009 v1.8, clause 6), one module per resource."""

from django.urls import include, path

from .views import batch, contexts, entities, subscriptions, temporal, unknown

app_name = "ngsild"
urlpatterns = [
    path("", include(entities.urlpatterns)),
    path("", include(batch.urlpatterns)),
    path("", include(temporal.urlpatterns)),
    path("", include(subscriptions.urlpatterns)),
    path("", include(contexts.urlpatterns)),
    # Last: whatever the others do not serve is a ProblemDetails, not an HTML page.
    path("", include(unknown.urlpatterns)),
]
