"""What the OpenAPI schema says beyond what drf-spectacular infers: the bearer token
scheme and the problem-details error responses (RFC 9457).

Descriptions here are documentation, in English like the docstrings the schema also shows;
messages returned at run time are translated.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerFieldExtension
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from mutualis.lib.problems import PROBLEM_CONTENT_TYPE
from mutualis.registry.models import AssetStatus


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


PROBLEM_DESCRIPTIONS = {
    400: "Invalid data, unknown query parameter or value, malformed JSON or cursor: `errors` names each field.",
    401: "No credentials, or a malformed, unknown, expired or revoked token (see WWW-Authenticate).",
    403: "Authenticated, but this role or token may not make this change; `detail` says why.",
    404: "No such object, or an object outside the member or operator the token acts for (the same answer).",
    409: "The change conflicts with the object's current state (an asset status transition the life cycle "
    "does not allow).",
    415: "The body is not `application/json`.",
}


def problems(*statuses: int) -> dict[tuple[int, str], OpenApiResponse]:
    """Problem-details responses for `extend_schema(responses=…)`; 401 applies to every endpoint."""
    return {
        (status, PROBLEM_CONTENT_TYPE): OpenApiResponse(
            ProblemSerializer, description=PROBLEM_DESCRIPTIONS[status]
        )
        for status in sorted({401, *statuses})
    }
