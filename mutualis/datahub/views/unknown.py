"""Addresses under /ngsi-ld/v1/ that no view serves: a ProblemDetails, never the site's
HTML page (an NGSI-LD client reads every error as JSON, NGSI-LD 5.5.2 and 6.3.5).

Resources of the specification the hub does not implement answer 422
OperationNotSupported, as the hub's other unsupported operations do (docs/ngsi-ld.md, "Not
supported"); anything else is a 404 ResourceNotFound. Both answer whoever asks: there is
nothing here to authenticate for.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import re_path
from django.views.decorators.csrf import csrf_exempt

from mutualis.datahub.ngsild.errors import OperationNotSupported, ResourceNotFound
from mutualis.datahub.ngsild.http import as_error_of

# First segments of resources of NGSI-LD 1.8 (clause 6) that the hub does not serve.
UNSUPPORTED = {
    "types": "entity type discovery (6.25)",
    "attributes": "attribute discovery (6.27)",
    "csourceRegistrations": "context source registrations (6.8)",
    "csourceSubscriptions": "context source registration subscriptions (6.11)",
}


@csrf_exempt
def no_such_resource(request: HttpRequest, path: str) -> HttpResponse:
    first = path.split("/", 1)[0]
    if first in UNSUPPORTED:
        error: OperationNotSupported | ResourceNotFound = OperationNotSupported(
            f"This broker does not implement {UNSUPPORTED[first]}; see the list of what it does not "
            "support in its documentation (docs/ngsi-ld.md)."
        )
    else:
        error = ResourceNotFound(
            f"No NGSI-LD resource at {request.path}; the broker serves entities, entityOperations, "
            "temporal, subscriptions and jsonldContexts."
        )
    return as_error_of(error.response(), request)


urlpatterns = [re_path(r"^(?P<path>.*)$", no_such_resource, name="no-such-resource")]
