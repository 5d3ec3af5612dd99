"""What every registry API view shares: JSON in, keyset pages out, strict filters and query
strings, the request's scope in reach, and problem details for addresses that lead nowhere."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import QuerySet
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from mutualis.lib.json_input import StrictJSONParser
from mutualis.lib.numbers import whole_number
from mutualis.lib.query_strings import repeated_parameters
from mutualis.people.tenancy import Scope

from .filters import ListFilters
from .pagination import ApiPagination
from .permissions import RegistryWritePermission, scope_of

# Importing the schema module also registers the bearer token scheme with drf-spectacular.
from .schema import ApiAutoSchema


class ApiView(APIView):
    """What every view under /api/v1/ derives from (ApiViewSet for resources; the catch-all
    NoSuchEndpoint excepted, whose 404 is the same whatever is asked).

    A query parameter is given once: QueryDict reads the last of a repeated one, so
    `?status=lost&status=retired` listed the retired assets alone, to a client that meant
    both. It is a 400 naming the parameter, once the caller is known (401) and allowed to
    make such a request at all (403; an object's own refusal waits for the object), and
    before anything is read or written. `repeatable_parameters` names
    those a view takes several times; none does yet, every filter taking one value."""

    repeatable_parameters: ClassVar[frozenset[str]] = frozenset()

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        repeated = repeated_parameters(request.query_params, repeatable=self.repeatable_parameters)
        if repeated:
            raise ValidationError(
                {
                    name: [
                        _(
                            "The query parameter “%(name)s” is given %(count)d times; give it once "
                            "(each parameter takes a single value)."
                        )
                        % {"name": name, "count": count}
                    ]
                    for name, count in repeated.items()
                }
            )


class ApiViewSet(ApiView, viewsets.GenericViewSet):
    # Bodies are JSON only, read strictly (mutualis.lib.json_input): anything else is a 415,
    # not a form parsed by accident.
    parser_classes = [StrictJSONParser]
    permission_classes = [IsAuthenticated, RegistryWritePermission]
    # Pages an asset's history in the schema as it does lists; no internal docstrings.
    schema = ApiAutoSchema()
    pagination_class = ApiPagination
    filter_class: type[ListFilters] = ListFilters

    @property
    def scope(self) -> Scope:
        # drf-spectacular builds views without a request to read their querysets' models:
        # the anonymous scope sees nothing.
        if getattr(self, "swagger_fake_view", False):
            return Scope.anonymous()
        return scope_of(self.request)

    def get_object(self) -> Any:
        # The router takes any path segment as the id, and the database reads it with int(),
        # which also reads other scripts' digits: /members/١٢/ and /members/１２/ answered
        # member 12. An id is ASCII digits, or no object at all (the same 404 as a missing one).
        lookup = self.kwargs.get(self.lookup_url_kwarg or self.lookup_field)
        if lookup is not None and whole_number(str(lookup)) is None:
            raise NotFound()
        return super().get_object()

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "scope": self.scope}

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        # Lists only: get_object() calls this too, and a detail takes no filters.
        if self.action != "list":
            return queryset
        return self.apply_filters(queryset, self.filter_class)

    def apply_filters(self, queryset: QuerySet[Any], filter_class: type[ListFilters]) -> QuerySet[Any]:
        filters = filter_class(data=self.request.query_params, context=self.get_serializer_context())
        filters.is_valid(raise_exception=True)
        return filters.apply(queryset)

    def parse(self, serializer_class: type[BaseSerializer], **kwargs: Any) -> dict[str, Any]:
        """The request body, checked by `serializer_class`; a 400 problem when invalid."""
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context(), **kwargs)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


@extend_schema(exclude=True)
class NoSuchEndpoint(APIView):
    """Addresses under /api/v1/ that lead nowhere: a 404 problem, not an HTML page, the same
    whoever asks (no token is read: there is nothing to authenticate for) and however."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @property
    def default_response_headers(self) -> dict[str, str]:
        # DRF says which methods a view allows on every answer; here that would be "Allow:
        # OPTIONS", and OPTIONS answers this same 404 (RFC 9110 §10.2.1: Allow lists the
        # methods the target resource supports, and there is no resource).
        headers = dict(super().default_response_headers)
        headers.pop("Allow", None)
        return headers

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        path = request.path
        try:
            match = resolve(path + "/")
        except Resolver404:
            match = None
        if (
            not path.endswith("/")
            and match is not None
            and getattr(match.func, "view_class", None) is not NoSuchEndpoint
        ):
            raise NotFound(_("No API endpoint at %(path)s; did you mean %(path)s/?") % {"path": path})
        raise NotFound(
            _("No API endpoint at %(path)s; the endpoints are listed at /api/docs/.") % {"path": path}
        )
