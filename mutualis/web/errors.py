"""Project-wide error pages: problem details for API paths, HTML pages for people."""

from __future__ import annotations

import sys

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views import defaults

from mutualis.lib.database_outage import is_database_unavailable, unavailable_response
from mutualis.lib.problems import is_api_request, problem_json


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api_request(request):
        return problem_json(404, _("There is no such resource, or it is not yours to see."))
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this handler while handling the exception: it is sys.exc_info()'s.
    exc = sys.exc_info()[1]
    if exc is not None and is_database_unavailable(exc):
        return unavailable_response(request, exc)
    if is_api_request(request):
        return problem_json(500, _("An unexpected error occurred; it has been logged."))
    return defaults.server_error(request)
