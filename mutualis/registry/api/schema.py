"""What the OpenAPI schema says beyond what drf-spectacular infers: the bearer token
scheme and the problem-details error responses (RFC 9457).

Descriptions here are documentation, in English like the docstrings the schema also shows;
messages returned at run time are translated.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import get_doc, is_list_serializer
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from mutualis.lib.problems import PROBLEM_CONTENT_TYPE
from mutualis.registry.models import AssetStatus

from . import fields
from . import serializers as responses

# Bases whose docstrings speak to the code's reader. drf-spectacular describes a component
# by the first docstring up its class's bases, so every serializer without one of its own
# told integrators "Every field read-only: these serializers never parse a body." or how
# KnownFieldsMixin refuses names. Other APIs add theirs (servicedesk/api/schema.py).
INTERNAL_BASES: list[type] = [
    fields.KnownFieldsMixin,
    fields.ScopedFieldsMixin,
    responses._ReadOnly,
    responses.RefSerializer,
]


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, for what it got wrong about the API's views."""

    # drf-spectacular's own signature, which differs from DRF's ViewInspector it derives from.
    def get_description(self) -> str:  # type: ignore[override]
        # A view class without a docstring of its own was described by its first base's
        # (ConditionalObjectMixin's notes on `write_if_unchanged` headed five operations).
        described: str = super().get_description()
        view_class = type(self.view)
        if described and view_class.__dict__.get("__doc__") is None and described == get_doc(view_class):
            return ""
        return described

    def _get_pagination_parameters(self) -> list[dict[str, Any]]:
        # drf-spectacular pages only what it takes for a list view, and takes the first of
        # the responses by code for the answer: a problem (400) for an asset's history, which
        # accepts `cursor` and `limit` and whose `next` address carries them.
        parameters: list[dict[str, Any]] = super()._get_pagination_parameters()
        paginator = self._get_paginator()
        if parameters or paginator is None or self.method != "GET":
            return parameters
        responses = self.get_response_serializers()
        answer = responses.get(200) if isinstance(responses, dict) else responses
        if not is_list_serializer(answer):
            return parameters
        paged: list[dict[str, Any]] = paginator.get_schema_operation_parameters(self.view)
        return paged


def drop_internal_descriptions(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Postprocessing hook (SPECTACULAR_SETTINGS): components described only by a docstring
    inherited from INTERNAL_BASES lose the description."""
    internal = {get_doc(base) for base in INTERNAL_BASES}
    for component in result.get("components", {}).get("schemas", {}).values():
        if component.get("description") in internal:
            del component["description"]
    return result


def document_empty_filters(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Postprocessing hook (SPECTACULAR_SETTINGS): an optional query parameter sent empty
    (`?status=`, `?site=`) is no filter at all (docs/api.md, Filters), which its schema alone
    (an integer, a code of one character or more) calls invalid: a client generated from the
    schema, or a fuzzer, took the API's 200 for a contract broken. OpenAPI 3.0.3 §4.7.12.1
    says it with `allowEmptyValue`; a parameter that refuses an empty value (`limit`, a 400)
    says `allowEmptyValue: false` where it is declared, and is left as it is."""
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and not parameter.get("required"):
                    parameter.setdefault("allowEmptyValue", True)
    return result


class KnownFieldsScheme(OpenApiSerializerExtension):
    """A body read through KnownFieldsMixin refuses a name it does not know (a 400 naming it),
    so its schema says `additionalProperties: false`: without it the schema admitted any extra
    key, and a client built from it, or a contract checker, took the 400 for a broken API."""

    target_class = "mutualis.registry.api.fields.KnownFieldsMixin"
    match_subclasses = True

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        schema: dict[str, Any] = auto_schema._map_basic_serializer(self.target, direction)
        if direction == "request":
            schema["additionalProperties"] = False
        return schema


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """`Authorization: Bearer mut_<key id>_<secret>` (mutualis.people.api_auth)."""

    target_class = "mutualis.people.api_auth.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "mut_<key id>_<secret>",
            "description": "A token created on the account page (/accounts/profile/). It acts for one "
            "membership: the member (or the operator) the person acted for when creating it.",
        }


