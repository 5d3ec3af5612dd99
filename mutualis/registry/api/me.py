"""`GET /api/v1/me/`: whom the token or session acts as, and what it may change."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from mutualis.people.api_auth import ApiTokenAuthentication
from mutualis.people.models import ApiToken
from mutualis.people.roles import Role

from .base import ApiView
from .permissions import ASSET, SITE, scope_of, write_refusal
from .schema import problems


class MeUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    full_name = serializers.CharField()


class NamedRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class MeTokenSerializer(serializers.Serializer):
    name = serializers.CharField()
    key_id = serializers.CharField()
    can_write = serializers.BooleanField()
    expires_at = serializers.DateTimeField(allow_null=True)


class AllowedWritesSerializer(serializers.Serializer):
    add = serializers.BooleanField()
    change = serializers.BooleanField()


class MePermissionsSerializer(serializers.Serializer):
    sites = AllowedWritesSerializer()
    assets = AllowedWritesSerializer()


class MeSerializer(serializers.Serializer):
    user = MeUserSerializer()
    authentication = serializers.ChoiceField(choices=["token", "session"])
    token = MeTokenSerializer(allow_null=True, help_text="The token in use; null for a browser session.")
    role = serializers.ChoiceField(choices=Role.choices, allow_null=True)
    role_label = serializers.CharField(allow_null=True)
    acts_for = serializers.ChoiceField(
        choices=["member", "operator"],
        allow_null=True,
        help_text="Null when the account holds no active role.",
    )
    operator = NamedRefSerializer(allow_null=True)
    member = NamedRefSerializer(allow_null=True, help_text="The member acted for; null for operator staff.")
    site_ids = serializers.ListField(
        child=serializers.IntegerField(),
        allow_null=True,
        help_text="For a site contact, the only sites in scope; null when the scope is not limited to sites.",
    )
    can_write = serializers.BooleanField(help_text="False for elected officials and read-only tokens.")
    permissions = MePermissionsSerializer(help_text="Which registry writes this scope may make.")


class MeView(ApiView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Whom the token or session acts as", tags=["me"], responses={200: MeSerializer, **problems()}
    )
    def get(self, request: Request) -> Response:
        scope = scope_of(request)
        membership = scope.membership
        token = request.auth if isinstance(request.auth, ApiToken) else None
        data: dict[str, Any] = {
            "user": request.user,
            "authentication": "token"
            if isinstance(request.successful_authenticator, ApiTokenAuthentication)
            else "session",
            "token": token,
            "role": scope.role,
            "role_label": str(Role(scope.role).label) if scope.role else None,
            "acts_for": None if membership is None else ("operator" if scope.is_operator_staff else "member"),
            "operator": scope.operator,
            "member": scope.member,
            "site_ids": sorted(scope.site_ids) if scope.site_ids is not None else None,
            "can_write": scope.can_write,
            "permissions": {
                name: {action: write_refusal(scope, label, action) is None for action in ("add", "change")}
                for name, label in (("sites", SITE), ("assets", ASSET))
            },
        }
        return Response(MeSerializer(data).data)
