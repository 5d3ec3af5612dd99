"""The API's documentation pages (OpenAPI, drawn by Swagger UI and Redoc from
drf-spectacular-sidecar's files, served by the app: no CDN).

drf-spectacular's pages open with a bare `<html>`: a screen reader cannot tell which
language to read them in (WCAG 3.1.1). The schema is written in English, so the pages say
so, once rendered.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView

LANGUAGE = "en"


def _with_language(response: Any) -> Any:
    response.content = response.content.replace(b"<html>", f'<html lang="{LANGUAGE}">'.encode(), 1)
    return response


class SwaggerDocs(SpectacularSwaggerView):
    @extend_schema(exclude=True)  # a page about the API, not an endpoint of it
    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().get(request, *args, **kwargs)
        response.add_post_render_callback(_with_language)
        return response


class RedocDocs(SpectacularRedocView):
    @extend_schema(exclude=True)
    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().get(request, *args, **kwargs)
        response.add_post_render_callback(_with_language)
        return response