class AssetStatusScheme(OpenApiSerializerFieldExtension):
    """One named component for the asset status, wherever it appears (asset, filter, status
    change, history): drf-spectacular would otherwise name the same choices three ways."""

    target_class = "mutualis.registry.api.fields.AssetStatusField"

    def get_name(self) -> str:
        return "AssetStatus"

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        life_cycle = "; ".join(f"`{value}`: {label}" for value, label in AssetStatus.choices)
        return {
            "type": "string",
            "enum": AssetStatus.values,
            "description": f"The asset's life cycle: {life_cycle}.",
        }


class FieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(
        help_text="Path of the field in the request (`limit`, `status`…); empty for the whole request."
    )
    message = serializers.CharField()


class ProblemSerializer(serializers.Serializer):
    """An error, as problem details (RFC 9457, `application/problem+json`)."""

    type = serializers.URLField(help_text="Identifies the kind of problem, e.g. …/problems/validation.")
    title = serializers.CharField(help_text="Short summary of the kind of problem.")
    status = serializers.IntegerField(help_text="The HTTP status code.")
    detail = serializers.CharField(help_text="What went wrong with this request, for a person to read.")
    # The name RFC 9457 extensions commonly use; it shadows Serializer.errors only in the
    # class body, which DRF's metaclass takes the declared fields out of.
    errors = FieldErrorSerializer(  # type: ignore[assignment]
        many=True, required=False, help_text="For invalid data: one entry per message."
    )


# What any endpoint may answer 400 for, even one that reads no other input (ApiView).
REPEATED_PARAMETER = (
    "A query parameter given more than once (`?status=lost&status=retired`): every parameter "
    "takes a single value; `errors` names each repeated one."
)

PROBLEM_DESCRIPTIONS = {
    400: "Invalid data, unknown query parameter or value, a query parameter given more than once, malformed "
    "JSON, `limit` out of bounds: `errors` names each field.",
    401: "No credentials, or a malformed, unknown, expired or revoked token (see WWW-Authenticate).",
    403: "Authenticated, but this role or token may not make this change; `detail` says why.",
    404: "No such object, or an object outside the member or operator the token acts for (the same answer).",
    406: "The `Accept` header names no type the API answers in (send `application/json, "
    "application/problem+json`, or none); a request that would succeed while `Accept` names "
    "`application/problem+json` alone is refused too, a write before anything is written.",
    409: "The change conflicts with the object's current state (an asset status transition the life cycle "
    "does not allow).",
    413: "The body is larger than the API reads (Django's DATA_UPLOAD_MAX_MEMORY_SIZE, 2.5 MB by default; "
    "files sent as multipart/form-data count apart, within the operator's limit).",
    415: "The body is not `application/json`.",
}

# A list's 404: a list exists whatever the scope, so only its cursor can be unknown.
LIST_NOT_FOUND = "The `cursor` was altered or made by hand: start again from the first page."


def problems(*statuses: int) -> dict[tuple[int, str], OpenApiResponse]:
    """Problem-details responses for `extend_schema(responses=…)`; 401 and 406 (content
    negotiation, mutualis.lib.content_negotiation) and 400 (a repeated query parameter,
    base.ApiView) apply to every endpoint, 413 to every one that reads a body (those that
    can answer 415). An endpoint that names no 400 of its own has its 400 described as the
    repeated parameter alone."""
    every = {400, 401, 406, *statuses} | ({413} if 415 in statuses else set())
    return {
        (status, PROBLEM_CONTENT_TYPE): OpenApiResponse(
            ProblemSerializer,
            description=REPEATED_PARAMETER
            if status == 400 and 400 not in statuses
            else PROBLEM_DESCRIPTIONS[status],
        )
        for status in sorted(every)
    }


def list_problems(*statuses: int) -> dict[tuple[int, str], OpenApiResponse]:
    """`problems` of a paged list: 400 (filters, `limit`) and 404 (an altered cursor)."""
    responses = problems(400, *statuses)
    responses[(404, PROBLEM_CONTENT_TYPE)] = OpenApiResponse(ProblemSerializer, description=LIST_NOT_FOUND)
    return dict(sorted(responses.items()))
